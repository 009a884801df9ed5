package auth0_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/auth0"
)

func ExampleNew() {
	// ClientID and ClientSecret default to AUTH0_OAUTH_CLIENT_ID and
	// AUTH0_OAUTH_CLIENT_SECRET.
	cfg := auth0.Config{
		Domain:   "example.us.auth0.com",
		Audience: "https://api.example.com", // an access token for this API
		Config:   ginoauth.Config{ClientID: "client-id"},
	}
	if _, err := auth0.New(cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(auth0.Provider(cfg).Endpoint.TokenURL)
	// Output: https://example.us.auth0.com/oauth/token
}
