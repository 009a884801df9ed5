package microsoft_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/microsoft"
)

func ExampleNew() {
	// ClientID and ClientSecret default to MICROSOFT_OAUTH_CLIENT_ID and
	// MICROSOFT_OAUTH_CLIENT_SECRET.
	bp, err := microsoft.New(microsoft.Config{Config: ginoauth.Config{ClientID: "client-id"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bp.Name(), bp.Provider().Endpoint.AuthURL)
	// Output: microsoft https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize
}
