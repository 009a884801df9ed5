package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// TestBrowserThreeProvidersWithJWTTokens logs one Chromium in to three
// providers whose tokens are the size of Keycloak's, Okta's and Microsoft
// Entra ID's (a 2 KB JWT access token, an ID token of about 1.5 KB and a
// refresh token each), with the README's setup: an encrypted cookie session
// store and the default session storage. Chromium must keep every cookie
// (it drops one over 4,096 bytes), send them all back, and every API call
// and refresh must work.
func TestBrowserThreeProvidersWithJWTTokens(t *testing.T) {
	browser := startChromium(t, 60*time.Second)
	gin.SetMode(gin.TestMode)
	var ahead time.Duration
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(ahead) }
	names := []string{"keycloak", "okta", "entra"}
	var srvs []*ginoauthtest.Server
	var sent struct {
		sync.Mutex
		cookies map[string]int // name -> bytes, as the browser sent them to /api
	}
	r := gin.New()
	r.Use(sessions.Sessions("session", cookie.NewStore([]byte("browser-test-authentication-k-32"), []byte("browser-test-encryption-key-0032"))))
	for _, name := range names {
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, Name: name, AutoApprove: "1001", RotateRefreshTokens: true,
			AccessTokenSize: 2048, IDTokenPadding: 600})
		defer srv.Close()
		srv.SetClock(now)
		srvs = append(srvs, srv)
		bp := mustBP(ginoauth.New(srv.Provider(), ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Now: now}))
		bp.Register(r.Group("/login"))
		r.GET("/api/"+name, func(c *gin.Context) {
			sent.Lock()
			sent.cookies = map[string]int{}
			for _, ck := range c.Request.Cookies() {
				sent.cookies[ck.Name] = len(ck.Name) + len(ck.Value)
			}
			sent.Unlock()
			client, err := bp.Client(c)
			if err != nil {
				c.String(http.StatusOK, "no token")
				return
			}
			resp, err := client.Get("whoami")
			if err != nil {
				c.String(http.StatusOK, "api error")
				return
			}
			resp.Body.Close()
			c.String(http.StatusOK, "api %d", resp.StatusCode)
		})
	}
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "home") })
	ts := httptest.NewServer(r)
	defer ts.Close()

	body := func(ctx context.Context, u string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			t.Fatalf("open %s: %v", u, err)
		}
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"), chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("read %s: %v", u, err)
		}
		return strings.TrimSpace(s)
	}
	ctx, cancel := context.WithTimeout(browser, 40*time.Second)
	defer cancel()
	for _, name := range names {
		if got := body(ctx, ts.URL+"/login/"+name); got != "home" {
			t.Fatalf("login %s: page %q, want home", name, got)
		}
	}
	check := func(phase string) {
		for _, name := range names {
			if got := body(ctx, ts.URL+"/api/"+name); got != "api 200" {
				t.Errorf("%s: API %s: %q, want api 200", phase, name, got)
			}
		}
		sent.Lock()
		defer sent.Unlock()
		total := 0
		for n, size := range sent.cookies {
			total += size
			if size > 4096 {
				t.Errorf("%s: Chromium sent cookie %s of %d bytes", phase, n, size)
			}
		}
		for _, name := range names {
			if sent.cookies["session."+name+".0"] == 0 {
				t.Errorf("%s: Chromium did not keep the %s token's cookies (sent %v)", phase, name, sent.cookies)
			}
		}
		t.Logf("%s: Chromium sent %d cookies, %d bytes", phase, len(sent.cookies), total)
	}
	check("after the logins")
	mu.Lock()
	ahead = 2 * time.Hour // every token expired: each API call refreshes
	mu.Unlock()
	check("after the refreshes")
	for i, srv := range srvs {
		if got := srv.Grants("refresh_token"); got != 1 {
			t.Errorf("%s: %d refreshes, want 1", names[i], got)
		}
	}
}

// mustBP returns bp, or panics with err.
func mustBP(bp *ginoauth.Blueprint, err error) *ginoauth.Blueprint {
	if err != nil {
		panic(err)
	}
	return bp
}
