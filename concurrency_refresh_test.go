package ginoauth_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestTwoTabsLogInAtOnce(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)
	b := newBrowser(t)
	tab1 := b.authorize(b.startLogin(a, "?next=/one"))
	tab2 := b.authorize(b.startLogin(a, "?next=/two"))
	// Finish in the opposite order.
	if p := b.get(tab2); p.status != http.StatusFound || p.location != a.ts.URL+"/two" {
		t.Fatalf("tab 2: got %d to %q", p.status, p.location)
	}
	if p := b.get(tab1); p.status != http.StatusFound || p.location != a.ts.URL+"/one" {
		t.Fatalf("tab 1: got %d to %q", p.status, p.location)
	}
}

func TestManyUsersConcurrently(t *testing.T) {
	t.Parallel()
	const n = 100
	users := make([]ginoauthtest.User, n)
	for i := range users {
		id := fmt.Sprintf("user%03d", i)
		users[i] = ginoauthtest.User{ID: id, Name: "User " + id, Username: id, Email: id + "@example.com", EmailVerified: true}
	}
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: users})
	defer srv.Close()
	a := newApp(t, srv)
	requestField := regexp.MustCompile(`name="request" value="([^"]+)"`)
	var wg sync.WaitGroup
	var crossed atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := newBrowser(t)
			authURL := b.startLogin(a, "")
			chooser := b.get(authURL.String())
			m := requestField.FindStringSubmatch(chooser.body)
			if m == nil {
				t.Errorf("user %d: no chooser form in %q", i, chooser.body)
				return
			}
			cb := b.post(srv.URL+ginoauthtest.PathAuthorize, url.Values{"request": {m[1]}, "user": {users[i].ID}})
			if p := b.get(cb.location); p.status != http.StatusFound {
				t.Errorf("user %d: callback %d", i, p.status)
				return
			}
			who := b.get(a.ts.URL + "/whoami")
			if !strings.Contains(who.body, `"`+users[i].ID+`"`) {
				crossed.Add(1)
				t.Errorf("user %d sees %s", i, who.body)
			}
		}()
	}
	wg.Wait()
	if crossed.Load() != 0 {
		t.Fatalf("%d users saw another user's account", crossed.Load())
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()

	t.Run("concurrent requests share one refresh", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true})
		defer srv.Close()
		var refreshed atomic.Int32
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.TokenRefreshed = func(context.Context, *ginoauth.Blueprint, *ginoauth.Token) { refreshed.Add(1) }
		})
		b := newBrowser(t)
		b.login(a)
		srv.ExpireAccessTokens()
		expireStored(t, a, b)
		const n = 50
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusOK {
					t.Errorf("whoami during refresh: %d %s", p.status, p.body)
				}
			}()
		}
		wg.Wait()
		if got := srv.Grants("refresh_token"); got != 1 {
			t.Fatalf("%d concurrent requests made %d refresh requests, want 1", n, got)
		}
		if got := refreshed.Load(); got != 1 {
			t.Fatalf("TokenRefreshed ran %d times, want 1", got)
		}
	})
	t.Run("refreshed token is saved", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true})
		defer srv.Close()
		a := newApp(t, srv)
		b := newBrowser(t)
		b.login(a)
		before := b.get(a.ts.URL + "/token").body
		expireStored(t, a, b)
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusOK {
			t.Fatalf("whoami: %d %s", p.status, p.body)
		}
		after := b.get(a.ts.URL + "/token").body
		if after == before {
			t.Fatal("the refreshed token was not saved")
		}
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusOK || srv.Grants("refresh_token") != 1 {
			t.Fatalf("second call: %d, %d refreshes; want 200 and still 1", p.status, srv.Grants("refresh_token"))
		}
	})
	t.Run("invalid grant means log in again", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv.Close()
		a := newApp(t, srv)
		b := newBrowser(t)
		b.login(a)
		srv.RevokeAll()
		expireStored(t, a, b)
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusUnauthorized || p.body != "reauth" {
			t.Fatalf("got %d %q, want 401 reauth", p.status, p.body)
		}
	})
	t.Run("manual refresh", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv.Close()
		a := newApp(t, srv)
		a.engine.GET("/refresh", func(c *gin.Context) {
			tok, err := a.bp.Refresh(c)
			if err != nil {
				c.String(500, "%v", err)
				return
			}
			c.String(200, tok.AccessToken)
		})
		b := newBrowser(t)
		b.login(a)
		before := b.get(a.ts.URL + "/token").body
		p := b.get(a.ts.URL + "/refresh")
		if p.status != 200 || p.body == before || b.get(a.ts.URL+"/token").body != p.body {
			t.Fatalf("Refresh: %d; new token saved = %v", p.status, b.get(a.ts.URL+"/token").body == p.body)
		}
	})
}

// expireStored moves the stored token's expiry into the past.
func expireStored(t *testing.T, a *app, b *browser) {
	t.Helper()
	path := fmt.Sprintf("/expire-%p", b)
	a.engine.GET(path, func(c *gin.Context) {
		tok, err := a.bp.Token(c)
		if err != nil {
			c.Status(404)
			return
		}
		tok = tok.Clone()
		tok.Expiry = time.Now().Add(-time.Minute)
		if err := a.bp.SetToken(c, tok); err != nil {
			c.Status(500)
		}
	})
	if p := b.get(a.ts.URL + path); p.status != http.StatusOK {
		t.Fatalf("expire: %d", p.status)
	}
}

