package ginoauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/internal/testkit"
)

// bigTokenApp is the README's setup (an encrypted cookie session store and
// the default session storage) with three providers that each issue a
// 2 KB JWT-sized access token, an ID token of about 1.5 KB and a rotating
// refresh token.
type bigTokenApp struct {
	ts    *httptest.Server
	srvs  []*ginoauthtest.Server
	clock *ginoauthtest.Clock
}

func newBigTokenApp(t *testing.T) *bigTokenApp {
	t.Helper()
	a := &bigTokenApp{clock: &ginoauthtest.Clock{}}
	r := gin.New()
	r.Use(sessions.Sessions("session", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210"))))
	for _, name := range []string{"keycloak", "okta", "entra"} {
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true,
			Name: name, AutoApprove: "1001", RotateRefreshTokens: true,
			AccessTokenSize: 2048, IDTokenPadding: 600,
		})
		t.Cleanup(srv.Close)
		srv.SetClock(a.clock.Now)
		a.srvs = append(a.srvs, srv)
		bp := mustBP(ginoauth.New(srv.Provider(), ginoauth.Config{
			ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Now: a.clock.Now,
			// Like most apps, remember something in the session at login:
			// the callback then saves the session before and after the hook.
			Hooks: ginoauth.Hooks{Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, _ *ginoauth.Token) error {
				sessions.Default(c).Set("last_login", bp.Name())
				return nil
			}},
		}))
		bp.Register(r.Group("/login"))
		r.GET("/api/"+name, func(c *gin.Context) {
			client, err := bp.Client(c)
			if err != nil {
				c.String(http.StatusUnauthorized, "no token: %v", err)
				return
			}
			resp, err := client.Get("whoami")
			if err != nil {
				c.String(http.StatusBadGateway, "%v", err)
				return
			}
			resp.Body.Close()
			c.Status(resp.StatusCode)
		})
		r.GET("/small/"+name, func(c *gin.Context) { // a token that needs one cookie
			if err := bp.SetToken(c, &ginoauth.Token{AccessToken: "small"}); err != nil {
				c.String(http.StatusInternalServerError, "%v", err)
			}
		})
		r.GET("/logout/"+name, func(c *gin.Context) {
			if err := bp.Logout(c); err != nil {
				c.String(http.StatusInternalServerError, "%v", err)
				return
			}
			c.String(http.StatusOK, "bye")
		})
	}
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "home") })
	a.ts = httptest.NewServer(r)
	t.Cleanup(a.ts.Close)
	return a
}

// cookieBrowser follows redirects and checks every Set-Cookie it is sent:
// at most 4,096 bytes of name and value, and one per cookie per response.
type cookieBrowser struct {
	t *testing.T
	*testkit.Browser
	mu   sync.Mutex
	sent int // Set-Cookie bytes received from the app
}

func newCookieBrowser(t *testing.T, app string) *cookieBrowser {
	b := &cookieBrowser{t: t, Browser: testkit.NewBrowser(t, nil)}
	b.Observe(func(r *http.Request, resp *http.Response) {
		if strings.HasPrefix(r.URL.String(), app) {
			b.check(r.URL.Path, resp.Header.Values("Set-Cookie"))
		}
	})
	return b
}

func (b *cookieBrowser) check(path string, setCookies []string) {
	seen := map[string]bool{}
	for _, sc := range setCookies {
		nameValue, _, _ := strings.Cut(sc, ";")
		name, _, _ := strings.Cut(nameValue, "=")
		if len(nameValue)-1 > 4096 {
			b.t.Errorf("%s: cookie %s is %d bytes, over the browsers' 4,096", path, name, len(nameValue)-1)
		}
		if seen[name] {
			b.t.Errorf("%s: two Set-Cookie headers for %s in one response", path, name)
		}
		seen[name] = true
		b.mu.Lock()
		b.sent += len(sc)
		b.mu.Unlock()
	}
}

func (b *cookieBrowser) get(u string) (int, string) {
	b.t.Helper()
	p := b.Follow(u)
	return p.Status, p.Body
}

