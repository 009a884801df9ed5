package dexcom_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/dexcom"
)

func ExampleNew() {
	// ClientID and ClientSecret default to DEXCOM_OAUTH_CLIENT_ID and
	// DEXCOM_OAUTH_CLIENT_SECRET.
	cfg := dexcom.Config{Sandbox: true, Config: ginoauth.Config{ClientID: "client-id"}}
	if _, err := dexcom.New(cfg); err != nil {
		log.Fatal(err)
	}
	p := dexcom.Provider(cfg)
	fmt.Println(p.Endpoint.AuthURL)
	fmt.Println(p.Endpoint.TokenURL)
	// Output:
	// https://sandbox-api.dexcom.com/v2/oauth2/login
	// https://sandbox-api.dexcom.com/v2/oauth2/token
}