func TestLogoutRevokes(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)
	b := newBrowser(t)
	b.login(a)
	tok := b.get(a.ts.URL + "/token").body
	if p := b.get(a.ts.URL + "/logout"); p.status != http.StatusOK {
		t.Fatalf("logout: %d %s", p.status, p.body)
	}
	if srv.Count(ginoauthtest.PathRevoke) != 1 {
		t.Fatalf("revocation requests: %d, want 1", srv.Count(ginoauthtest.PathRevoke))
	}
	if p := b.get(a.ts.URL + "/token"); p.status != http.StatusNotFound {
		t.Fatal("token still stored after logout")
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+ginoauthtest.PathWhoami, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token still works at the provider: %d", resp.StatusCode)
	}
	if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusFound || !strings.Contains(p.location, "/login/test?next=%2Fwhoami") {
		t.Fatalf("protected page after logout: %d to %q, want redirect to login with next", p.status, p.location)
	}
}

func TestAuthorizedIgnoresDeadTokens(t *testing.T) {
	t.Parallel()
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	p := ginoauth.Provider{Name: "x", Endpoint: ginoauthtest.NewHandler(ginoauthtest.Config{InsecureAnyRedirectURI: true}, "https://idp.example").Provider().Endpoint}
	tests := []struct {
		tok  *ginoauth.Token
		want bool
	}{
		{&ginoauth.Token{AccessToken: "a"}, true},
		{&ginoauth.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, true},
		{&ginoauth.Token{AccessToken: "a", Expiry: time.Now().Add(-time.Hour)}, false},
		{&ginoauth.Token{AccessToken: "a", Expiry: time.Now().Add(-time.Hour), RefreshToken: "r"}, true},
	}
	for _, tt := range tests {
		bp := mustBP(ginoauth.New(p, ginoauth.Config{ClientID: "id", Storage: memory.Static(tt.tok)}))
		if got := bp.Authorized(c); got != tt.want {
			t.Errorf("Authorized(%v) = %v, want %v", tt.tok, got, tt.want)
		}
	}
}

// TestNothingSecretIsLogged runs logins, a failure, a refresh and a logout
// with a debug logger and gin's logger, then searches every log line and
// page for the secrets of the dance.
func TestNothingSecretIsLogged(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true})
	defer srv.Close()
	var logs safeBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.Logger = logger })
	a.engine.Use(gin.LoggerWithConfig(gin.LoggerConfig{Output: &logs, SkipQueryString: true}))
	var pages []string
	b := newBrowser(t)
	authURL := b.startLogin(a, "")
	cb := b.authorize(authURL)
	p := b.get(cb)
	pages = append(pages, p.body)
	// A replay (error page) and a denied login.
	pages = append(pages, b.get(cb).body)
	pages = append(pages, b.get(a.ts.URL+"/login/test/authorized?error=access_denied&state="+b.startLogin(a, "").Query().Get("state")).body)
	// A refresh and a logout.
	expireStored(t, a, b)
	pages = append(pages, b.get(a.ts.URL+"/whoami").body)
	accessAfterRefresh := b.get(a.ts.URL + "/token").body
	pages = append(pages, b.get(a.ts.URL+"/logout").body)

	cbURL := mustParse(t, cb)
	secrets := map[string]string{
		"client secret":   srv.ClientSecret(),
		"state":           cbURL.Query().Get("state"),
		"code":            cbURL.Query().Get("code"),
		"refreshed token": accessAfterRefresh,
	}
	for _, r := range srv.Requests() {
		if v := r.Form.Get("code_verifier"); v != "" {
			secrets["verifier"] = v
		}
		if v := r.Form.Get("refresh_token"); v != "" {
			secrets["refresh token"] = v
		}
	}
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("test setup: no %s captured", name)
		}
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log contains the %s", name)
		}
		for _, pg := range pages {
			if strings.Contains(pg, s) {
				t.Errorf("a page contains the %s", name)
			}
		}
	}
	if !strings.Contains(logs.String(), "provider=test") {
		t.Errorf("debug log has no records: %q", logs.String())
	}
}

// safeBuffer is a concurrency-safe log sink.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestIssuerMismatch(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", SendIssuer: true})
	defer srv.Close()
	a := newApp(t, srv, func(_ *ginoauth.Config, p *ginoauth.Provider) { p.Issuer = "https://other-idp.example" })
	b := newBrowser(t)
	p := b.get(b.authorize(b.startLogin(a, "")))
	if e := nextError(t, a); e.Kind != ginoauth.KindIssuerMismatch || p.status != http.StatusBadRequest {
		t.Fatalf("got %d %s; want 400 issuer_mismatch", p.status, e.Kind)
	}
	ok := newApp(t, srv)
	if p := newBrowser(t).login(ok); p.status != http.StatusOK {
		t.Fatalf("matching issuer: got %d", p.status)
	}
}
