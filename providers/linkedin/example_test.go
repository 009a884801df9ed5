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
	cfg := ginoauth.Config{ClientID: "client-id"}
	bp, err := linkedin.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	p := linkedin.Provider(cfg)
	fmt.Println(bp.Name(), p.Scopes, "PKCE:", !p.DisablePKCE)
	// Output: linkedin [openid profile email] PKCE: false
}
