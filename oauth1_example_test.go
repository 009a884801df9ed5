package ginoauth_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// Any OAuth 1.0a provider is one OAuth1Provider literal away.
func ExampleNewOAuth1() {
	bp, err := ginoauth.NewOAuth1(ginoauth.OAuth1Provider{
		Name:            "example",
		RequestTokenURL: "https://api.example.com/oauth/request_token",
		AuthorizeURL:    "https://api.example.com/oauth/authorize",
		AccessTokenURL:  "https://api.example.com/oauth/access_token",
		APIBaseURL:      "https://api.example.com/1/",
	}, ginoauth.Config{
		ClientID:     "consumer-key",    // the consumer key
		ClientSecret: "consumer-secret", // the consumer secret (HMAC-SHA1)
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("32-byte-long-authentication-key!"))))
	bp.Register(r.Group("/login"))
	r.GET("/me", bp.Required(), func(c *gin.Context) {
		client, _ := bp.Client(c) // signs every request with the user's token
		resp, err := client.Get("account.json")
		if err != nil {
			c.String(http.StatusBadGateway, "api: %v", err)
			return
		}
		defer resp.Body.Close()
		c.DataFromReader(resp.StatusCode, resp.ContentLength, "application/json", resp.Body, nil)
	})
	fmt.Println(bp.LoginPath(), bp.AuthorizedPath())
	// Output: /login/example /login/example/authorized
}

// A whole OAuth 1.0a login against the in-process test provider, which
// verifies every signature.
func ExampleNewOAuth1_testProvider() {
	srv := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{AutoApprove: "1002"})
	defer srv.Close()
	bp, err := ginoauth.NewOAuth1(srv.Provider(), ginoauth.Config{
		ClientID:     srv.ConsumerKey(),
		ClientSecret: srv.ConsumerSecret(),
		Hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
				fmt.Println("logged in as", t.Extra["screen_name"])
				return nil
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("32-byte-long-authentication-key!"))))
	bp.Register(r.Group("/login"))
	r.GET("/", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		c.String(http.StatusOK, "hello %s", p.Name)
	})
	app := httptest.NewServer(r)
	defer app.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar} // follows the redirects: app, provider, app
	resp, err := browser.Get(app.URL + "/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output:
	// logged in as bob
	// hello Bob Builder
}
