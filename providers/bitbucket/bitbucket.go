// Package bitbucket is the pre-configured Bitbucket Cloud provider.
//
// Bitbucket takes the scopes from the OAuth consumer's settings, so none
// are requested by default. With the "email" permission the profile
// carries the user's primary email address and whether it is confirmed.
package bitbucket

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

// Provider returns the Bitbucket provider description. It needs no
// credentials.
func Provider(ginoauth.Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:       "bitbucket",
		Endpoint:   endpoints.Bitbucket,
		APIBaseURL: "https://api.bitbucket.org/2.0/",
		Profile:    profile,
	}
	// The client credentials go in an HTTP Basic header.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the Bitbucket blueprint.
// ClientID (the consumer key) and ClientSecret default to
// BITBUCKET_OAUTH_CLIENT_ID and BITBUCKET_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg, "BITBUCKET")
}

type user struct {
	UUID        string `json:"uuid"`
	AccountID   string `json:"account_id"`
	Username    string `json:"username"`
	Nickname    string `json:"nickname"`
	DisplayName string `json:"display_name"`
	Links       struct {
		Avatar struct {
			Href string `json:"href"`
		} `json:"avatar"`
	} `json:"links"`
}

type emails struct {
	Values []struct {
		Email       string `json:"email"`
		IsPrimary   bool   `json:"is_primary"`
		IsConfirmed bool   `json:"is_confirmed"`
	} `json:"values"`
}

// profile reads /user, then /user/emails for the primary address when
// the token has the email permission. The ID is the user's UUID.
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u user
	raw, err := provutil.GetJSON(ctx, client, "user", &u)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: bitbucket: %w", err)
	}
	if u.UUID == "" {
		return nil, errors.New("ginoauth: bitbucket: profile has no uuid")
	}
	p := &ginoauth.Profile{ID: u.UUID, Name: u.DisplayName, Username: u.Username, AvatarURL: u.Links.Avatar.Href, Raw: raw}
	if p.Username == "" {
		p.Username = u.Nickname
	}
	var e emails
	if _, err := provutil.GetJSON(ctx, client, "user/emails", &e); err != nil {
		return p, nil // no email permission
	}
	for _, v := range e.Values {
		if v.IsPrimary {
			p.Email, p.EmailVerified = v.Email, v.IsConfirmed
			break
		}
	}
	return p, nil
}
