package meetup_test

import (
	"log"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/meetup"
)

func ExampleNew() {
	// The key and secret come from MEETUP_OAUTH_CLIENT_ID and
	// MEETUP_OAUTH_CLIENT_SECRET.
	bp, err := meetup.New(ginoauth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
	r.GET("/groups", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		q := `{"query":"query { self { memberships { edges { node { name } } } } }"}`
		resp, err := client.Post(meetup.GraphQLPath, "application/json", strings.NewReader(q))
		if err != nil {
			c.AbortWithStatus(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		c.DataFromReader(resp.StatusCode, resp.ContentLength, "application/json", resp.Body, nil)
	})
}
