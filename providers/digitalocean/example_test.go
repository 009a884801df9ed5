package digitalocean_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/digitalocean"
)

func ExampleNew() {
	// Sent as scope=read+write.
	bp, err := digitalocean.New(ginoauth.Config{Scopes: []string{"read", "write"}})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
