package azure_test

import (
	"fmt"
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/azure"
)

func ExampleNew() {
	cfg := azure.Config{
		// ClientID and ClientSecret default to AZURE_OAUTH_CLIENT_ID and
		// AZURE_OAUTH_CLIENT_SECRET.
		Config: ginoauth.Config{
			ClientID: "client-id",
			Scopes:   []string{"openid", "email", "profile", "User.Read", "offline_access"},
		},
		Tenant: "organizations", // work and school accounts only
	}
	bp, err := azure.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // add the sessions middleware before serving
	bp.Register(r.Group("/login"))
	p := azure.Provider(cfg)
	fmt.Println(p.Endpoint.AuthURL)
	fmt.Println("refresh:", !p.RefreshDisabled)
	// Output:
	// https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize
	// refresh: true
}
