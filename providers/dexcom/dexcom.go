// Package dexcom is the Dexcom preset, for the Dexcom API (continuous
// glucose monitoring data).
//
// The blueprint asks for offline_access, the one scope Dexcom defines, so
// tokens can be refreshed. With Config.Sandbox every URL (authorization,
// token and API) moves to Dexcom's sandbox host, sandbox-api.dexcom.com;
// Flask-Dance moved only the API base URL. Relative URLs given to the
// blueprint's Client resolve against https://{host}/ (so "v3/users/self/egvs"
// works).
//
// Dexcom has no profile API: no name, email or avatar. Profile returns only
// the user ID, which Dexcom's v3 responses carry (userId), read from
// v3/users/self/dataRange.
//
// Credentials default to DEXCOM_OAUTH_CLIENT_ID and
// DEXCOM_OAUTH_CLIENT_SECRET and are sent in the token request body.
package dexcom

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

const (
	name        = "dexcom"
	env         = "DEXCOM"
	prodHost    = "api.dexcom.com"
	sandboxHost = "sandbox-api.dexcom.com"
)

// Config configures the Dexcom blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to DEXCOM_OAUTH_CLIENT_ID and DEXCOM_OAUTH_CLIENT_SECRET.
	// Scopes default to offline_access.
	ginoauth.Config

	// Sandbox uses Dexcom's sandbox (sandbox-api.dexcom.com) for the
	// authorization, token and API URLs alike. Optional. Default false.
	Sandbox bool
	// Hostname is the API host for another region, such as
	// "api.dexcom.eu" or "api.dexcom.jp". Optional. Default api.dexcom.com
	// (sandbox-api.dexcom.com with Sandbox). It wins over Sandbox.
	Hostname string
}

// Host returns the host cfg selects.
func Host(cfg Config) string {
	switch {
	case cfg.Hostname != "":
		return cfg.Hostname
	case cfg.Sandbox:
		return sandboxHost
	}
	return prodHost
}

// Provider returns the Dexcom provider for cfg's options.
func Provider(cfg Config) ginoauth.Provider {
	base := "https://" + Host(cfg) + "/"
	return ginoauth.Provider{
		Name: name,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "v2/oauth2/login",
			TokenURL:  base + "v2/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		APIBaseURL: base,
		Scopes:     []string{"offline_access"},
		Profile:    profile,
	}
}

// New returns the Dexcom blueprint, the equivalent of Flask-Dance's
// make_dexcom_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if cfg.Hostname != "" {
		if err := provutil.CheckHost(cfg.Hostname, "api.dexcom.eu"); err != nil {
			return nil, fmt.Errorf("ginoauth: %s: config: Hostname: %w", name, err)
		}
	}
	return provutil.New(Provider(cfg), cfg.Config, env)
}

// profile reads the user ID from v3/users/self/dataRange. It is all Dexcom
// tells about the user.
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var v struct {
		UserID string `json:"userId"`
	}
	raw, err := provutil.GetJSON(ctx, client, "v3/users/self/dataRange", &v)
	if err != nil {
		return nil, err
	}
	if v.UserID == "" {
		return nil, errors.New("dexcom: profile: no userId")
	}
	return &ginoauth.Profile{ID: v.UserID, Raw: raw}, nil
}
