package ginoauth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// app is a Gin app with one blueprint mounted at /login, served on loopback.
type app struct {
	t      *testing.T
	srv    *ginoauthtest.Server
	bp     *ginoauth.Blueprint
	engine *gin.Engine
	ts     *httptest.Server
	errs   chan *ginoauth.Error
}

type appOption func(*ginoauth.Config, *ginoauth.Provider)

func newApp(t *testing.T, srv *ginoauthtest.Server, opts ...appOption) *app {
	t.Helper()
	a := &app{t: t, srv: srv, errs: make(chan *ginoauth.Error, 100)}
	p := srv.Provider()
	cfg := ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret()}
	for _, o := range opts {
		o(&cfg, &p)
	}
	userErrHook := cfg.Hooks.Error
	cfg.Hooks.Error = func(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
		a.errs <- err
		if userErrHook != nil {
			userErrHook(c, bp, err)
		}
	}
	bp, err := ginoauth.New(p, cfg)
	if err != nil {
		t.Fatalf("ginoauth.New: %v", err)
	}
	a.bp = bp
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "home") })
	r.GET("/whoami", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusInternalServerError, "client: %v", err)
			return
		}
		resp, err := client.Get("whoami")
		if err != nil {
			if errors.Is(err, ginoauth.KindReauthRequired) {
				c.String(http.StatusUnauthorized, "reauth")
				return
			}
			c.String(http.StatusBadGateway, "api: %v", err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.Data(resp.StatusCode, "application/json", body)
	})
	r.GET("/token", func(c *gin.Context) {
		tok, err := bp.Token(c)
		if err != nil {
			c.String(http.StatusNotFound, "no token")
			return
		}
		c.String(http.StatusOK, tok.AccessToken)
	})
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			c.String(http.StatusInternalServerError, "logout: %v", err)
			return
		}
		c.String(http.StatusOK, "bye")
	})
	a.engine = r
	a.ts = httptest.NewServer(r)
	t.Cleanup(a.ts.Close)
	return a
}

// browser is a user agent with its own cookies that does not follow
// redirects by itself, so tests can see every step.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

type page struct {
	status   int
	location string
	body     string
	url      string
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	return readPage(resp, u)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	resp, err := b.client.PostForm(u, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", u, err)
	}
	return readPage(resp, u)
}

func readPage(resp *http.Response, u string) page {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if loc != "" {
		base, _ := url.Parse(u)
		if l, err := base.Parse(loc); err == nil {
			loc = l.String()
		}
	}
	return page{status: resp.StatusCode, location: loc, body: string(body), url: u}
}

// follow GETs u and follows redirects until a non-redirect answer.
func (b *browser) follow(u string) page {
	b.t.Helper()
	for range 10 {
		p := b.get(u)
		if p.status < 300 || p.status > 399 {
			return p
		}
		u = p.location
	}
	b.t.Fatalf("too many redirects from %s", u)
	return page{}
}

