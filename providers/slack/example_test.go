package slack_test

import (
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth/providers/slack"
)

func ExampleNew() {
	// Classic flow on one workspace, as Flask-Dance does it.
	bp, err := slack.New(slack.Config{Subdomain: "myteam"})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
	r.POST("/say", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		// The client adds token=... to the form body.
		form := url.Values{"channel": {"#general"}, "text": {c.PostForm("text")}}
		resp, err := client.Post("chat.postMessage", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			c.AbortWithStatus(http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		c.Status(http.StatusNoContent)
	})
}

func ExampleNew_v2() {
	// Sign in with Slack through the v2 flow: user scopes only, so the
	// user token becomes the blueprint's token.
	bp, err := slack.New(slack.Config{
		V2:         true,
		UserScopes: []string{"identity.basic", "identity.email", "identity.avatar"},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}

func ExampleProvider() {
	p := slack.Provider(slack.Config{Subdomain: "myteam", V2: true, UserScopes: []string{"identity.basic"}})
	fmt.Println(p.Endpoint.AuthURL)
	fmt.Println(p.AuthParams["user_scope"])
	// Output:
	// https://myteam.slack.com/oauth/v2/authorize
	// identity.basic
}
