// Package dropbox is the pre-configured Dropbox provider.
//
// Dropbox calls the client ID the app key and the secret the app secret.
// Set Config.Offline for a refresh token: the blueprint's client then
// refreshes the short-lived access token by itself.
package dropbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Roles for Config.RequireRole.
const (
	RoleWork     = "work"
	RolePersonal = "personal"
)

// Config configures the Dropbox blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID (the app key) and
	// ClientSecret (the app secret) default to DROPBOX_OAUTH_CLIENT_ID and
	// DROPBOX_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// Offline asks for a refresh token (token_access_type=offline), so
	// the app keeps access after the short-lived access token expires.
	// Optional. Default false.
	Offline bool
	// ForceReapprove shows the approval screen even to users who already
	// approved the app (force_reapprove=true). Optional. Default false.
	ForceReapprove bool
	// DisableSignup hides the sign-up link on the authorization page
	// (disable_signup=true). Optional. Default false.
	DisableSignup bool
	// RequireRole makes the user pick their RoleWork or RolePersonal
	// account when both are linked (require_role). Optional. Default none.
	RequireRole string
}

// Provider returns the Dropbox provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	params := map[string]string{}
	if cfg.Offline {
		params["token_access_type"] = "offline"
	}
	if cfg.ForceReapprove {
		params["force_reapprove"] = "true"
	}
	if cfg.DisableSignup {
		params["disable_signup"] = "true"
	}
	if cfg.RequireRole != "" {
		params["require_role"] = cfg.RequireRole
	}
	if len(params) == 0 {
		params = nil
	}
	p := ginoauth.Provider{
		Name:       "dropbox",
		Endpoint:   endpoints.Dropbox,
		APIBaseURL: "https://api.dropboxapi.com/2/",
		AuthParams: params,
		Profile:    profile,
	}
	// The client credentials go in an HTTP Basic header.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the Dropbox blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	switch cfg.RequireRole {
	case "", RoleWork, RolePersonal:
	default:
		return nil, fmt.Errorf("ginoauth: dropbox: config: RequireRole %q must be %q or %q", cfg.RequireRole, RoleWork, RolePersonal)
	}
	return provutil.New(Provider(cfg), cfg.Config, "DROPBOX")
}

type account struct {
	AccountID string `json:"account_id"`
	Name      struct {
		DisplayName string `json:"display_name"`
	} `json:"name"`
	Email           string `json:"email"`
	EmailVerified   bool   `json:"email_verified"`
	ProfilePhotoURL string `json:"profile_photo_url"`
}

// profile calls users/get_current_account, an RPC endpoint: a POST with
// no arguments and therefore no body.
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "users/get_current_account", nil)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: dropbox: %w", err)
	}
	var a account
	raw, err := provutil.DoJSON(client, req, &a)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: dropbox: %w", err)
	}
	if a.AccountID == "" {
		return nil, errors.New("ginoauth: dropbox: profile has no account_id")
	}
	return &ginoauth.Profile{
		ID:            a.AccountID,
		Email:         a.Email,
		EmailVerified: a.Email != "" && a.EmailVerified,
		Name:          a.Name.DisplayName,
		AvatarURL:     a.ProfilePhotoURL,
		Raw:           raw,
	}, nil
}
