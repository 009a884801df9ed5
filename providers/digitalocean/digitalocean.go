// Package digitalocean is the pre-configured DigitalOcean provider.
//
// DigitalOcean's scopes are "read" and "read write" (space-separated, as
// the blueprint joins Config.Scopes); none is requested by default, which
// grants read access. The client credentials go in the body of the token
// and refresh requests. Relative API URLs resolve against
// https://api.digitalocean.com/v2/.
package digitalocean

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Provider returns the DigitalOcean provider description. It needs no
// credentials.
func Provider(ginoauth.Config) ginoauth.Provider {
	return ginoauth.Provider{
		Name: "digitalocean",
		Endpoint: oauth2.Endpoint{
			AuthURL:   "https://cloud.digitalocean.com/v1/oauth/authorize",
			TokenURL:  "https://cloud.digitalocean.com/v1/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		APIBaseURL: "https://api.digitalocean.com/v2/",
		Profile:    profile,
	}
}

// New returns the DigitalOcean blueprint.
// ClientID and ClientSecret default to DIGITALOCEAN_OAUTH_CLIENT_ID and
// DIGITALOCEAN_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg, "DIGITALOCEAN")
}

type accountResponse struct {
	Account struct {
		UUID          string `json:"uuid"`
		Name          string `json:"name"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
	} `json:"account"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var r accountResponse
	raw, err := provutil.GetJSON(ctx, client, "account", &r)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: digitalocean: %w", err)
	}
	a := r.Account
	if a.UUID == "" {
		return nil, errors.New("ginoauth: digitalocean: account has no uuid")
	}
	return &ginoauth.Profile{
		ID:            a.UUID,
		Email:         a.Email,
		EmailVerified: a.Email != "" && a.EmailVerified,
		Name:          a.Name,
		Raw:           raw,
	}, nil
}
