package keycloak_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/keycloak"
)

func ExampleNew() {
	// ClientID and ClientSecret default to KEYCLOAK_OAUTH_CLIENT_ID and
	// KEYCLOAK_OAUTH_CLIENT_SECRET.
	cfg := keycloak.Config{
		BaseURL: "https://sso.example.com",
		Realm:   "acme",
		Config:  ginoauth.Config{ClientID: "client-id"},
	}
	if _, err := keycloak.New(cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(keycloak.Provider(cfg).Issuer)
	// Output: https://sso.example.com/realms/acme
}
