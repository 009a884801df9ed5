package google_test

import (
	"fmt"
	"log"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/google"
)

func ExampleNew() {
	bp, err := google.New(google.Config{
		// Normally left empty: GOOGLE_OAUTH_CLIENT_ID and
		// GOOGLE_OAUTH_CLIENT_SECRET are read from the environment.
		Config:       ginoauth.Config{ClientID: "client-id", ClientSecret: "client-secret"},
		Offline:      true,          // refresh tokens
		HostedDomain: "example.com", // only accounts of this Workspace domain
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("32-byte-long-authentication-key!"))))
	bp.Register(r.Group("/login")) // GET /login/google, GET /login/google/authorized

	r.GET("/me", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.AbortWithStatus(502)
			return
		}
		c.String(200, "Hello, %s", p.Name)
	})
	fmt.Println(bp.Name(), bp.LoginPath())
	// Output: google /login/google
}