// startLogin GETs the login route and returns the provider URL.
func (b *browser) startLogin(a *app, query string) *url.URL {
	b.t.Helper()
	p := b.get(a.ts.URL + "/login/test" + query)
	if p.status != http.StatusFound {
		b.t.Fatalf("login: got status %d, want 302 (body %q)", p.status, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// authorize visits the provider's authorize URL (auto-approve) and returns
// the callback URL it redirects to.
func (b *browser) authorize(authURL *url.URL) string {
	b.t.Helper()
	p := b.get(authURL.String())
	if p.status != http.StatusFound {
		b.t.Fatalf("authorize: got status %d, want 302 (body %q)", p.status, p.body)
	}
	return p.location
}

// login runs the whole dance and returns the final page.
func (b *browser) login(a *app) page {
	b.t.Helper()
	return b.follow(b.authorize(b.startLogin(a, "")))
}

func nextError(t *testing.T, a *app) *ginoauth.Error {
	t.Helper()
	select {
	case e := <-a.errs:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no error event")
		return nil
	}
}

func TestFullFlow(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)
	b := newBrowser(t)

	authURL := b.startLogin(a, "")
	q := authURL.Query()
	if got, want := authURL.Scheme+"://"+authURL.Host+authURL.Path, srv.URL+ginoauthtest.PathAuthorize; got != want {
		t.Errorf("authorize URL %s, want %s", got, want)
	}
	for k, want := range map[string]string{
		"response_type": "code", "client_id": srv.ClientID(), "code_challenge_method": "S256",
		"redirect_uri": a.ts.URL + "/login/test/authorized", "scope": "openid profile email",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("authorize %s = %q, want %q", k, got, want)
		}
	}
	if len(q.Get("state")) < 22 || len(q.Get("code_challenge")) != 43 {
		t.Errorf("state %q / code_challenge %q too short", q.Get("state"), q.Get("code_challenge"))
	}
	callback := b.authorize(authURL)
	p := b.get(callback)
	if p.status != http.StatusFound || p.location != a.ts.URL+"/" {
		t.Fatalf("callback: got %d to %q, want 302 to /", p.status, p.location)
	}
	if got := b.get(a.ts.URL + "/whoami"); got.status != http.StatusOK || !strings.Contains(got.body, `"alice"`) {
		t.Fatalf("whoami: got %d %s", got.status, got.body)
	}
	// The exchange sent the PKCE verifier and authenticated the client.
	var sawVerifier bool
	for _, r := range srv.Requests() {
		if r.Path == ginoauthtest.PathToken && r.Form.Get("grant_type") == "authorization_code" {
			sawVerifier = r.Form.Get("code_verifier") != ""
			if r.ClientAuth != "basic" {
				t.Errorf("client auth %q, want basic", r.ClientAuth)
			}
		}
	}
	if !sawVerifier {
		t.Error("token request had no code_verifier")
	}
}

func TestTokenKeepsEveryField(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	got := make(chan *ginoauth.Token, 1)
	a := newApp(t, srv)
	a.engine.GET("/stored", func(c *gin.Context) {
		tok, err := a.bp.Token(c)
		if err != nil {
			c.Status(http.StatusNotFound)
			return
		}
		got <- tok
	})
	b := newBrowser(t)
	if p := b.login(a); p.status != http.StatusOK {
		t.Fatalf("login: got %d %q", p.status, p.body)
	}
	if p := b.get(a.ts.URL + "/stored"); p.status == http.StatusNotFound {
		t.Fatal("no token stored after the login")
	}
	var tok *ginoauth.Token
	select {
	case tok = <-got:
	default:
		t.Fatal("the stored token was not read")
	}
	if tok.RefreshToken == "" || tok.IDToken == "" || tok.Expiry.IsZero() || len(tok.Scopes) != 3 {
		t.Errorf("stored token lost standard fields: %v (id_token %t)", tok, tok.IDToken != "")
	}
	if acct, _ := tok.Extra["test_account"].(map[string]any); acct["plan"] != "free" {
		t.Errorf("extra = %v, want test_account.plan = free", tok.Extra)
	}
}

func TestNextParameter(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)
	tests := []struct{ next, want string }{
		{"/dashboard?tab=1", "/dashboard?tab=1"},
		{"//evil.com", "/"},
		{"https://evil.com", "/"},
		{"/\\evil.com", "/"},
		{"/%2f%2fevil.com", "/"},
		{"%2F%2Fevil.com", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			b := newBrowser(t)
			cb := b.authorize(b.startLogin(a, "?next="+url.QueryEscape(tt.next)))
			p := b.get(cb)
			if p.status != http.StatusFound || p.location != a.ts.URL+tt.want {
				t.Fatalf("after login: got %d to %q, want %s", p.status, p.location, tt.want)
			}
		})
	}
}

func TestCallbackFailures(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)

	t.Run("replayed state", func(t *testing.T) {
		b := newBrowser(t)
		cb := b.authorize(b.startLogin(a, ""))
		if p := b.get(cb); p.status != http.StatusFound {
			t.Fatalf("first callback: %d", p.status)
		}
		drain(a)
		p := b.get(cb)
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMissing || p.status != http.StatusBadRequest {
			t.Fatalf("replay: got %d, kind %s; want 400 state_missing", p.status, e.Kind)
		}
	})
	t.Run("mismatched state", func(t *testing.T) {
		b := newBrowser(t)
		cb, _ := url.Parse(b.authorize(b.startLogin(a, "")))
		q := cb.Query()
		q.Set("state", "forged-state-value")
		cb.RawQuery = q.Encode()
		p := b.get(cb.String())
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMismatch || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 state_mismatch", p.status, e.Kind)
		}
	})
	t.Run("callback without login", func(t *testing.T) {
		b := newBrowser(t)
		p := b.get(a.ts.URL + "/login/test/authorized?code=abc&state=xyz")
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMissing || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 state_missing", p.status, e.Kind)
		}
	})
	t.Run("provider denied", func(t *testing.T) {
		b := newBrowser(t)
		state := b.startLogin(a, "").Query().Get("state")
		p := b.get(a.ts.URL + "/login/test/authorized?error=access_denied&error_description=nope&state=" + state)
		e := nextError(t, a)
		if e.Kind != ginoauth.KindProviderDenied || e.Code != "access_denied" || e.Description != "nope" || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, %+v; want 400 provider_denied access_denied", p.status, e)
		}
		if !strings.Contains(p.body, "declined") {
			t.Errorf("page %q does not explain the denial", p.body)
		}
		// The state was consumed: a later callback with it fails.
		b.get(a.ts.URL + "/login/test/authorized?code=x&state=" + state)
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMissing {
			t.Fatalf("state after denial: kind %s, want state_missing", e.Kind)
		}
	})
	t.Run("missing code", func(t *testing.T) {
		b := newBrowser(t)
		state := b.startLogin(a, "").Query().Get("state")
		p := b.get(a.ts.URL + "/login/test/authorized?state=" + state)
		if e := nextError(t, a); e.Kind != ginoauth.KindCodeMissing || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 code_missing", p.status, e.Kind)
		}
	})
	t.Run("expired login", func(t *testing.T) {
		srv2 := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv2.Close()
		a2 := newApp(t, srv2, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.LoginTimeout = time.Nanosecond })
		b := newBrowser(t)
		cb := b.authorize(b.startLogin(a2, ""))
		waitNextSecond()
		p := b.get(cb)
		if e := nextError(t, a2); e.Kind != ginoauth.KindStateMissing || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 state_missing", p.status, e.Kind)
		}
	})
}

