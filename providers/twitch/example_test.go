package twitch_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/twitch"
)

func ExampleNew() {
	// TWITCH_OAUTH_CLIENT_ID also becomes the Client-Id header of API calls.
	bp, err := twitch.New(ginoauth.Config{Scopes: []string{"user:read:email"}})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
