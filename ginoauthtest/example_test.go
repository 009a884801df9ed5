package ginoauthtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// A whole login, offline: the app's protected page sends the browser to
// the blueprint's login route, the provider approves at once, the callback
// stores the token in the session, and the page reads the user's profile.
func Example() {
	gin.SetMode(gin.TestMode)

	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"}) // alice
	defer srv.Close()

	bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{
		ClientID:     srv.ClientID(),
		ClientSecret: srv.ClientSecret(),
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("example-authentication-key-32byt"))))
	bp.Register(r.Group("/login")) // GET /login/test, GET /login/test/authorized
	r.GET("/", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "profile: %v", err)
			return
		}
		c.String(http.StatusOK, "hello %s <%s>", p.Name, p.Email)
	})
	app := httptest.NewServer(r)
	defer app.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(app.URL + "/")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	fmt.Println(resp.StatusCode, string(body))
	fmt.Println("code exchanges:", srv.Grants("authorization_code"))
	for _, req := range srv.Requests() {
		fmt.Println(strings.TrimSpace(req.Method + " " + req.Path + " " + req.ClientAuth))
	}
	// Output:
	// 200 hello Alice Liddell <alice@example.com>
	// code exchanges: 1
	// GET /authorize
	// POST /token basic
	// GET /userinfo
}

// NewHandler mounts the provider inside an application, under a path
// prefix, as a local development provider.
func ExampleNewHandler() {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	app := httptest.NewServer(r)
	defer app.Close()

	dev := ginoauthtest.NewHandler(ginoauthtest.Config{InsecureAnyRedirectURI: true}, app.URL+"/dev-provider")
	r.Any("/dev-provider/*path", gin.WrapH(dev))

	resp, err := http.Get(app.URL + "/dev-provider/.well-known/openid-configuration")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var meta struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&meta); err != nil {
		log.Fatal(err)
	}
	fmt.Println(meta.Issuer == dev.URL, strings.TrimPrefix(meta.TokenEndpoint, app.URL))
	// Output:
	// true /dev-provider/token
}

// IssueToken logs a user in without a browser, for tests of handlers that
// need a token.
func ExampleServer_IssueToken() {
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true})
	defer srv.Close()

	tok, err := srv.IssueToken("1002") // bob
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var u ginoauthtest.User
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, u.Username, u.EmailVerified, tok.Scopes)
	// Output:
	// 200 bob false [openid profile email]
}

// FailNext makes the token endpoint fail, to test how a client handles a
// provider error.
func ExampleServer_FailNext() {
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true})
	defer srv.Close()
	tok, err := srv.IssueToken("1001")
	if err != nil {
		log.Fatal(err)
	}

	srv.FailNext("/token", http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
	p := srv.Provider()
	cfg := &oauth2.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoint: p.Endpoint}
	refresh := func() error {
		_, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		return err
	}
	var re *oauth2.RetrieveError
	if err := refresh(); errors.As(err, &re) {
		fmt.Println("first refresh:", re.Response.StatusCode, re.ErrorCode)
	}
	fmt.Println("second refresh error:", refresh())
	fmt.Println("refresh requests:", srv.Grants("refresh_token"))
	// Output:
	// first refresh: 503 temporarily_unavailable
	// second refresh error: <nil>
	// refresh requests: 2
}

// The chooser page lets a person pick a user. A test can answer it like a
// browser would, by posting the form.
func ExampleConfig_chooser() {
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true})
	defer srv.Close()

	q := url.Values{"response_type": {"code"}, "client_id": {srv.ClientID()},
		"redirect_uri": {"http://127.0.0.1:1/callback"}, "state": {"xyz"}}
	resp, err := http.Get(srv.URL + "/authorize?" + q.Encode())
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(page), "Carol Danvers"))
	// Output:
	// 200 true
}

// Clock moves the provider's and the blueprint's time together: two hours
// later every token has expired, and the next API call refreshes it, with
// no waiting in the test.
func ExampleClock() {
	gin.SetMode(gin.TestMode)
	var clk ginoauthtest.Clock
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	srv.SetClock(clk.Now)
	bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{
		ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		Now: clk.Now,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("example-authentication-key-32byt"))))
	bp.Register(r.Group("/login"))
	r.GET("/", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		resp, err := client.Get("whoami")
		if err != nil {
			c.Status(http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		c.Status(resp.StatusCode)
	})
	app := httptest.NewServer(r)
	defer app.Close()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}

	for _, wait := range []time.Duration{0, 2 * time.Hour} {
		clk.Advance(wait)
		resp, err := browser.Get(app.URL + "/")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, "refreshes:", srv.Grants("refresh_token"))
	}
	// Output:
	// 200 refreshes: 0
	// 200 refreshes: 1
}
