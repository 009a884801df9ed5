// Package atlassian is the Atlassian preset: OAuth 2.0 (3LO) apps for Jira,
// Confluence and the other Atlassian cloud products.
//
// Every login carries audience=api.atlassian.com, which Atlassian
// requires. The blueprint asks for read:me, which the profile needs; add
// the product scopes the app uses. Refresh needs the offline_access scope
// (Atlassian then rotates the refresh token on every refresh; the
// blueprint saves each new one). Profile reads https://api.atlassian.com/me.
// Relative URLs given to the blueprint's Client resolve against
// https://api.atlassian.com/, where product APIs live under
// "ex/jira/{cloudid}/..." (list the sites with
// "oauth/token/accessible-resources").
//
// Credentials default to ATLASSIAN_OAUTH_CLIENT_ID and
// ATLASSIAN_OAUTH_CLIENT_SECRET and are sent in the token request body.
package atlassian

import (
	"context"
	"errors"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

const (
	name       = "atlassian"
	env        = "ATLASSIAN"
	authURL    = "https://auth.atlassian.com/authorize"
	tokenURL   = "https://auth.atlassian.com/oauth/token"
	apiBaseURL = "https://api.atlassian.com/"
	audience   = "api.atlassian.com"
)

// Config configures the Atlassian blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to ATLASSIAN_OAUTH_CLIENT_ID and
	// ATLASSIAN_OAUTH_CLIENT_SECRET. Scopes default to read:me; include
	// offline_access to get refresh tokens.
	ginoauth.Config

	// RepromptConsent shows the consent screen even when the user has
	// already approved the app (prompt=consent). Optional. Default false.
	RepromptConsent bool
}

func defaultScopes() []string { return []string{"read:me"} }

// Provider returns the Atlassian provider for cfg's options.
func Provider(cfg Config) ginoauth.Provider {
	params := map[string]string{"audience": audience}
	if cfg.RepromptConsent {
		params["prompt"] = "consent"
	}
	return ginoauth.Provider{
		Name: name,
		Endpoint: oauth2.Endpoint{
			AuthURL:   authURL,
			TokenURL:  tokenURL,
			AuthStyle: oauth2.AuthStyleInParams,
		},
		APIBaseURL:      apiBaseURL,
		Scopes:          defaultScopes(),
		AuthParams:      params,
		Profile:         profile,
		RefreshDisabled: !provutil.HasScope(provutil.Scopes(cfg.Config, defaultScopes()), "offline_access"),
	}
}

// New returns the Atlassian blueprint, the equivalent of Flask-Dance's
// make_atlassian_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg.Config, env)
}

// me is the part of Atlassian's /me answer the profile uses.
type me struct {
	AccountID     string `json:"account_id"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
	Nickname      string `json:"nickname"`
	Picture       string `json:"picture"`
}

// profile reads /me: account_id → ID, nickname → Username. EmailVerified
// follows Atlassian's email_verified field.
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u me
	raw, err := provutil.GetJSON(ctx, client, "me", &u)
	if err != nil {
		return nil, err
	}
	if u.AccountID == "" {
		return nil, errors.New("atlassian: profile: no account_id")
	}
	return &ginoauth.Profile{
		ID:            u.AccountID,
		Email:         u.Email,
		EmailVerified: u.Email != "" && u.EmailVerified,
		Name:          u.Name,
		Username:      u.Nickname,
		AvatarURL:     u.Picture,
		Raw:           raw,
	}, nil
}
