// Package twitter is the pre-configured X (formerly Twitter) provider,
// with OAuth 2.0 and PKCE.
//
// The default scopes are "tweet.read", "users.read" and "offline.access"
// (a refresh token). A confidential client authenticates with HTTP Basic;
// a public client (no client secret) sends its client ID in the body. X
// documents client_id in the code exchange body for both, which the
// blueprint sends. X does not share email addresses by default.
package twitter

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

// Provider returns the X provider description. When cfg.ClientID is set
// the code exchange carries it in its body, and when cfg has no client
// secret the client authenticates in the body as a public client; New
// applies the environment's credentials first.
func Provider(cfg ginoauth.Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:          "twitter",
		Endpoint:      endpoints.X,
		RevocationURL: "https://api.x.com/2/oauth2/revoke",
		APIBaseURL:    "https://api.x.com/2/",
		Scopes:        []string{"tweet.read", "users.read", "offline.access"},
		Profile:       profile,
	}
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if cfg.ClientSecret == "" && cfg.ClientSecretFunc == nil {
		p.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	if cfg.ClientID != "" {
		p.TokenParams = map[string]string{"client_id": cfg.ClientID}
	}
	return p
}

// New returns the X blueprint.
// ClientID and ClientSecret default to TWITTER_OAUTH_CLIENT_ID and
// TWITTER_OAUTH_CLIENT_SECRET. Leave ClientSecret empty for a public
// client.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	provutil.FillCredentials(&cfg, "TWITTER")
	return provutil.New(Provider(cfg), cfg, "TWITTER")
}

type meResponse struct {
	Data struct {
		ID              string `json:"id"`
		Name            string `json:"name"`
		Username        string `json:"username"`
		ProfileImageURL string `json:"profile_image_url"`
	} `json:"data"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var r meResponse
	raw, err := provutil.GetJSON(ctx, client, "users/me?user.fields=profile_image_url", &r)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: twitter: %w", err)
	}
	u := r.Data
	if u.ID == "" {
		return nil, errors.New("ginoauth: twitter: profile has no id")
	}
	return &ginoauth.Profile{ID: u.ID, Name: u.Name, Username: u.Username, AvatarURL: u.ProfileImageURL, Raw: raw}, nil
}
