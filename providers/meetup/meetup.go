// Package meetup is the pre-configured Meetup provider.
//
// Meetup calls the client ID the key and the secret the secret. Its API is
// GraphQL: POST a query to "gql-ext" with the blueprint's client. The
// default scope is "basic".
package meetup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// GraphQLPath is Meetup's GraphQL endpoint, relative to the API base URL.
const GraphQLPath = "gql-ext"

// Provider returns the Meetup provider description. It needs no
// credentials.
func Provider(ginoauth.Config) ginoauth.Provider {
	return ginoauth.Provider{
		Name: "meetup",
		Endpoint: oauth2.Endpoint{
			AuthURL:  "https://secure.meetup.com/oauth2/authorize",
			TokenURL: "https://secure.meetup.com/oauth2/access",
			// Meetup documents client_id and client_secret as body
			// parameters.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		APIBaseURL: "https://api.meetup.com/",
		Scopes:     []string{"basic"},
		Profile:    profile,
	}
}

// New returns the Meetup blueprint.
// ClientID (the key) and ClientSecret default to MEETUP_OAUTH_CLIENT_ID and
// MEETUP_OAUTH_CLIENT_SECRET.
func New(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg, "MEETUP")
}

// id is a member ID, which Meetup sends as a string or a number.
type id string

func (i *id) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*i = id(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*i = id(n.String())
	return nil
}

type selfResponse struct {
	Data struct {
		Self *struct {
			ID    id     `json:"id"`
			Name  string `json:"name"`
			Email string `json:"email"`
		} `json:"self"`
	} `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

const selfQuery = `{"query":"query { self { id name email } }"}`

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, GraphQLPath, strings.NewReader(selfQuery))
	if err != nil {
		return nil, fmt.Errorf("ginoauth: meetup: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	var r selfResponse
	raw, err := provutil.DoJSON(client, req, &r)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: meetup: %w", err)
	}
	if len(r.Errors) > 0 {
		return nil, fmt.Errorf("ginoauth: meetup: profile query failed: %s", r.Errors[0].Message)
	}
	s := r.Data.Self
	if s == nil || s.ID == "" {
		return nil, errors.New("ginoauth: meetup: profile has no id")
	}
	return &ginoauth.Profile{ID: string(s.ID), Email: s.Email, Name: s.Name, Raw: raw}, nil
}
