package facebook_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/facebook"
)

func ExampleNew() {
	// Ask again for the email permission if the user declined it earlier.
	bp, err := facebook.New(facebook.Config{
		Config:                       ginoauth.Config{Scopes: []string{"public_profile", "email"}},
		RerequestDeclinedPermissions: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
