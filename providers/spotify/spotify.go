// Package spotify is the pre-configured Spotify provider.
//
// No scope is requested by default; add "user-read-email" to
// Config.Scopes for the user's email address. Spotify does not verify it,
// so Profile.EmailVerified stays false. Relative API URLs resolve against
// https://api.spotify.com/v1/.
package spotify

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

// Provider returns the Spotify provider description. It needs no
// credentials.
func Provider(ginoauth.Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:       "spotify",
		Endpoint:   endpoints.Spotify,
		APIBaseURL: "https://api.spotify.com/v1/",
		Profile:    profile,
	}
	// The client credentials go in an HTTP Basic header.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the Spotify blueprint.
// ClientID and ClientSecret default to SPOTIFY_OAUTH_CLIENT_ID and
// SPOTIFY_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg, "SPOTIFY")
}

type user struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Images      []struct {
		URL   string `json:"url"`
		Width int    `json:"width"`
	} `json:"images"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u user
	raw, err := provutil.GetJSON(ctx, client, "me", &u)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: spotify: %w", err)
	}
	if u.ID == "" {
		return nil, errors.New("ginoauth: spotify: profile has no id")
	}
	p := &ginoauth.Profile{ID: u.ID, Email: u.Email, Name: u.DisplayName, Username: u.ID, Raw: raw}
	width := -1
	for _, img := range u.Images {
		if img.URL != "" && img.Width > width {
			p.AvatarURL, width = img.URL, img.Width
		}
	}
	return p, nil
}
