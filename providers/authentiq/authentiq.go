// Package authentiq is the Authentiq preset: OpenID Connect login with
// Authentiq ID, on Authentiq's service or a self-hosted instance, built on
// package oidc.
//
// The endpoints are https://{Hostname}/authorize, /token and /userinfo,
// and the issuer is https://{Hostname}/. The ID token is verified
// (signature, issuer, audience, expiry, nonce); since Authentiq documents
// no fixed key set URL, the verifier reads jwks_uri from the issuer's
// discovery document on the first login and caches it, so New does no
// network I/O. Profile reads the userinfo endpoint. Relative URLs given to
// the blueprint's Client resolve against https://{Hostname}/.
//
// Credentials default to AUTHENTIQ_OAUTH_CLIENT_ID and
// AUTHENTIQ_OAUTH_CLIENT_SECRET.
package authentiq

import (
	"fmt"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name            = "authentiq"
	env             = "AUTHENTIQ"
	defaultHostname = "connect.authentiq.io"
)

// Config configures the Authentiq blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to AUTHENTIQ_OAUTH_CLIENT_ID and
	// AUTHENTIQ_OAUTH_CLIENT_SECRET. Scopes default to openid and profile.
	ginoauth.Config

	// Hostname is the Authentiq server's host name, for self-hosted
	// instances. Optional. Default "connect.authentiq.io".
	Hostname string
}

// Provider returns the Authentiq provider for cfg's host. The ID token
// verifier checks the audience against cfg.ClientID, or
// AUTHENTIQ_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	host := cfg.Hostname
	if host == "" {
		host = defaultHostname
	}
	base := "https://" + host + "/"
	p := oidc.FromMetadata(oidc.Metadata{
		Issuer:      base,
		AuthURL:     base + "authorize",
		TokenURL:    base + "token",
		UserInfoURL: base + "userinfo",
		// Asymmetric algorithms only; the keys come from the issuer.
		Algorithms: []string{"RS256", "ES256", "EdDSA"},
	}, oidc.Config{Config: cfg.Config})
	p.Name = name
	p.Scopes = []string{"openid", "profile"}
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the Authentiq blueprint, the equivalent of Flask-Dance's
// make_authentiq_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if cfg.Hostname != "" {
		if err := provutil.CheckHost(cfg.Hostname, "connect.authentiq.io"); err != nil {
			return nil, fmt.Errorf("ginoauth: %s: config: Hostname: %w", name, err)
		}
	}
	provutil.FillCredentials(&cfg.Config, env)
	return provutil.New(Provider(cfg), cfg.Config, env)
}
