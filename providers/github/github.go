// Package github is the pre-configured GitHub provider: GitHub.com or a
// GitHub Enterprise Server host.
//
// The default scopes are none, which lets the app read public profile
// information only. Add "user:email" to Config.Scopes for the user's
// private, verified email addresses in [ginoauth.Profile].
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// DefaultHost is GitHub.com.
const DefaultHost = "github.com"

// Config configures the GitHub blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to GITHUB_OAUTH_CLIENT_ID and GITHUB_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// Host is a GitHub Enterprise Server host name, such as
	// "github.example.com", whose API lives at https://HOST/api/v3/.
	// Optional. Default "github.com" (API at https://api.github.com/).
	Host string
}

// Provider returns the GitHub provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:       "github",
		Endpoint:   endpoints.GitHub,
		APIBaseURL: "https://api.github.com/",
		Profile:    profile,
	}
	// The client credentials go in an HTTP Basic header.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if h := cfg.Host; h != "" && h != DefaultHost {
		p.Endpoint.AuthURL = "https://" + h + "/login/oauth/authorize"
		p.Endpoint.TokenURL = "https://" + h + "/login/oauth/access_token"
		p.Endpoint.DeviceAuthURL = "https://" + h + "/login/device/code"
		p.APIBaseURL = "https://" + h + "/api/v3/"
	}
	return p
}

// New returns the GitHub blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if err := checkHost(cfg.Host); err != nil {
		return nil, err
	}
	return provutil.New(Provider(cfg), cfg.Config, "GITHUB")
}

// checkHost accepts a bare host name with an optional port.
func checkHost(h string) error {
	if h == "" {
		return nil
	}
	if strings.ContainsAny(h, "/?#@ \t\r\n\\") {
		return fmt.Errorf("ginoauth: github: config: Host %q must be a host name such as github.example.com", h)
	}
	return nil
}

type user struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	AvatarURL string `json:"avatar_url"`
}

type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// profile reads /user and, when the token may read them, /user/emails:
// the public email's verification status, or the primary email when the
// user shows none.
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u user
	raw, err := provutil.GetJSON(ctx, client, "user", &u)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: github: %w", err)
	}
	if u.ID == 0 {
		return nil, errors.New("ginoauth: github: profile has no id")
	}
	p := &ginoauth.Profile{
		ID:        fmt.Sprint(u.ID),
		Email:     u.Email,
		Name:      u.Name,
		Username:  u.Login,
		AvatarURL: u.AvatarURL,
		Raw:       raw,
	}
	// Without the user:email scope this fails; the public email, if any,
	// then stays unverified.
	var emails []email
	if _, err := provutil.GetJSON(ctx, client, "user/emails", &emails); err != nil {
		return p, nil
	}
	p.Email, p.EmailVerified = pickEmail(u.Email, emails)
	return p, nil
}

// pickEmail returns public with its verification status from list, or,
// when public is empty, the primary address (preferring a verified one).
func pickEmail(public string, list []email) (string, bool) {
	if public != "" {
		for _, e := range list {
			if strings.EqualFold(e.Email, public) {
				return public, e.Verified
			}
		}
		return public, false
	}
	for _, e := range list {
		if e.Primary && e.Verified {
			return e.Email, true
		}
	}
	for _, e := range list {
		if e.Primary {
			return e.Email, false
		}
	}
	return "", false
}
