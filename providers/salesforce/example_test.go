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
	bp, err := salesforce.New(salesforce.Config{
		Sandbox: true,
		Config:  ginoauth.Config{ClientID: "client-id", Scopes: []string{"api", "openid", "refresh_token"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bp.Provider().Endpoint.AuthURL)
	// Output: https://test.salesforce.com/services/oauth2/authorize
}
