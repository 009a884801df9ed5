// Package gitlab is the GitLab preset, for gitlab.com or a self-managed
// GitLab instance.
//
// The blueprint asks for the read_user scope, which the profile needs.
// Profile reads /api/v4/user. Relative URLs given to the blueprint's Client
// resolve against https://{Hostname}/api/v4/. Logout revokes the token.
//
// For an instance whose certificate the system does not trust, prefer
// adding its CA to Config.HTTPClient's transport (tls.Config.RootCAs).
// InsecureSkipVerify exists for Flask-Dance parity and test instances only.
//
// Credentials default to GITLAB_OAUTH_CLIENT_ID and
// GITLAB_OAUTH_CLIENT_SECRET.
package gitlab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

const (
	name            = "gitlab"
	env             = "GITLAB"
	defaultHostname = "gitlab.com"
)

// Config configures the GitLab blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to GITLAB_OAUTH_CLIENT_ID and GITLAB_OAUTH_CLIENT_SECRET.
	// Scopes default to read_user.
	ginoauth.Config

	// Hostname is the GitLab instance's host name, for self-managed
	// instances. Optional. Default "gitlab.com".
	Hostname string
	// InsecureSkipVerify turns off TLS certificate verification for the
	// token exchange, refreshes, revocation and every API call: New gives
	// the blueprint a copy of Config.HTTPClient whose transport accepts any
	// certificate. Optional. Default false. Anyone on the network path can
	// then impersonate the GitLab server and read the client secret, the
	// codes and the tokens. Use it only for a test instance with a
	// self-signed certificate, never in production. Config.HTTPClient's
	// Transport must be nil or an *http.Transport.
	InsecureSkipVerify bool
}

// Provider returns the GitLab provider for cfg's host.
func Provider(cfg Config) ginoauth.Provider {
	host := cfg.Hostname
	if host == "" {
		host = defaultHostname
	}
	base := "https://" + host + "/"
	ep := oauth2.Endpoint{
		AuthURL:  base + "oauth/authorize",
		TokenURL: base + "oauth/token",
	}
	if host == defaultHostname {
		ep = endpoints.GitLab
	}
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return ginoauth.Provider{
		Name:          name,
		Endpoint:      ep,
		RevocationURL: base + "oauth/revoke",
		APIBaseURL:    base + "api/v4/",
		Scopes:        []string{"read_user"},
		Profile:       profile,
	}
}

// New returns the GitLab blueprint, the equivalent of Flask-Dance's
// make_gitlab_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if cfg.Hostname != "" {
		if err := provutil.CheckHost(cfg.Hostname, "gitlab.example.com"); err != nil {
			return nil, fmt.Errorf("ginoauth: %s: config: Hostname: %w", name, err)
		}
	}
	if cfg.InsecureSkipVerify {
		hc, err := insecureClient(cfg.HTTPClient)
		if err != nil {
			return nil, fmt.Errorf("ginoauth: %s: config: InsecureSkipVerify: %w", name, err)
		}
		cfg.HTTPClient = hc
	}
	return provutil.New(Provider(cfg), cfg.Config, env)
}

// insecureClient returns a copy of hc (or of http.DefaultClient) whose
// transport skips certificate verification. hc itself is not changed.
func insecureClient(hc *http.Client) (*http.Client, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	var tr *http.Transport
	switch t := hc.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, fmt.Errorf("Config.HTTPClient.Transport is a %T; it must be nil or an *http.Transport", t)
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // explicitly requested, documented as dangerous
	c := *hc
	c.Transport = tr
	return &c, nil
}

// user is the part of GitLab's /api/v4/user answer the profile uses.
type user struct {
	ID          int64  `json:"id"`
	Username    string `json:"username"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	AvatarURL   string `json:"avatar_url"`
	ConfirmedAt string `json:"confirmed_at"`
}

// profile reads /api/v4/user. Email is the account's primary address;
// GitLab reports it verified through confirmed_at, so EmailVerified is true
// only when confirmed_at is set.
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u user
	raw, err := provutil.GetJSON(ctx, client, "user", &u)
	if err != nil {
		return nil, err
	}
	if u.ID == 0 {
		return nil, errors.New("gitlab: profile: no id")
	}
	return &ginoauth.Profile{
		ID:            fmt.Sprint(u.ID),
		Email:         u.Email,
		EmailVerified: u.Email != "" && u.ConfirmedAt != "",
		Name:          u.Name,
		Username:      u.Username,
		AvatarURL:     u.AvatarURL,
		Raw:           raw,
	}, nil
}
