// Package google is the Google preset: OpenID Connect login with Google
// accounts, and an API client for Google APIs.
//
// The blueprint asks for the openid, email and profile scopes, sends a
// nonce, and verifies the ID token the token endpoint returns (signature
// with Google's published keys, issuer, audience, expiry, nonce) before
// the token is stored. Profile reads Google's OpenID Connect userinfo
// endpoint. Relative URLs given to the blueprint's Client resolve against
// https://www.googleapis.com/. Logout revokes the token at Google.
//
// Credentials default to GOOGLE_OAUTH_CLIENT_ID and
// GOOGLE_OAUTH_CLIENT_SECRET. New does no network I/O: Google's signing
// keys are fetched on the first login and cached (see package oidc).
package google

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name        = "google"
	env         = "GOOGLE"
	issuer      = "https://accounts.google.com"
	jwksURL     = "https://www.googleapis.com/oauth2/v3/certs"
	userInfoURL = "https://openidconnect.googleapis.com/v1/userinfo"
	revokeURL   = "https://oauth2.googleapis.com/revoke"
	apiBaseURL  = "https://www.googleapis.com/"
)

// Config configures the Google blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET.
	// Scopes default to openid, email and profile.
	ginoauth.Config

	// Offline asks for a refresh token (access_type=offline), so the
	// blueprint's Client can refresh the access token after it expires.
	// Optional. Default false: tokens expire after about an hour and the
	// user logs in again. Google sends a refresh token only on the first
	// consent; set RepromptConsent to get a new one.
	Offline bool
	// RepromptConsent shows Google's consent screen even when the user has
	// already approved the app (prompt=consent). Optional. Default false.
	RepromptConsent bool
	// RepromptSelectAccount shows Google's account chooser even when one
	// account is signed in (prompt=select_account). Optional. Default
	// false. With RepromptConsent the prompt is "consent select_account".
	RepromptSelectAccount bool
	// HostedDomain limits the login to accounts of a Google Workspace
	// domain, such as "example.com", or to any Workspace account with "*".
	// Optional. Default "": any Google account. The hd parameter it sends
	// only preselects accounts in Google's page and can be edited by the
	// user, so the blueprint also checks the verified ID token's hd claim
	// and rejects the login (KindIDTokenInvalid) when it differs. It needs
	// the openid scope.
	HostedDomain string
}

// Provider returns the Google provider for cfg's options. The ID token
// verifier checks the audience against cfg.ClientID, or
// GOOGLE_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	ep := endpoints.Google
	ep.AuthStyle = oauth2.AuthStyleInParams
	p := oidc.FromMetadata(oidc.Metadata{
		Issuer:        issuer,
		AuthURL:       ep.AuthURL,
		TokenURL:      ep.TokenURL,
		UserInfoURL:   userInfoURL,
		JWKSURL:       jwksURL,
		RevocationURL: revokeURL,
		Algorithms:    []string{"RS256"},
	}, oidc.Config{Config: cfg.Config, CheckClaims: hostedDomainCheck(cfg.HostedDomain)})
	p.Name = name
	p.Endpoint = ep
	p.APIBaseURL = apiBaseURL
	p.AuthParams = authParams(cfg)
	p.RefreshDisabled = !cfg.Offline
	return p
}

func authParams(cfg Config) map[string]string {
	params := map[string]string{}
	if cfg.Offline {
		params["access_type"] = "offline"
	}
	var prompt []string
	if cfg.RepromptConsent {
		prompt = append(prompt, "consent")
	}
	if cfg.RepromptSelectAccount {
		prompt = append(prompt, "select_account")
	}
	if len(prompt) > 0 {
		params["prompt"] = strings.Join(prompt, " ")
	}
	if cfg.HostedDomain != "" {
		params["hd"] = cfg.HostedDomain
	}
	return params
}

// hostedDomainCheck returns the ID token check for HostedDomain, or nil.
func hostedDomainCheck(domain string) func(map[string]any) error {
	if domain == "" {
		return nil
	}
	return func(claims map[string]any) error {
		hd, _ := claims["hd"].(string)
		switch {
		case hd == "":
			return errors.New("google: the account belongs to no hosted domain")
		case domain != "*" && !strings.EqualFold(hd, domain):
			return errors.New("google: the account belongs to another hosted domain")
		}
		return nil
	}
}

// New returns the Google blueprint, the equivalent of Flask-Dance's
// make_google_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	provutil.FillCredentials(&cfg.Config, env)
	if cfg.HostedDomain != "" && !provutil.HasScope(provutil.Scopes(cfg.Config, []string{"openid"}), "openid") {
		return nil, fmt.Errorf("ginoauth: %s: config: HostedDomain needs the openid scope to verify the hd claim", name)
	}
	return provutil.New(Provider(cfg), cfg.Config, env)
}
