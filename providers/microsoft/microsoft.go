// Package microsoft is the preset for personal Microsoft accounts
// (Outlook.com, Xbox, Skype, ...): the Microsoft identity platform's
// "consumers" tenant, with Microsoft Graph as the API.
//
// It is package azure with Tenant "consumers" under its own name and
// credentials: the ID token is verified (signature, issuer, audience,
// expiry, nonce) and must come from the personal-accounts tenant; Profile
// reads Graph's /v1.0/me. For work and school accounts, or both kinds,
// use package azure.
//
// Credentials default to MICROSOFT_OAUTH_CLIENT_ID and
// MICROSOFT_OAUTH_CLIENT_SECRET. Refresh needs the offline_access scope.
// New does no network I/O.
package microsoft

import (
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/azure"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

const (
	name   = "microsoft"
	env    = "MICROSOFT"
	tenant = "consumers"
)

// Config configures the Microsoft blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to MICROSOFT_OAUTH_CLIENT_ID and
	// MICROSOFT_OAUTH_CLIENT_SECRET. Scopes default to openid, email,
	// profile and User.Read; add offline_access to get refresh tokens.
	ginoauth.Config

	// Prompt is sent as the prompt parameter: "login", "none", "consent"
	// or "select_account". Optional. Default "" (not sent).
	Prompt string
	// LoginHint pre-fills the sign-in name (login_hint). Optional.
	// Default "" (not sent).
	LoginHint string
}

// Provider returns the Microsoft provider for cfg's options. The ID token
// verifier checks the audience against cfg.ClientID, or
// MICROSOFT_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	p := azure.Provider(azure.Config{
		Config:    cfg.Config,
		Tenant:    tenant,
		Prompt:    cfg.Prompt,
		LoginHint: cfg.LoginHint,
	})
	p.Name = name
	return p
}

// New returns the Microsoft blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	provutil.FillCredentials(&cfg.Config, env)
	return provutil.New(Provider(cfg), cfg.Config, env)
}
