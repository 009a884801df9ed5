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
	bp, err := auth0.New(auth0.Config{
		Domain:   "example.us.auth0.com",
		Audience: "https://api.example.com", // an access token for this API
		Config:   ginoauth.Config{ClientID: "client-id"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bp.Provider().Endpoint.TokenURL)
	// Output: https://example.us.auth0.com/oauth/token
}