// waitNextSecond returns once the wall clock's second has changed, since
// pending logins are timestamped in whole seconds.
func waitNextSecond() {
	start := time.Now().Unix()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Unix() == start && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

func drain(a *app) {
	for {
		select {
		case <-a.errs:
		default:
			return
		}
	}
}

func TestExchangeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(srv *ginoauthtest.Server)
		timeout  time.Duration
		wantCode string
	}{
		{"invalid grant", func(s *ginoauthtest.Server) {
			s.FailNext(ginoauthtest.PathToken, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"bad code"}`)
		}, 0, "invalid_grant"},
		{"server error", func(s *ginoauthtest.Server) {
			s.FailNext(ginoauthtest.PathToken, http.StatusInternalServerError, "oops")
		}, 0, ""},
		{"malformed json", func(s *ginoauthtest.Server) {
			s.FailNext(ginoauthtest.PathToken, http.StatusOK, `{"access_token":`)
		}, 0, ""},
		{"slow provider", func(s *ginoauthtest.Server) {
			s.SetLatency(ginoauthtest.PathToken, 5*time.Second)
		}, 200 * time.Millisecond, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
			defer srv.Close()
			a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
				if tt.timeout > 0 {
					c.HTTPClient = &http.Client{Timeout: tt.timeout}
				}
			})
			b := newBrowser(t)
			cb := b.authorize(b.startLogin(a, ""))
			tt.setup(srv)
			start := time.Now()
			p := b.get(cb)
			e := nextError(t, a)
			if e.Kind != ginoauth.KindExchangeFailed || p.status != http.StatusBadGateway || e.Code != tt.wantCode {
				t.Fatalf("got %d, kind %s code %q; want 502 exchange_failed %q", p.status, e.Kind, e.Code, tt.wantCode)
			}
			if tt.timeout > 0 && time.Since(start) > 3*time.Second {
				t.Errorf("slow provider: callback took %v, want about the %v timeout", time.Since(start), tt.timeout)
			}
			if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
				t.Errorf("a token was stored after a failed exchange")
			}
		})
	}
}

type failingStorage struct{ ginoauth.Storage }

func (s failingStorage) Ref(c *gin.Context, provider string) (ginoauth.TokenRef, error) {
	ref, err := s.Storage.Ref(c, provider)
	return failingRef{ref}, err
}

type failingRef struct{ ginoauth.TokenRef }

func (failingRef) Swap(context.Context, *ginoauth.Token, *ginoauth.Token) (*ginoauth.Token, error) {
	return nil, errors.New("database is down")
}

func TestStorageFailure(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
		c.Storage = failingStorage{&ginoauth.SessionStorage{}}
	})
	b := newBrowser(t)
	p := b.get(b.authorize(b.startLogin(a, "")))
	e := nextError(t, a)
	if e.Kind != ginoauth.KindStorageFailed || p.status != http.StatusServiceUnavailable {
		t.Fatalf("got %d, kind %s; want 503 storage_failed", p.status, e.Kind)
	}
	if strings.Contains(p.body, "database is down") {
		t.Errorf("page shows the internal error: %q", p.body)
	}
}

func TestMissingSessionMiddleware(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	var got *ginoauth.Error
	bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		Hooks: ginoauth.Hooks{Error: func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { got = err }}})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	bp.Register(r.Group("/login"))
	r.GET("/me", bp.Required(), func(c *gin.Context) { c.String(200, "me") })
	for _, path := range []string{"/login/test", "/login/test/authorized?code=a&state=b"} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusInternalServerError || got == nil || got.Kind != ginoauth.KindConfig || !errors.Is(got, ginoauth.ErrNoSession) {
			t.Fatalf("%s: got %d, %v; want 500 and a KindConfig error wrapping ErrNoSession", path, w.Code, got)
		}
		if !strings.Contains(got.Error(), "sessions.Sessions") {
			t.Errorf("error %q does not say how to fix it", got)
		}
	}
	// A protected route without sessions redirects to login rather than panicking.
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/me", nil))
	if w.Code != http.StatusFound {
		t.Fatalf("Required without sessions: got %d, want 302", w.Code)
	}
}

func TestHooks(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()

	t.Run("before login sees the provider URL", func(t *testing.T) {
		var seen string
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.BeforeLogin = func(_ *gin.Context, bp *ginoauth.Blueprint, authURL string) error {
				seen = bp.Name() + " " + authURL
				return nil
			}
		})
		u := newBrowser(t).startLogin(a, "")
		if seen != "test "+u.String() {
			t.Fatalf("hook saw %q, want %q", seen, "test "+u.String())
		}
	})
	t.Run("before login error", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.BeforeLogin = func(*gin.Context, *ginoauth.Blueprint, string) error { return errors.New("no") }
		})
		p := newBrowser(t).get(a.ts.URL + "/login/test")
		if e := nextError(t, a); e.Kind != ginoauth.KindHookFailed || p.status != http.StatusInternalServerError {
			t.Fatalf("got %d, %s; want 500 hook_failed", p.status, e.Kind)
		}
	})
	t.Run("skip store", func(t *testing.T) {
		var hookSaw string
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Authorized = func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				// The new token is usable inside the hook before it is stored.
				p, err := bp.Profile(c)
				if err != nil {
					return err
				}
				hookSaw = p.ID
				return ginoauth.ErrSkipStore
			}
		})
		b := newBrowser(t)
		p := b.get(b.authorize(b.startLogin(a, "")))
		if p.status != http.StatusFound || hookSaw != "1001" {
			t.Fatalf("got %d, hook saw profile %q; want 302 and alice", p.status, hookSaw)
		}
		if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
			t.Fatal("token stored despite ErrSkipStore")
		}
	})
	t.Run("response takeover", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Authorized = func(c *gin.Context, _ *ginoauth.Blueprint, _ *ginoauth.Token) error {
				c.String(http.StatusTeapot, "welcome")
				return nil
			}
		})
		b := newBrowser(t)
		p := b.get(b.authorize(b.startLogin(a, "")))
		if p.status != http.StatusTeapot || p.body != "welcome" {
			t.Fatalf("got %d %q, want the hook's 418", p.status, p.body)
		}
		if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
			t.Fatal("token stored although the hook answered")
		}
	})
	t.Run("authorized error", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Authorized = func(*gin.Context, *ginoauth.Blueprint, *ginoauth.Token) error { return errors.New("rejected") }
		})
		b := newBrowser(t)
		p := b.get(b.authorize(b.startLogin(a, "")))
		if e := nextError(t, a); e.Kind != ginoauth.KindHookFailed || p.status != http.StatusInternalServerError {
			t.Fatalf("got %d %s; want 500 hook_failed", p.status, e.Kind)
		}
		if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
			t.Fatal("token stored although the hook failed")
		}
	})
	t.Run("error hook page", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Error = func(c *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) {
				c.String(http.StatusOK, "custom "+string(err.Kind))
			}
		})
		b := newBrowser(t)
		p := b.get(a.ts.URL + "/login/test/authorized?error=access_denied&state=" + b.startLogin(a, "").Query().Get("state"))
		if p.status != http.StatusOK || p.body != "custom provider_denied" {
			t.Fatalf("got %d %q, want the hook's page", p.status, p.body)
		}
	})
	t.Run("failure url", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.FailureURL = "/oops" })
		b := newBrowser(t)
		p := b.get(a.ts.URL + "/login/test/authorized?error=access_denied&state=" + b.startLogin(a, "").Query().Get("state"))
		if p.status != http.StatusFound || p.location != a.ts.URL+"/oops?error=provider_denied" {
			t.Fatalf("got %d to %q, want 302 to /oops?error=provider_denied", p.status, p.location)
		}
	})
	t.Run("shared hooks know their blueprint", func(t *testing.T) {
		var mu sync.Mutex
		var names []string
		shared := ginoauth.Hooks{Authorized: func(_ *gin.Context, bp *ginoauth.Blueprint, _ *ginoauth.Token) error {
			mu.Lock()
			names = append(names, bp.Name())
			mu.Unlock()
			return nil
		}}
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.Hooks = shared })
		second, err := ginoauth.New(srv.Provider(), ginoauth.Config{Name: "second", ClientID: srv.ClientID(),
			ClientSecret: srv.ClientSecret(), Hooks: shared})
		if err != nil {
			t.Fatal(err)
		}
		second.Register(a.engine.Group("/login"))
		b := newBrowser(t)
		b.login(a)
		p := b.get(a.ts.URL + "/login/second")
		b.follow(b.authorize(mustParse(t, p.location)))
		if fmt.Sprint(names) != "[test second]" {
			t.Fatalf("hook calls %v, want [test second]", names)
		}
	})
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

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

func TestFormPostCallback(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv, func(c *ginoauth.Config, p *ginoauth.Provider) {
		p.FormPostCallback = true
		p.CallbackParams = []string{"user"}
		c.AuthParams = map[string]string{"response_mode": "form_post"}
	})
	kept := make(chan any, 1)
	a.engine.GET("/kept", func(c *gin.Context) {
		tok, err := a.bp.Token(c)
		if err == nil {
			kept <- tok.Extra["user"]
		}
	})
	b := newBrowser(t)
	authURL := b.startLogin(a, "")
	formFields := func(body string) url.Values {
		vals := url.Values{}
		for _, f := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			vals.Set(f[1], htmlUnescape(f[2]))
		}
		return vals
	}
	vals := formFields(b.get(authURL.String()).body)
	if vals.Get("code") == "" {
		t.Fatal("the provider sent no form_post page")
	}
	vals.Set("user", `{"name":{"firstName":"Alice"}}`) // as Apple adds it
	// A cross-site POST carries no Lax cookie: post without the jar. The
	// answer posts the same fields again from this site, keeping them out
	// of any URL.
	resp, err := http.PostForm(a.ts.URL+"/login/test/authorized", vals)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	again := formFields(string(body))
	if resp.StatusCode != http.StatusOK || again.Get("code") != vals.Get("code") || again.Get("_ginoauth_resubmit") != "1" {
		t.Fatalf("cookieless form_post: got %d with fields %v, want a same-site resubmit page", resp.StatusCode, again)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("resubmit page CSP %q", csp)
	}
	// The browser's own POST, with its session cookie, completes the login.
	p := b.post(a.ts.URL+"/login/test/authorized", again)
	if p.status != http.StatusFound || p.location != a.ts.URL+"/" {
		t.Fatalf("same-site POST: got %d to %q, want 302 to /", p.status, p.location)
	}
	b.get(a.ts.URL + "/kept")
	if got := <-kept; got != vals.Get("user") {
		t.Fatalf("CallbackParams: token Extra[user] = %v, want the callback's user field", got)
	}
	// A resubmitted POST without a session does not loop: it fails clearly.
	resp, err = http.PostForm(a.ts.URL+"/login/test/authorized", again)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("resubmitted POST without a session: got %d, want 400", resp.StatusCode)
	}
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}

func TestRefreshOnUnauthorized(t *testing.T) {
	t.Parallel()
	t.Run("token revoked early is replaced", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv.Close()
		a := newApp(t, srv)
		b := newBrowser(t)
		b.login(a)
		before := b.get(a.ts.URL + "/token").body
		srv.ExpireAccessTokens() // the stored copy still looks valid for an hour
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusOK || !strings.Contains(p.body, `"alice"`) {
			t.Fatalf("whoami after the provider expired the token: %d %s", p.status, p.body)
		}
		if got := srv.Grants("refresh_token"); got != 1 {
			t.Fatalf("refresh requests: %d, want 1", got)
		}
		if after := b.get(a.ts.URL + "/token").body; after == before {
			t.Fatal("the replacement token was not saved")
		}
	})
	t.Run("refresh refused: the provider's 401 stands and the token is dropped", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv.Close()
		a := newApp(t, srv)
		b := newBrowser(t)
		b.login(a)
		srv.RevokeAll()
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusUnauthorized {
			t.Fatalf("whoami with a revoked grant: %d %s, want the provider's 401", p.status, p.body)
		}
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusFound || !strings.Contains(p.location, "/login/test") {
			t.Fatalf("next visit: %d to %q, want a redirect to log in again", p.status, p.location)
		}
	})
}
