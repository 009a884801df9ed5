package nylas_test

import (
	"fmt"
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth/providers/nylas"
)

func ExampleNew() {
	// NYLAS_OAUTH_CLIENT_ID holds the application's client ID and
	// NYLAS_OAUTH_CLIENT_SECRET its API key.
	bp, err := nylas.New(nylas.Config{Region: nylas.RegionEU})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}

func ExampleProvider() {
	p := nylas.Provider(nylas.Config{Region: nylas.RegionEU})
	fmt.Println(p.Endpoint.AuthURL)
	fmt.Println(p.APIBaseURL)
	// Output:
	// https://api.eu.nylas.com/v3/connect/auth
	// https://api.eu.nylas.com/v3/
}
