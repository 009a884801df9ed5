// Package osm is the pre-configured OpenStreetMap provider.
//
// The default scope is "read_prefs", which the profile request
// (user/details) needs (Flask-Dance sends none). OpenStreetMap does not
// share email addresses through its API.
package osm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Provider returns the OpenStreetMap provider description. It needs no
// credentials.
func Provider(ginoauth.Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:          "osm",
		Endpoint:      endpoints.OpenStreetMap,
		RevocationURL: "https://www.openstreetmap.org/oauth2/revoke",
		APIBaseURL:    "https://api.openstreetmap.org/api/0.6/",
		Scopes:        []string{"read_prefs"},
		Profile:       profile,
	}
	// The client credentials go in an HTTP Basic header.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the OpenStreetMap blueprint.
// ClientID and ClientSecret default to OSM_OAUTH_CLIENT_ID and
// OSM_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg, "OSM")
}

type details struct {
	User struct {
		ID          int64  `json:"id"`
		DisplayName string `json:"display_name"`
		Img         struct {
			Href string `json:"href"`
		} `json:"img"`
	} `json:"user"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var d details
	raw, err := provutil.GetJSON(ctx, client, "user/details.json", &d)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: osm: %w", err)
	}
	u := d.User
	if u.ID == 0 {
		return nil, errors.New("ginoauth: osm: profile has no id")
	}
	return &ginoauth.Profile{
		ID:        strconv.FormatInt(u.ID, 10),
		Name:      u.DisplayName,
		Username:  u.DisplayName,
		AvatarURL: u.Img.Href,
		Raw:       raw,
	}, nil
}
