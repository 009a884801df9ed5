package jira_test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/jira"
)

func ExampleNew() {
	// The application link's private key. A real app gives RSAKey the PEM
	// text or file path, or sets JIRA_OAUTH_RSA_KEY.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		log.Fatal(err)
	}
	bp, err := jira.New(jira.Config{
		BaseURL:    "https://jira.example.com",
		Config:     ginoauth.Config{ClientID: "ginoauth-app"}, // or JIRA_OAUTH_CONSUMER_KEY
		PrivateKey: key,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
	r.GET("/issues", bp.Required(), func(c *gin.Context) {
		client, _ := bp.Client(c)
		resp, err := client.Get("rest/api/2/search?jql=assignee%3DcurrentUser()")
		if err != nil {
			c.String(http.StatusBadGateway, "jira: %v", err)
			return
		}
		defer resp.Body.Close()
		c.DataFromReader(resp.StatusCode, resp.ContentLength, "application/json", resp.Body, nil)
	})
	fmt.Println(bp.LoginPath(), bp.AuthorizedPath())
	// Output: /login/jira /login/jira/authorized
}