// TestThreeProvidersWithJWTTokensInCookieSessions: with the README's cookie
// store, three providers issuing JWT-sized tokens log in, call their APIs
// and refresh in one browser; every cookie stays under 4,096 bytes, and
// logging out leaves no part of a token behind.
func TestThreeProvidersWithJWTTokensInCookieSessions(t *testing.T) {
	t.Parallel()
	a := newBigTokenApp(t)
	b := newCookieBrowser(t, a.ts.URL)
	names := []string{"keycloak", "okta", "entra"}
	for _, name := range names {
		if code, body := b.get(a.ts.URL + "/login/" + name); code != http.StatusOK || body != "home" {
			t.Fatalf("login %s: %d %q", name, code, body)
		}
	}
	for _, name := range names {
		if code, body := b.get(a.ts.URL + "/api/" + name); code != http.StatusOK {
			t.Errorf("API %s after the logins: %d %q", name, code, body)
		}
	}
	a.clock.Advance(2 * time.Hour) // every token has expired: each call refreshes
	for i, name := range names {
		if code, body := b.get(a.ts.URL + "/api/" + name); code != http.StatusOK {
			t.Errorf("API %s with an expired token: %d %q", name, code, body)
		}
		if got := a.srvs[i].Grants("refresh_token"); got != 1 {
			t.Errorf("%s: %d refreshes, want 1", name, got)
		}
	}
	u, _ := url.Parse(a.ts.URL)
	total := 0
	for _, c := range b.Cookies(u.String()) {
		total += len(c.Name) + len(c.Value)
	}
	t.Logf("cookies for the site after 3 logins and refreshes: %d, %d bytes in all", len(b.Cookies(u.String())), total)
	if n := len(b.Cookies(u.String())); n > 20 {
		t.Errorf("%d cookies for the site, want at most 20", n)
	}

	// A shorter token expires the parts it no longer needs.
	if code, _ := b.get(a.ts.URL + "/small/entra"); code != http.StatusOK {
		t.Fatalf("small token: %d", code)
	}
	for _, c := range b.Cookies(u.String()) {
		if c.Name == "session.entra.1" {
			t.Error("the second part of entra's earlier token is left after a shorter token")
		}
	}
	if code, _ := b.get(a.ts.URL + "/logout/okta"); code != http.StatusOK {
		t.Fatalf("logout: %d", code)
	}
	for _, c := range b.Cookies(u.String()) {
		if strings.HasPrefix(c.Name, "session.okta.") {
			t.Errorf("cookie %s is left after the logout", c.Name)
		}
	}
	if code, _ := b.get(a.ts.URL + "/api/okta"); code != http.StatusUnauthorized {
		t.Errorf("API okta after the logout: %d, want 401", code)
	}
	if code, _ := b.get(a.ts.URL + "/api/keycloak"); code != http.StatusOK {
		t.Errorf("API keycloak after the okta logout: %d", code)
	}
}

// TestForcedLoginStartsCannotBlockLogins: 20 forced starts of the login
// route with the longest "next" values (a cross-site page can send them)
// do not grow the cookie session past its limit; a normal login still
// succeeds.
func TestForcedLoginStartsCannotBlockLogins(t *testing.T) {
	t.Parallel()
	a := newBigTokenApp(t)
	b := newCookieBrowser(t, a.ts.URL)
	// The longest next the login accepts, and one just short enough to be
	// kept with the login.
	for _, n := range []int{2047, 500} {
		next := "/" + strings.Repeat("n", n)
		for i := range 20 {
			if p := b.Get(a.ts.URL + "/login/okta?next=" + url.QueryEscape(next)); p.Status != http.StatusFound {
				t.Fatalf("next of %d bytes: forced start %d: %d %q", n+1, i, p.Status, p.Body)
			}
		}
		if code, body := b.get(a.ts.URL + "/login/okta"); code != http.StatusOK || body != "home" {
			t.Fatalf("next of %d bytes: login after 20 forced starts: %d %q", n+1, code, body)
		}
	}
}

// TestTokenTooLargeForCookies: a token that no set of cookies can hold
// ends the login with storage_failed, whose cause names the fix.
func TestTokenTooLargeForCookies(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", AccessTokenSize: 40000})
	defer srv.Close()
	a := newApp(t, srv)
	b := newBrowser(t)
	p := b.get(b.authorize(b.startLogin(a, "")))
	e := nextError(t, a)
	if p.status != http.StatusInternalServerError || e.Kind != ginoauth.KindStorageFailed || !errors.Is(e, ginoauth.ErrTokenTooLarge) {
		t.Fatalf("got %d, %v; want 500 storage_failed caused by ErrTokenTooLarge", p.status, e)
	}
	if !strings.Contains(e.Error(), "gormstore") || strings.Contains(p.body, "gormstore") {
		t.Errorf("the error names the fix for the developer, not for the user: %q / page %q", e.Error(), p.body)
	}
}
