// Package reddit is the pre-configured Reddit provider.
//
// Reddit requires a unique, descriptive User-Agent on every request; set
// Config.UserAgent to something like "web:com.example.app:v1.0 (by
// /u/yourname)". The blueprint built by New sends it on the token,
// refresh and revocation requests as well as on API calls.
//
// The default scope is "identity". Set Config.Permanent for a refresh
// token; without it Reddit's access tokens expire after an hour.
package reddit

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// DefaultUserAgent is the User-Agent sent when Config.UserAgent is empty.
// Reddit asks each app to use its own.
const DefaultUserAgent = "ginoauth/0.1"

// Config configures the Reddit blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to REDDIT_OAUTH_CLIENT_ID and REDDIT_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// Permanent asks for a refresh token (duration=permanent) instead of
	// a one-hour grant (duration=temporary). Optional. Default false.
	Permanent bool
	// UserAgent is the User-Agent header for every request to Reddit.
	// Optional. Default DefaultUserAgent.
	UserAgent string
}

// Provider returns the Reddit provider description for cfg's options.
// It needs no credentials. Its Header sets the User-Agent on API calls;
// New also sets it on token requests.
func Provider(cfg Config) ginoauth.Provider {
	duration := "temporary"
	if cfg.Permanent {
		duration = "permanent"
	}
	return ginoauth.Provider{
		Name: "reddit",
		Endpoint: oauth2.Endpoint{
			AuthURL:  "https://www.reddit.com/api/v1/authorize",
			TokenURL: "https://www.reddit.com/api/v1/access_token",
			// Reddit wants the client credentials in an HTTP Basic header.
			AuthStyle: oauth2.AuthStyleInHeader,
		},
		RevocationURL: "https://www.reddit.com/api/v1/revoke_token",
		APIBaseURL:    "https://oauth.reddit.com/",
		Scopes:        []string{"identity"},
		AuthParams:    map[string]string{"duration": duration},
		Header:        http.Header{"User-Agent": {userAgent(cfg)}},
		Profile:       profile,
	}
}

func userAgent(cfg Config) string {
	if cfg.UserAgent != "" {
		return cfg.UserAgent
	}
	return DefaultUserAgent
}

// New returns the Reddit blueprint. Its HTTP client is a copy of
// cfg.HTTPClient that adds the User-Agent to requests without one.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	base := cfg.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	hc := *base
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	hc.Transport = &userAgentTransport{base: rt, userAgent: userAgent(cfg)}
	cfg.HTTPClient = &hc
	return provutil.New(Provider(cfg), cfg.Config, "REDDIT")
}

// userAgentTransport sets the User-Agent on requests that have none.
type userAgentTransport struct {
	base      http.RoundTripper
	userAgent string
}

func (t *userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("User-Agent") != "" {
		return t.base.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("User-Agent", t.userAgent)
	return t.base.RoundTrip(r2)
}

type me struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	IconImg      string `json:"icon_img"`
	SnoovatarImg string `json:"snoovatar_img"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var m me
	raw, err := provutil.GetJSON(ctx, client, "api/v1/me", &m)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: reddit: %w", err)
	}
	if m.ID == "" {
		return nil, errors.New("ginoauth: reddit: profile has no id")
	}
	avatar := m.IconImg
	if avatar == "" {
		avatar = m.SnoovatarImg
	}
	// Reddit HTML-escapes the image URLs ("&amp;").
	return &ginoauth.Profile{ID: m.ID, Name: m.Name, Username: m.Name, AvatarURL: html.UnescapeString(avatar), Raw: raw}, nil
}
