package linkedin_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/linkedin"
)

func ExampleNew() {
	// ClientID and ClientSecret default to LINKEDIN_OAUTH_CLIENT_ID and
	// LINKEDIN_OAUTH_CLIENT_SECRET.
	bp, err := linkedin.New(linkedin.Config{Config: ginoauth.Config{ClientID: "client-id"}})
	if err != nil {
		log.Fatal(err)
	}
	p := bp.Provider()
	fmt.Println(bp.Name(), p.Scopes, "PKCE:", !p.DisablePKCE)
	// Output: linkedin [openid profile email] PKCE: false
}
