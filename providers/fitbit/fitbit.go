// Package fitbit is the pre-configured Fitbit provider.
//
// Fitbit access tokens last eight hours; the refresh token that comes with
// them is used by the blueprint's client automatically, with the client
// credentials in an HTTP Basic header as Fitbit requires.
//
// Fitbit requires at least one scope, so the default is "profile", which
// the profile request needs (Flask-Dance sends none). Fitbit does not
// share email addresses.
package fitbit

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

// Provider returns the Fitbit provider description. The code exchange
// also carries client_id in its body, as Fitbit documents; Provider adds
// it when cfg.ClientID is set (New sets it from the environment first).
func Provider(cfg ginoauth.Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:          "fitbit",
		Endpoint:      endpoints.Fitbit,
		RevocationURL: "https://api.fitbit.com/oauth2/revoke",
		APIBaseURL:    "https://api.fitbit.com/",
		Scopes:        []string{"profile"},
		Profile:       profile,
	}
	// The client credentials go in an HTTP Basic header.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if cfg.ClientID != "" {
		p.TokenParams = map[string]string{"client_id": cfg.ClientID}
	}
	return p
}

// New returns the Fitbit blueprint.
// ClientID and ClientSecret default to FITBIT_OAUTH_CLIENT_ID and
// FITBIT_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	provutil.FillCredentials(&cfg, "FITBIT")
	return provutil.New(Provider(cfg), cfg, "FITBIT")
}

type profileResponse struct {
	User struct {
		EncodedID   string `json:"encodedId"`
		DisplayName string `json:"displayName"`
		FullName    string `json:"fullName"`
		Avatar      string `json:"avatar"`
		Avatar150   string `json:"avatar150"`
	} `json:"user"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var r profileResponse
	raw, err := provutil.GetJSON(ctx, client, "1/user/-/profile.json", &r)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: fitbit: %w", err)
	}
	u := r.User
	if u.EncodedID == "" {
		return nil, errors.New("ginoauth: fitbit: profile has no encodedId")
	}
	p := &ginoauth.Profile{ID: u.EncodedID, Name: u.FullName, Username: u.DisplayName, AvatarURL: u.Avatar150, Raw: raw}
	if p.Name == "" {
		p.Name = u.DisplayName
	}
	if p.AvatarURL == "" {
		p.AvatarURL = u.Avatar
	}
	return p, nil
}
