package orcid_test

import (
	"fmt"
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth/providers/orcid"
)

func ExampleNew() {
	// Develop against the sandbox registry.
	bp, err := orcid.New(orcid.Config{Sandbox: true})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}

func ExampleProvider() {
	p := orcid.Provider(orcid.Config{Sandbox: true})
	fmt.Println(p.Endpoint.AuthURL)
	fmt.Println(p.APIBaseURL)
	// Output:
	// https://sandbox.orcid.org/oauth/authorize
	// https://pub.sandbox.orcid.org/v3.0/
}
