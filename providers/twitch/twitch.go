// Package twitch is the pre-configured Twitch provider.
//
// Every Helix API call carries the Client-Id header Twitch requires, set
// from the blueprint's client ID once the credentials are known (also
// when they come from the environment). The client credentials go in the
// body of the token and refresh requests, as Twitch requires.
//
// Add "user:read:email" to Config.Scopes for the user's email address,
// which Twitch only returns verified.
package twitch

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

// Provider returns the Twitch provider description. Its Header carries
// Client-Id when cfg.ClientID is set; New sets it from the environment
// first.
func Provider(cfg ginoauth.Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:       "twitch",
		Endpoint:   endpoints.Twitch,
		APIBaseURL: "https://api.twitch.tv/helix/",
		Profile:    profile,
		// Twitch's revocation endpoint takes access tokens only.
		RevocationURL:     "https://id.twitch.tv/oauth2/revoke",
		RevokeAccessToken: true,
	}
	p.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if cfg.ClientID != "" {
		p.Header = http.Header{"Client-Id": {cfg.ClientID}}
	}
	return p
}

// New returns the Twitch blueprint.
// ClientID and ClientSecret default to TWITCH_OAUTH_CLIENT_ID and
// TWITCH_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	provutil.FillCredentials(&cfg, "TWITCH")
	return provutil.New(Provider(cfg), cfg, "TWITCH")
}

type usersResponse struct {
	Data []struct {
		ID              string `json:"id"`
		Login           string `json:"login"`
		DisplayName     string `json:"display_name"`
		ProfileImageURL string `json:"profile_image_url"`
		Email           string `json:"email"`
	} `json:"data"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var r usersResponse
	raw, err := provutil.GetJSON(ctx, client, "users", &r)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: twitch: %w", err)
	}
	if len(r.Data) == 0 || r.Data[0].ID == "" {
		return nil, errors.New("ginoauth: twitch: profile has no user")
	}
	u := r.Data[0]
	return &ginoauth.Profile{
		ID:            u.ID,
		Email:         u.Email,
		EmailVerified: u.Email != "", // Twitch returns only a verified email
		Name:          u.DisplayName,
		Username:      u.Login,
		AvatarURL:     u.ProfileImageURL,
		Raw:           raw,
	}, nil
}
