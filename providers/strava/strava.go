// Package strava is the pre-configured Strava provider.
//
// The default scope is "read"; Strava separates scopes with commas, which
// the blueprint does. The client credentials go in the body of the token
// and refresh requests, as Strava requires, and expired access tokens are
// refreshed by the blueprint's client. Relative API URLs resolve against
// https://www.strava.com/api/v3/.
//
// The code exchange's answer includes the athlete (Token.Extra["athlete"]);
// the profile uses it and calls GET /athlete only when it is absent.
// Strava does not share email addresses.
package strava

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Provider returns the Strava provider description. It needs no
// credentials.
func Provider(ginoauth.Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:           "strava",
		Endpoint:       endpoints.Strava,
		APIBaseURL:     "https://www.strava.com/api/v3/",
		Scopes:         []string{"read"},
		ScopeSeparator: ",",
		Profile:        profile,
	}
	p.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return p
}

// New returns the Strava blueprint.
// ClientID and ClientSecret default to STRAVA_OAUTH_CLIENT_ID and
// STRAVA_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg, "STRAVA")
}

type athlete struct {
	ID            json.Number `json:"id"`
	Username      string      `json:"username"`
	Firstname     string      `json:"firstname"`
	Lastname      string      `json:"lastname"`
	Profile       string      `json:"profile"`
	ProfileMedium string      `json:"profile_medium"`
}

func profile(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	var a athlete
	var raw json.RawMessage
	if m, ok := t.Extra["athlete"].(map[string]any); ok && m["id"] != nil {
		b, err := json.Marshal(m)
		if err == nil && json.Unmarshal(b, &a) == nil {
			raw = b
		}
	}
	if raw == nil {
		a = athlete{}
		b, err := provutil.GetJSON(ctx, client, "athlete", &a)
		if err != nil {
			return nil, fmt.Errorf("ginoauth: strava: %w", err)
		}
		raw = b
	}
	if a.ID == "" {
		return nil, errors.New("ginoauth: strava: athlete has no id")
	}
	name := a.Firstname
	if a.Lastname != "" {
		if name != "" {
			name += " "
		}
		name += a.Lastname
	}
	avatar := a.Profile
	if avatar == "" {
		avatar = a.ProfileMedium
	}
	return &ginoauth.Profile{ID: a.ID.String(), Name: name, Username: a.Username, AvatarURL: avatar, Raw: raw}, nil
}
