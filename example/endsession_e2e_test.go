package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// TestBrowserEndSession: in Chromium, EndSession's page posts the logout
// request to the provider's end-session endpoint (its script allowed by
// the page's Content Security Policy, the ID token in the form body), the
// provider sends the browser back to the logged-out route with the state,
// and from there to next.
func TestBrowserEndSession(t *testing.T) {
	browser := startChromium(t, 60*time.Second)
	gin.SetMode(gin.TestMode)
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	bp := mustBP(ginoauth.New(srv.Provider(), ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		Scopes: []string{"openid", "profile"}}))
	r := gin.New()
	r.Use(sessions.Sessions("session", cookie.NewStore([]byte("browser-test-authentication-k-32"), []byte("browser-test-encryption-key-0032"))))
	bp.Register(r.Group("/login"))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "home, authorized: %t", bp.Authorized(c)) })
	r.GET("/bye", func(c *gin.Context) { c.String(http.StatusOK, "bye, authorized: %t", bp.Authorized(c)) })
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.EndSession(c, "/bye"); err != nil {
			c.String(http.StatusServiceUnavailable, "logout failed")
		}
	})
	ts := httptest.NewServer(r)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(browser, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login/test"), chromedp.WaitVisible(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/logout")); err != nil {
		t.Fatal(err)
	}
	pollCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if _, err := chromedp.Run(pollCtx, chromedp.Poll[bool](`location.pathname === "/bye" && document.body !== null && document.body.innerText.startsWith("bye")`)); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		var paths []string
		for _, rq := range srv.Requests() {
			paths = append(paths, rq.Method+" "+rq.Path)
		}
		t.Fatalf("logout did not come back to /bye (at %s, provider saw %v): %v\n%s", loc, paths, err, html)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body"), chromedp.NodeVisible))
	if err != nil {
		t.Fatal(err)
	}
	if loc != ts.URL+"/bye" || strings.TrimSpace(body) != "bye, authorized: false" {
		t.Errorf("after logout: %s %q, want %s/bye and no token", loc, body, ts.URL)
	}
	var end []ginoauthtest.Request
	for _, rq := range srv.Requests() {
		if rq.Path == ginoauthtest.PathEndSession {
			end = append(end, rq)
		}
	}
	if len(end) != 1 || end[0].Method != http.MethodPost || end[0].Form.Get("id_token_hint") == "" || end[0].Form.Get("state") == "" {
		t.Errorf("end-session requests %+v: want one POST with id_token_hint and state", end)
	}
}
