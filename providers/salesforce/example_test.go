package salesforce_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/salesforce"
)

func ExampleNew() {
	// ClientID and ClientSecret default to SALESFORCE_OAUTH_CLIENT_ID and
	// SALESFORCE_OAUTH_CLIENT_SECRET.
	cfg := salesforce.Config{
		Sandbox: true,
		Config:  ginoauth.Config{ClientID: "client-id", Scopes: []string{"api", "openid", "refresh_token"}},
	}
	if _, err := salesforce.New(cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(salesforce.Provider(cfg).Endpoint.AuthURL)
	// Output: https://test.salesforce.com/services/oauth2/authorize
}
