// Package auth0 is the Auth0 preset: OpenID Connect login through an Auth0
// tenant, built on package oidc.
//
// Config.Domain is the tenant's domain (such as "example.us.auth0.com") or
// a custom domain. The issuer is https://{Domain}/ (with Auth0's trailing
// slash); the endpoints are Auth0's documented /authorize, /oauth/token,
// /userinfo, /.well-known/jwks.json and /oauth/revoke, so New does no
// network I/O. The ID token is verified (signature, issuer, audience,
// expiry, nonce), Profile reads the userinfo endpoint, and Logout revokes
// the refresh token. Relative URLs given to the blueprint's Client resolve
// against https://{Domain}/.
//
// Credentials default to AUTH0_OAUTH_CLIENT_ID and
// AUTH0_OAUTH_CLIENT_SECRET, sent in the token request body (Auth0's
// default "Post" authentication method). Refresh needs the offline_access
// scope. Blueprint.EndSession logs the user out of Auth0 too, through
// /oidc/logout (add the blueprint's logged-out route to the application's
// Allowed Logout URLs).
//
// For an application whose credentials are "Private Key JWT", give
// Config.ClientAssertion an assertion from package clientauth; Auth0
// expects the issuer (https://{Domain}/) as audience, the default:
//
//	key, _ := clientauth.ParseKey(pemBytes, "")
//	a, _ := clientauth.PrivateKeyJWT(clientID, key, clientauth.Options{})
//	cfg.ClientAssertion = a.Sign
package auth0

import (
	"fmt"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name = "auth0"
	env  = "AUTH0"
)

// Config configures the Auth0 blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to AUTH0_OAUTH_CLIENT_ID and AUTH0_OAUTH_CLIENT_SECRET.
	// Scopes default to openid, profile and email. For applications
	// configured with the "Basic" token endpoint authentication method,
	// set Endpoint.AuthStyle to oauth2.AuthStyleInHeader in what Provider
	// returns and pass that to ginoauth.New.
	ginoauth.Config

	// Domain is the Auth0 tenant's domain, such as "example.us.auth0.com",
	// or its custom domain. Required.
	Domain string
	// Audience asks for an access token for one of the tenant's APIs (the
	// audience parameter), such as "https://api.example.com". Optional.
	// Default "": a token for the userinfo endpoint only.
	Audience string
}

// Issuer returns the issuer URL for cfg's domain.
func Issuer(cfg Config) string { return "https://" + cfg.Domain + "/" }

// Provider returns the Auth0 provider for cfg's domain. The ID token
// verifier checks the audience against cfg.ClientID, or
// AUTH0_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	base := "https://" + cfg.Domain
	p := oidc.FromMetadata(oidc.Metadata{
		Issuer:        Issuer(cfg),
		AuthURL:       base + "/authorize",
		TokenURL:      base + "/oauth/token",
		UserInfoURL:   base + "/userinfo",
		JWKSURL:       base + "/.well-known/jwks.json",
		RevocationURL: base + "/oauth/revoke",
		EndSessionURL: base + "/oidc/logout",
		Algorithms:    []string{"RS256"},
	}, oidc.Config{Config: cfg.Config})
	p.Name = name
	p.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if cfg.Audience != "" {
		p.AuthParams = map[string]string{"audience": cfg.Audience}
	}
	return p
}

// New returns the Auth0 blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if err := provutil.CheckHost(cfg.Domain, "example.us.auth0.com"); err != nil {
		return nil, fmt.Errorf("ginoauth: %s: config: Domain: %w", name, err)
	}
	provutil.FillCredentials(&cfg.Config, env)
	return provutil.New(Provider(cfg), cfg.Config, env)
}
