package zoho_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/zoho"
)

func ExampleNew() {
	// ClientID and ClientSecret default to ZOHO_OAUTH_CLIENT_ID and
	// ZOHO_OAUTH_CLIENT_SECRET.
	cfg := zoho.Config{
		Offline:        true,               // refresh tokens
		AccountsDomain: "accounts.zoho.eu", // EU data center
		Config:         ginoauth.Config{ClientID: "client-id"},
	}
	if _, err := zoho.New(cfg); err != nil {
		log.Fatal(err)
	}
	p := zoho.Provider(cfg)
	fmt.Println(p.Endpoint.AuthURL)
	fmt.Println(p.APIBaseURL)
	// Output:
	// https://accounts.zoho.eu/oauth/v2/auth
	// https://www.zohoapis.eu/
}
