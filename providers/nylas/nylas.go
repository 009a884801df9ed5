// Package nylas is the pre-configured Nylas provider: Nylas v3 hosted
// OAuth with an access token, or the retired v2 API that Flask-Dance
// targets.
//
// In v3 the client secret is the Nylas application's API key, sent in the
// token request body. The token response's grant_id and email fields are
// kept in Token.Extra; the profile comes from GET /v3/grants/me.
package nylas

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Data regions for Config.Region.
const (
	RegionUS = "us"
	RegionEU = "eu"
)

// Config configures the Nylas blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// (in v3, the API key) default to NYLAS_OAUTH_CLIENT_ID and
	// NYLAS_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// Region is the v3 data region, RegionUS or RegionEU. Optional.
	// Default RegionUS.
	Region string
	// V2 uses the v2 API at api.nylas.com with the default scope "email",
	// as Flask-Dance does. Nylas has retired v2. Optional. Default false.
	V2 bool
}

// Provider returns the Nylas provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	if cfg.V2 {
		return ginoauth.Provider{
			Name: "nylas",
			Endpoint: oauth2.Endpoint{
				AuthURL:   "https://api.nylas.com/oauth/authorize",
				TokenURL:  "https://api.nylas.com/oauth/token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
			APIBaseURL: "https://api.nylas.com/",
			Scopes:     []string{"email"},
			Profile:    profileV2,
		}
	}
	region := cfg.Region
	if region == "" {
		region = RegionUS
	}
	base := "https://api." + region + ".nylas.com/v3/"
	return ginoauth.Provider{
		Name: "nylas",
		Endpoint: oauth2.Endpoint{
			AuthURL:  base + "connect/auth",
			TokenURL: base + "connect/token",
			// The API key goes in the body as client_secret.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		APIBaseURL: base,
		Profile:    profileV3,
	}
}

// New returns the Nylas blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	for _, r := range cfg.Region {
		if r < 'a' || r > 'z' {
			return nil, fmt.Errorf("ginoauth: nylas: config: Region %q must be a region code such as %q", cfg.Region, RegionEU)
		}
	}
	return provutil.New(Provider(cfg), cfg.Config, "NYLAS")
}

type grantResponse struct {
	Data struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Name     string `json:"name"`
		Provider string `json:"provider"`
	} `json:"data"`
}

func profileV3(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var g grantResponse
	raw, err := provutil.GetJSON(ctx, client, "grants/me", &g)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: nylas: %w", err)
	}
	if g.Data.ID == "" {
		return nil, errors.New("ginoauth: nylas: grant has no id")
	}
	return &ginoauth.Profile{ID: g.Data.ID, Email: g.Data.Email, Name: g.Data.Name, Raw: raw}, nil
}

type accountV2 struct {
	ID           string `json:"id"`
	EmailAddress string `json:"email_address"`
	Name         string `json:"name"`
}

func profileV2(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var a accountV2
	raw, err := provutil.GetJSON(ctx, client, "account", &a)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: nylas: %w", err)
	}
	if a.ID == "" {
		return nil, errors.New("ginoauth: nylas: account has no id")
	}
	return &ginoauth.Profile{ID: a.ID, Email: a.EmailAddress, Name: a.Name, Raw: raw}, nil
}
