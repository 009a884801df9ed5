package spotify_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/spotify"
)

func ExampleNew() {
	bp, err := spotify.New(ginoauth.Config{Scopes: []string{"user-read-email", "playlist-read-private"}})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
