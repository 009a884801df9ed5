package fitbit_test

import (
	"log"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/fitbit"
)

func ExampleNew() {
	bp, err := fitbit.New(ginoauth.Config{Scopes: []string{"profile", "activity"}})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
	r.GET("/steps", bp.Required(), func(c *gin.Context) {
		// The client refreshes the eight-hour access token when needed
		// and saves the new one.
		client, err := bp.Client(c)
		if err != nil {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		resp, err := client.Get("1/user/-/activities/date/today.json")
		if err != nil {
			c.AbortWithStatus(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		c.DataFromReader(resp.StatusCode, resp.ContentLength, "application/json", resp.Body, nil)
	})
}
