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
	cfg := microsoft.Config{Config: ginoauth.Config{ClientID: "client-id"}}
	bp, err := microsoft.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bp.Name(), microsoft.Provider(cfg).Endpoint.AuthURL)
	// Output: microsoft https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize
}
