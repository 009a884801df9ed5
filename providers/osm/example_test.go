package osm_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/osm"
)

func ExampleNew() {
	// Read the profile and edit the map.
	bp, err := osm.New(ginoauth.Config{Scopes: []string{"read_prefs", "write_api"}})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
