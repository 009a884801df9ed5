// Package linkedin is the LinkedIn preset: "Sign In with LinkedIn using
// OpenID Connect", and an API client for LinkedIn's v2 API.
//
// The blueprint asks for openid, profile and email, verifies the ID token
// (signature with LinkedIn's published keys, issuer, audience, expiry) and
// reads the profile from LinkedIn's userinfo endpoint. Relative URLs given
// to the blueprint's Client resolve against https://api.linkedin.com/v2/.
// Logout revokes the token.
//
// LinkedIn quirks handled here: the client ID and secret go in the token
// request body; PKCE is off, because LinkedIn's token endpoint refuses a
// code_verifier from web apps; and LinkedIn's ID tokens carry no nonce, so
// a missing nonce is accepted (a nonce that is present must still match).
// The ID token comes straight from the token endpoint in exchange for a
// code bound to the login's state, so the missing nonce opens no replay.
//
// Without PKCE and without a nonce, nothing binds an authorization code to
// the browser that started the login except the state: a code stolen from
// another user's callback (a leaked URL, a log line, a referrer) could be
// injected into an attacker's own login (RFC 9700 section 4.5, code
// injection). Keep callback URLs out of logs and pages (gin's
// LoggerConfig.SkipQueryString), serve the app over https only, and prefer
// a provider that supports PKCE where this matters.
//
// Credentials default to LINKEDIN_OAUTH_CLIENT_ID and
// LINKEDIN_OAUTH_CLIENT_SECRET. New does no network I/O.
package linkedin

import (
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name        = "linkedin"
	env         = "LINKEDIN"
	issuer      = "https://www.linkedin.com/oauth"
	jwksURL     = "https://www.linkedin.com/oauth/openid/jwks"
	userInfoURL = "https://api.linkedin.com/v2/userinfo"
	revokeURL   = "https://www.linkedin.com/oauth/v2/revoke"
	apiBaseURL  = "https://api.linkedin.com/v2/"
)

// Provider returns the LinkedIn provider. The ID token verifier checks the
// audience against cfg.ClientID, or LINKEDIN_OAUTH_CLIENT_ID when that is
// empty.
func Provider(cfg ginoauth.Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg, env)
	ep := endpoints.LinkedIn
	ep.AuthStyle = oauth2.AuthStyleInParams
	p := oidc.FromMetadata(oidc.Metadata{
		Issuer:        issuer,
		AuthURL:       ep.AuthURL,
		TokenURL:      ep.TokenURL,
		UserInfoURL:   userInfoURL,
		JWKSURL:       jwksURL,
		RevocationURL: revokeURL,
		Algorithms:    []string{"RS256"},
	}, oidc.Config{Config: cfg, AllowMissingNonce: true})
	p.Name = name
	p.Endpoint = ep
	p.APIBaseURL = apiBaseURL
	p.DisablePKCE = true
	return p
}

// New returns the LinkedIn blueprint, the equivalent of Flask-Dance's
// make_linkedin_blueprint.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	provutil.FillCredentials(&cfg, env)
	return provutil.New(Provider(cfg), cfg, env)
}
