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
