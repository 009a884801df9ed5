package twitter_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/providers/twitter"
)

func TestOAuth1Provider(t *testing.T) {
	t.Parallel()
	p := twitter.OAuth1Provider()
	for got, want := range map[string]string{
		p.Name:            "twitter",
		p.RequestTokenURL: "https://api.twitter.com/oauth/request_token",
		p.AuthorizeURL:    "https://api.twitter.com/oauth/authorize",
		p.AccessTokenURL:  "https://api.twitter.com/oauth/access_token",
		p.APIBaseURL:      "https://api.twitter.com/1.1/",
		p.RevocationURL:   "https://api.twitter.com/1.1/oauth/invalidate_token",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestNewOAuth1Config(t *testing.T) {
	for _, tt := range []struct {
		name              string
		cfg               twitter.OAuth1Config
		envKey, envSecret string
		wantErr           bool
	}{
		{"explicit", twitter.OAuth1Config{Config: ginoauth.Config{ClientID: "k", ClientSecret: "s"}}, "", "", false},
		{"environment", twitter.OAuth1Config{}, "k", "s", false},
		{"no secret", twitter.OAuth1Config{Config: ginoauth.Config{ClientID: "k"}}, "", "", true},
		{"nothing", twitter.OAuth1Config{}, "", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(twitter.EnvOAuth1ConsumerKey, tt.envKey)
			t.Setenv(twitter.EnvOAuth1ConsumerSecret, tt.envSecret)
			bp, err := twitter.NewOAuth1(tt.cfg)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "TWITTER_OAUTH_CLIENT_KEY") {
					t.Errorf("got %v, want an error naming TWITTER_OAUTH_CLIENT_KEY", err)
				}
				return
			}
			if err != nil || bp.Name() != "twitter" {
				t.Errorf("got %v, want a twitter blueprint", err)
			}
		})
	}
}

// o1Route sends api.twitter.com to the test provider and everything else
// to the network stack (the loopback app).
type o1Route struct{ twitter http.RoundTripper }

func (r o1Route) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "api.twitter.com" {
		return r.twitter.RoundTrip(req)
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestOAuth1Flow runs the preset, with its real https://api.twitter.com
// URLs, against the TLS test provider, which checks every signature over
// those URLs.
func TestOAuth1Flow(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{TLS: true})
	defer srv.Close()
	errs := make(chan *ginoauth.Error, 10)
	bp, err := twitter.NewOAuth1(twitter.OAuth1Config{Config: ginoauth.Config{
		ClientID:     srv.ConsumerKey(),
		ClientSecret: srv.ConsumerSecret(),
		HTTPClient:   srv.Client(),
		Hooks:        ginoauth.Hooks{Error: func(_ *gin.Context, _ *ginoauth.Blueprint, e *ginoauth.Error) { errs <- e }},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/me", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		tok, _ := bp.Token(c)
		c.JSON(http.StatusOK, gin.H{"profile": p, "extra": tok.Extra})
	})
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		c.String(http.StatusOK, "bye")
	})
	ts := httptest.NewServer(r)
	defer ts.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Transport: o1Route{srv.Client().Transport}, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string, string) {
		t.Helper()
		resp, err := browser.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		loc := resp.Header.Get("Location")
		if l, err := resp.Request.URL.Parse(loc); loc != "" && err == nil {
			loc = l.String()
		}
		return resp.StatusCode, loc, string(body)
	}

	// Alice approves on the provider's page.
	_, authURL, _ := get(ts.URL + "/login/twitter?next=%2Fme")
	if !strings.HasPrefix(authURL, "https://api.twitter.com/oauth/authorize?oauth_token=") {
		t.Fatalf("login redirects to %q", authURL)
	}
	token := must(url.Parse(authURL)).Query().Get("oauth_token")
	resp, err := browser.PostForm("https://api.twitter.com/oauth/authorize", url.Values{"oauth_token": {token}, "user": {"1001"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if status, loc, body := get(resp.Header.Get("Location")); status != http.StatusFound || loc != ts.URL+"/me" {
		t.Fatalf("callback: got %d %q %q", status, loc, body)
	}
	status, _, body := get(ts.URL + "/me")
	var me struct {
		Profile ginoauth.Profile
		Extra   map[string]any
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil || status != 200 {
		t.Fatalf("/me: got %d %q", status, body)
	}
	p := me.Profile
	if p.ID != "1001" || p.Username != "alice" || p.Email != "alice@example.com" || !p.EmailVerified ||
		p.Name != "Alice Liddell" || p.AvatarURL != "https://avatars.example.com/alice.png" {
		t.Errorf("profile: got %+v", p)
	}
	if me.Extra["user_id"] != "1001" || me.Extra["screen_name"] != "alice" {
		t.Errorf("token extras: got %v", me.Extra)
	}

	// Every request passed the provider's signature checks (an
	// independent implementation verifies ginoauth's OAuth 1 signatures in
	// internal/interop).
	for _, r := range srv.Requests() {
		if r.Problem != "" {
			t.Errorf("%s %s: provider problem %q", r.Method, r.URL, r.Problem)
		}
		if !strings.HasPrefix(r.URL, "https://api.twitter.com/") {
			t.Errorf("request to %q, want https://api.twitter.com/...", r.URL)
		}
	}
	if n := srv.Count(ginoauthtest.OAuth1PathVerifyCredentials); n != 1 {
		t.Errorf("verify_credentials requests: got %d, want 1", n)
	}

	// Logout invalidates the token at X.
	if status, _, body := get(ts.URL + "/logout"); status != 200 {
		t.Fatalf("logout: got %d %q", status, body)
	}
	if n := srv.Count(ginoauthtest.OAuth1PathInvalidate); n != 1 {
		t.Errorf("invalidate_token requests: got %d, want 1", n)
	}

	// Cancel on X's page comes back as ?denied=<token>.
	_, authURL, _ = get(ts.URL + "/login/twitter")
	token = must(url.Parse(authURL)).Query().Get("oauth_token")
	resp, err = browser.PostForm("https://api.twitter.com/oauth/authorize", url.Values{"oauth_token": {token}, "deny": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if status, _, body := get(resp.Header.Get("Location")); status != http.StatusBadRequest || !strings.Contains(body, "You declined") {
		t.Errorf("denied callback: got %d %q", status, body)
	}
	select {
	case e := <-errs:
		if e.Kind != ginoauth.KindProviderDenied {
			t.Errorf("error kind: got %s, want provider_denied", e.Kind)
		}
	default:
		t.Error("the error hook did not run for the denial")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ExampleNewOAuth1() {
	bp, err := twitter.NewOAuth1(twitter.OAuth1Config{
		// Or set TWITTER_OAUTH_CLIENT_KEY and TWITTER_OAUTH_CLIENT_SECRET.
		Config: ginoauth.Config{ClientID: "consumer-key", ClientSecret: "consumer-secret"},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
	r.GET("/timeline", bp.Required(), func(c *gin.Context) {
		client, _ := bp.Client(c) // signs each request with the user's token
		resp, err := client.Get("statuses/home_timeline.json?count=10")
		if err != nil {
			c.String(http.StatusBadGateway, "x: %v", err)
			return
		}
		defer resp.Body.Close()
		c.DataFromReader(resp.StatusCode, resp.ContentLength, "application/json", resp.Body, nil)
	})
	fmt.Println(bp.Name(), bp.LoginPath())
	// Output: twitter /login/twitter
}
