// Package heroku is the pre-configured Heroku provider.
//
// Every request made with the blueprint's client carries Heroku's
// versioned media type, "Accept: application/vnd.heroku+json; version=3"
// by default, unless the request sets its own Accept header.
package heroku

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

// DefaultAPIVersion is the Platform API version sent by default.
const DefaultAPIVersion = "3"

// Config configures the Heroku blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to HEROKU_OAUTH_CLIENT_ID and HEROKU_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// APIVersion is the Platform API version in the Accept header.
	// Optional. Default DefaultAPIVersion ("3").
	APIVersion string
}

// Provider returns the Heroku provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	v := cfg.APIVersion
	if v == "" {
		v = DefaultAPIVersion
	}
	p := ginoauth.Provider{
		Name:       "heroku",
		Endpoint:   endpoints.Heroku,
		APIBaseURL: "https://api.heroku.com/",
		Header:     http.Header{"Accept": {"application/vnd.heroku+json; version=" + v}},
		Profile:    profile,
	}
	// Heroku documents client_secret as a body parameter of the token
	// and refresh requests.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return p
}

// New returns the Heroku blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg.Config, "HEROKU")
}

type account struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// profile reads /account. The request sets no Accept header of its own,
// so the provider's versioned one applies.
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "account", nil)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: heroku: %w", err)
	}
	var a account
	raw, err := provutil.DoJSON(client, req, &a)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: heroku: %w", err)
	}
	if a.ID == "" {
		return nil, errors.New("ginoauth: heroku: profile has no id")
	}
	// The account's "verified" field is about billing, not the email.
	return &ginoauth.Profile{ID: a.ID, Email: a.Email, Name: a.Name, Raw: raw}, nil
}
