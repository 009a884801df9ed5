package github_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/github"
)

func ExampleNew() {
	// ClientID and ClientSecret come from GITHUB_OAUTH_CLIENT_ID and
	// GITHUB_OAUTH_CLIENT_SECRET when left empty.
	bp, err := github.New(github.Config{
		Config: ginoauth.Config{Scopes: []string{"read:user", "user:email"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("32-byte-long-authentication-key!"))))
	bp.Register(r.Group("/login")) // GET /login/github, GET /login/github/authorized
	r.GET("/me", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "profile unavailable")
			return
		}
		c.String(http.StatusOK, "Hello, %s (verified email: %t)", p.Username, p.EmailVerified)
	})
}

func ExampleProvider() {
	p := github.Provider(github.Config{Host: "github.example.com"})
	fmt.Println(p.Endpoint.AuthURL)
	fmt.Println(p.APIBaseURL)
	// Output:
	// https://github.example.com/login/oauth/authorize
	// https://github.example.com/api/v3/
}
