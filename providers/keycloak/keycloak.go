// Package keycloak is the Keycloak preset: OpenID Connect login through a
// Keycloak realm, built on package oidc.
//
// Config.BaseURL is the server's URL and Config.Realm the realm. The issuer
// is {BaseURL}/realms/{Realm}; the endpoints are Keycloak's documented
// protocol/openid-connect/auth, token, userinfo, certs and revoke under it,
// so New does no network I/O. The ID token is verified (signature, issuer,
// audience, expiry, nonce); an "iss" parameter on the callback (RFC 9207,
// which Keycloak sends) must name the realm; Profile reads the userinfo
// endpoint, and Logout revokes the token. Relative URLs given to the
// blueprint's Client resolve against the issuer.
//
// Credentials default to KEYCLOAK_OAUTH_CLIENT_ID and
// KEYCLOAK_OAUTH_CLIENT_SECRET. Blueprint.EndSession logs the user out of
// the realm too (register the blueprint's logged-out route as a valid post
// logout redirect URI), and the blueprint's back-channel logout route is
// the client's "Backchannel logout URL".
//
// For a client whose authenticator is "Signed JWT" (private_key_jwt) or
// "Signed JWT with client secret" (client_secret_jwt), give
// Config.ClientAssertion an assertion from package clientauth; Keycloak
// accepts the realm's issuer as audience, the default. With "Use JWKS
// URL" on, serve the assertion's key set (it is an http.Handler) at that
// URL, which makes key rotation a matter of Publish, then Rotate:
//
//	key, _ := clientauth.ParseKey(pemBytes, "")
//	a, _ := clientauth.PrivateKeyJWT(clientID, key, clientauth.Options{})
//	cfg.ClientAssertion = a.Sign
//	router.GET("/.well-known/client-jwks.json", gin.WrapH(a))
package keycloak

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name = "keycloak"
	env  = "KEYCLOAK"
)

// Config configures the Keycloak blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to KEYCLOAK_OAUTH_CLIENT_ID and KEYCLOAK_OAUTH_CLIENT_SECRET.
	// Scopes default to openid, profile and email.
	ginoauth.Config

	// BaseURL is the Keycloak server's URL, such as
	// "https://sso.example.com", including any context path (older servers
	// use "https://sso.example.com/auth"). Required. Plain http is accepted
	// for development servers on this machine only.
	BaseURL string
	// Realm is the realm's name. Required.
	Realm string
}

// Issuer returns the realm's issuer URL.
func Issuer(cfg Config) string {
	return strings.TrimSuffix(cfg.BaseURL, "/") + "/realms/" + url.PathEscape(cfg.Realm)
}

// Provider returns the Keycloak provider for cfg's server and realm. The ID
// token verifier checks the audience against cfg.ClientID, or
// KEYCLOAK_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	iss := Issuer(cfg)
	oc := iss + "/protocol/openid-connect"
	p := oidc.FromMetadata(oidc.Metadata{
		Issuer:        iss,
		AuthURL:       oc + "/auth",
		TokenURL:      oc + "/token",
		UserInfoURL:   oc + "/userinfo",
		JWKSURL:       oc + "/certs",
		RevocationURL: oc + "/revoke",
		EndSessionURL: oc + "/logout",
		Algorithms:    []string{"RS256"},
	}, oidc.Config{Config: cfg.Config})
	p.Name = name
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the Keycloak blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if err := checkBaseURL(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("ginoauth: %s: config: BaseURL: %w", name, err)
	}
	if cfg.Realm == "" {
		return nil, fmt.Errorf("ginoauth: %s: config: Realm is required", name)
	}
	provutil.FillCredentials(&cfg.Config, env)
	return provutil.New(Provider(cfg), cfg.Config, env)
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New(`must be an absolute URL such as "https://sso.example.com"`)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return nil
		}
		return errors.New("must use https (plain http only for localhost)")
	}
	return errors.New(`must be an absolute URL such as "https://sso.example.com"`)
}
