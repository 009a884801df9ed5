package authentiq_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/authentiq"
)

func ExampleNew() {
	// ClientID and ClientSecret default to AUTHENTIQ_OAUTH_CLIENT_ID and
	// AUTHENTIQ_OAUTH_CLIENT_SECRET.
	cfg := authentiq.Config{Config: ginoauth.Config{ClientID: "client-id"}}
	if _, err := authentiq.New(cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(authentiq.Provider(cfg).Endpoint.AuthURL)
	// Output: https://connect.authentiq.io/authorize
}
