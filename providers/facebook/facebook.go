// Package facebook is the pre-configured Facebook Login provider.
//
// No scope is requested by default, which grants "public_profile"; add
// "email" to Config.Scopes for the user's email address. Facebook does
// not say whether that address is verified, so Profile.EmailVerified stays
// false.
package facebook

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

// Config configures the Facebook blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to FACEBOOK_OAUTH_CLIENT_ID and FACEBOOK_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// RerequestDeclinedPermissions asks again for permissions the user
	// declined before (auth_type=rerequest). Optional. Default false.
	RerequestDeclinedPermissions bool
}

// Provider returns the Facebook provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:       "facebook",
		Endpoint:   endpoints.Facebook,
		APIBaseURL: "https://graph.facebook.com/",
		Profile:    profile,
	}
	// The Graph API documents client_id and client_secret as parameters.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	if cfg.RerequestDeclinedPermissions {
		p.AuthParams = map[string]string{"auth_type": "rerequest"}
	}
	return p
}

// New returns the Facebook blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg.Config, "FACEBOOK")
}

type user struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Picture struct {
		Data struct {
			URL          string `json:"url"`
			IsSilhouette bool   `json:"is_silhouette"`
		} `json:"data"`
	} `json:"picture"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u user
	raw, err := provutil.GetJSON(ctx, client, "me?fields=id,name,email,picture", &u)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: facebook: %w", err)
	}
	if u.ID == "" {
		return nil, errors.New("ginoauth: facebook: profile has no id")
	}
	p := &ginoauth.Profile{ID: u.ID, Email: u.Email, Name: u.Name, Raw: raw}
	if !u.Picture.Data.IsSilhouette {
		p.AvatarURL = u.Picture.Data.URL
	}
	return p, nil
}
