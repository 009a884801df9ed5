package okta_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/okta"
)

func ExampleNew() {
	// ClientID and ClientSecret default to OKTA_OAUTH_CLIENT_ID and
	// OKTA_OAUTH_CLIENT_SECRET.
	cfg := okta.Config{
		Domain: "dev-123456.okta.com",
		Config: ginoauth.Config{ClientID: "client-id"},
	}
	if _, err := okta.New(cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(okta.Provider(cfg).Endpoint.AuthURL)
	// Output: https://dev-123456.okta.com/oauth2/default/v1/authorize
}
