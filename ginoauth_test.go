package ginoauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/internal/testkit"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// app is the shared test app (internal/testkit) around a blueprint for the
// test provider srv, mounted at /login.
type app struct {
	*testkit.App
	t      *testing.T
	srv    *ginoauthtest.Server
	bp     *ginoauth.Blueprint
	engine *gin.Engine
	ts     *httptest.Server
}

type appOption func(*ginoauth.Config, *ginoauth.Provider)

func newApp(t *testing.T, srv *ginoauthtest.Server, opts ...appOption) *app {
	t.Helper()
	p := srv.Provider()
	cfg := ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret()}
	for _, o := range opts {
		o(&cfg, &p)
	}
	ka := testkit.NewApp(t, cfg, func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) { return ginoauth.New(p, cfg) }, nil, nil)
	return &app{App: ka, t: t, srv: srv, bp: ka.BP, engine: ka.Engine, ts: ka.TS}
}

// browser is the shared test browser: its own cookies, no redirect
// followed by itself.
type browser struct {
	*testkit.Browser
	t *testing.T
}

func newBrowser(t *testing.T) *browser {
	return &browser{Browser: testkit.NewBrowser(t, nil), t: t}
}

type page struct {
	status   int
	location string
	body     string
	url      string
}

func toPage(p testkit.Page) page {
	return page{status: p.Status, location: p.Location, body: p.Body, url: p.URL}
}

func (b *browser) get(u string) page { b.t.Helper(); return toPage(b.Get(u)) }

func (b *browser) post(u string, form url.Values) page { b.t.Helper(); return toPage(b.Post(u, form)) }

// follow GETs u and follows redirects until a non-redirect answer.
func (b *browser) follow(u string) page { b.t.Helper(); return toPage(b.Follow(u)) }

// startLogin GETs the login route and returns the provider URL.
func (b *browser) startLogin(a *app, query string) *url.URL {
	b.t.Helper()
	return a.StartLogin(b.Browser, query)
}

// authorize visits the provider's authorize URL (auto-approve) and returns
// the callback URL it redirects to.
func (b *browser) authorize(authURL *url.URL) string {
	b.t.Helper()
	return testkit.Approve(b.Browser, authURL).String()
}

// login runs the whole dance and returns the final page.
func (b *browser) login(a *app) page {
	b.t.Helper()
	return b.follow(b.authorize(b.startLogin(a, "")))
}

func nextError(t *testing.T, a *app) *ginoauth.Error {
	t.Helper()
	return a.NextError()
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
	// The cookie session keeps the ID token in a cookie that only the
	// end-session route receives.
	if tok.RefreshToken == "" || tok.IDToken != "" || tok.Expiry.IsZero() || len(tok.Scopes) != 3 {
		t.Errorf("stored token lost standard fields: %v (id_token %t, want false here)", tok, tok.IDToken != "")
	}
	a.engine.GET(a.bp.LoginPath()+"/end-session/stored", func(c *gin.Context) {
		tok, err := a.bp.Token(c)
		if err != nil || tok.IDToken == "" {
			c.Status(http.StatusNotFound)
		}
	})
	if p := b.get(a.ts.URL + a.bp.LoginPath() + "/end-session/stored"); p.status != http.StatusOK {
		t.Error("the ID token is not stored, or not sent to the end-session route")
	}
	if acct, _ := tok.Extra["test_account"].(map[string]any); acct["plan"] != "free" {
		t.Errorf("extra = %v, want test_account.plan = free", tok.Extra)
	}
}

// TestIDTokenCookieBound: the cookie of an ID token kept apart opens only
// with the key in its own session's token: another login's cookie reads
// as none.
func TestIDTokenCookieBound(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)
	idPath := a.bp.LoginPath() + "/end-session"
	a.engine.GET(idPath+"/id", func(c *gin.Context) {
		if tok, err := a.bp.Token(c); err == nil {
			c.String(http.StatusOK, "%s", tok.IDToken)
		}
	})
	u := a.ts.URL + idPath + "/id"
	b1, b2 := newBrowser(t), newBrowser(t)
	for _, b := range []*browser{b1, b2} {
		if p := b.login(a); p.status != http.StatusOK {
			t.Fatalf("login: %d", p.status)
		}
	}
	id1, id2 := b1.get(u).body, b2.get(u).body
	if id1 == "" || id2 == "" || id1 == id2 {
		t.Fatalf("ID tokens at the end-session route: %t %t, want two different ones", id1 != "", id2 != "")
	}
	var mixed []*http.Cookie
	for _, c := range b1.Cookies(u) {
		if !strings.HasSuffix(c.Name, ".id") {
			mixed = append(mixed, &http.Cookie{Name: c.Name, Value: c.Value, Path: "/"})
		}
	}
	for _, c := range b2.Cookies(u) {
		if strings.HasSuffix(c.Name, ".id") {
			mixed = append(mixed, &http.Cookie{Name: c.Name, Value: c.Value, Path: idPath})
		}
	}
	b1.ReplaceCookies(a.ts.URL+"/", mixed)
	if got := b1.get(u).body; got != "" {
		t.Errorf("another session's ID token cookie was read: same as its own %t, as the other's %t", got == id1, got == id2)
	}
	// Logging out expires the ID token cookie with the token.
	if p := b2.get(a.ts.URL + "/logout"); p.status != http.StatusOK {
		t.Fatalf("logout: %d", p.status)
	}
	for _, c := range b2.Cookies(u) {
		if strings.HasSuffix(c.Name, ".id") {
			t.Errorf("the ID token cookie outlived the logout")
		}
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
