package ginoauth_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
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
