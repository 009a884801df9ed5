// Package okta is the Okta preset: OpenID Connect login through an Okta
// custom authorization server, built on package oidc.
//
// Config.Domain is the Okta organization's domain and
// Config.AuthorizationServerID the authorization server ("default" unless
// set). The issuer is https://{Domain}/oauth2/{AuthorizationServerID}; the
// endpoints are Okta's documented /v1/authorize, /v1/token, /v1/userinfo,
// /v1/keys and /v1/revoke under it, so New does no network I/O. The ID
// token is verified (signature, issuer, audience, expiry, nonce), Profile
// reads the userinfo endpoint, and Logout revokes the token. Relative URLs
// given to the blueprint's Client resolve against the issuer.
//
// Credentials default to OKTA_OAUTH_CLIENT_ID and OKTA_OAUTH_CLIENT_SECRET.
// Refresh needs the offline_access scope. Blueprint.EndSession logs the
// user out of Okta too, through /v1/logout (register the blueprint's
// logged-out route as a sign-out redirect URI).
//
// For an app whose client authentication is "Public key / Private key"
// (private_key_jwt), give Config.ClientAssertion an assertion from package
// clientauth, with the token endpoint as its audience, as Okta requires:
//
//	key, _ := clientauth.ParseKey(pemBytes, "key-id-registered-with-okta")
//	a, _ := clientauth.PrivateKeyJWT(clientID, key, clientauth.Options{EndpointAudience: true})
//	cfg.ClientAssertion = a.Sign
package okta

import (
	"fmt"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name = "okta"
	env  = "OKTA"
)

// Config configures the Okta blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to OKTA_OAUTH_CLIENT_ID and OKTA_OAUTH_CLIENT_SECRET. Scopes
	// default to openid, profile and email.
	ginoauth.Config

	// Domain is the Okta organization's host name, such as
	// "dev-123456.okta.com" or a custom domain. Required.
	Domain string
	// AuthorizationServerID is the custom authorization server's ID.
	// Optional. Default "default".
	AuthorizationServerID string
}

// Issuer returns the issuer URL for cfg's domain and authorization server.
func Issuer(cfg Config) string {
	id := cfg.AuthorizationServerID
	if id == "" {
		id = "default"
	}
	return "https://" + cfg.Domain + "/oauth2/" + id
}

// Provider returns the Okta provider for cfg's domain and authorization
// server. The ID token verifier checks the audience against cfg.ClientID,
// or OKTA_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	iss := Issuer(cfg)
	p := oidc.FromMetadata(oidc.Metadata{
		Issuer:        iss,
		AuthURL:       iss + "/v1/authorize",
		TokenURL:      iss + "/v1/token",
		UserInfoURL:   iss + "/v1/userinfo",
		JWKSURL:       iss + "/v1/keys",
		RevocationURL: iss + "/v1/revoke",
		EndSessionURL: iss + "/v1/logout",
		Algorithms:    []string{"RS256"},
	}, oidc.Config{Config: cfg.Config})
	p.Name = name
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the Okta blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if err := provutil.CheckHost(cfg.Domain, "dev-123456.okta.com"); err != nil {
		return nil, fmt.Errorf("ginoauth: %s: config: Domain: %w", name, err)
	}
	provutil.FillCredentials(&cfg.Config, env)
	return provutil.New(Provider(cfg), cfg.Config, env)
}
