package bitbucket_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/bitbucket"
)

func ExampleNew() {
	// The consumer key and secret come from BITBUCKET_OAUTH_CLIENT_ID and
	// BITBUCKET_OAUTH_CLIENT_SECRET.
	bp, err := bitbucket.New(ginoauth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
