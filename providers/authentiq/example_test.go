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
	bp, err := authentiq.New(authentiq.Config{Config: ginoauth.Config{ClientID: "client-id"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bp.Provider().Endpoint.AuthURL)
	// Output: https://connect.authentiq.io/authorize
}
