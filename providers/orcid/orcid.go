// Package orcid is the pre-configured ORCID provider, for the production
// registry or its sandbox.
//
// ORCID requires a scope; the default is "/authenticate", which is enough
// to learn the user's ORCID iD. The token response carries the iD and the
// user's name ("orcid" and "name" in Token.Extra), so the profile needs
// no API call.
package orcid

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Config configures the ORCID blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to ORCID_OAUTH_CLIENT_ID and ORCID_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// Sandbox moves every URL to the ORCID sandbox (sandbox.orcid.org).
	// Optional. Default false.
	Sandbox bool
	// MemberAPI makes the API base URL the Member API
	// (https://api.orcid.org/v3.0/), for ORCID member organisations.
	// Optional. Default false: the Public API (https://pub.orcid.org/v3.0/).
	MemberAPI bool
}

// Provider returns the ORCID provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	site, pub, member := "https://orcid.org/", "https://pub.orcid.org/v3.0/", "https://api.orcid.org/v3.0/"
	if cfg.Sandbox {
		site, pub, member = "https://sandbox.orcid.org/", "https://pub.sandbox.orcid.org/v3.0/", "https://api.sandbox.orcid.org/v3.0/"
	}
	api := pub
	if cfg.MemberAPI {
		api = member
	}
	return ginoauth.Provider{
		Name: "orcid",
		Endpoint: oauth2.Endpoint{
			AuthURL:  site + "oauth/authorize",
			TokenURL: site + "oauth/token",
			// ORCID documents client_id and client_secret as body
			// parameters, for the token and the revocation requests.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RevocationURL: site + "oauth/revoke",
		APIBaseURL:    api,
		Scopes:        []string{"/authenticate"},
		Profile:       profile,
	}
}

// New returns the ORCID blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg.Config, "ORCID")
}

// profile reads the iD and name the token response carried.
func profile(_ context.Context, _ *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	if t == nil {
		return nil, errors.New("ginoauth: orcid: no token")
	}
	id := provutil.String(t.Extra["orcid"])
	if id == "" {
		return nil, errors.New("ginoauth: orcid: the token has no orcid field")
	}
	name := provutil.String(t.Extra["name"])
	raw, err := json.Marshal(struct {
		ORCID string `json:"orcid"`
		Name  string `json:"name,omitempty"`
	}{id, name})
	if err != nil {
		return nil, err
	}
	return &ginoauth.Profile{ID: id, Name: name, Raw: raw}, nil
}
