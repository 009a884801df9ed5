package strava_test

import (
	"fmt"
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/strava"
)

func ExampleNew() {
	// Sent as scope=read,activity:read_all.
	bp, err := strava.New(ginoauth.Config{Scopes: []string{"read", "activity:read_all"}})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}

func ExampleProvider() {
	p := strava.Provider(ginoauth.Config{})
	fmt.Printf("scopes %v joined with %q\n", p.Scopes, p.ScopeSeparator)
	fmt.Println(p.APIBaseURL)
	// Output:
	// scopes [read] joined with ","
	// https://www.strava.com/api/v3/
}
