package twitter_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/twitter"
)

func ExampleNew() {
	// A public client: no secret, PKCE only.
	bp, err := twitter.New(ginoauth.Config{ClientID: "M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ"})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
