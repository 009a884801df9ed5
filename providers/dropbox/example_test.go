package dropbox_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth/providers/dropbox"
)

func ExampleNew() {
	// The app key and secret come from DROPBOX_OAUTH_CLIENT_ID and
	// DROPBOX_OAUTH_CLIENT_SECRET. Offline access gives a refresh token,
	// which bp.Client uses when the access token expires.
	bp, err := dropbox.New(dropbox.Config{Offline: true, RequireRole: dropbox.RoleWork})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
