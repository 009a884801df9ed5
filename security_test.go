package ginoauth_test

// Security properties as tests, with RFC 9700 (OAuth 2.0 Security Best
// Current Practice) as the checklist. docs/SECURITY.md maps each threat to
// the test that shows the defence.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"
	redigo "github.com/gomodule/redigo/redis"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

var (
	secAuthKey = []byte("security-test-auth-key-0123456789")
	secEncKey  = []byte("security-enc-key-0123456789abcde")
)

// secEncryptedStore is an encrypted cookie session store with the
// recommended options, minus Secure (the tests speak plain HTTP).
func secEncryptedStore() sessions.Store {
	st := cookie.NewStore(secAuthKey, secEncKey)
	st.Options(devSessionOptions())
	return st
}

// secRedisStore is a Redis session store with a key prefix of its own, or
// a skip when GINOAUTH_REDIS_ADDR is unset.
func secRedisStore(t *testing.T) sessions.Store {
	t.Helper()
	addr := os.Getenv("GINOAUTH_REDIS_ADDR")
	if addr == "" {
		t.Skip("GINOAUTH_REDIS_ADDR is not set: this check needs a server-side session store (Redis, e.g. GINOAUTH_REDIS_ADDR=127.0.0.1:6379)")
	}
	st, err := redis.NewStore(4, "tcp", addr, "", "", secAuthKey, secEncKey)
	if err != nil {
		t.Fatalf("redis session store: %v", err)
	}
	prefix := "ginoauth_sec_" + strings.ToLower(rand.Text()[:12]) + "_"
	if err := redis.SetKeyPrefix(st, prefix); err != nil {
		t.Fatal(err)
	}
	st.Options(devSessionOptions())
	t.Cleanup(func() { secDeleteKeys(t, addr, prefix) })
	return st
}

// secDeleteKeys removes a test's session keys from the shared Redis.
func secDeleteKeys(t *testing.T, addr, prefix string) {
	conn, err := redigo.Dial("tcp", addr, redigo.DialConnectTimeout(2*time.Second), redigo.DialReadTimeout(5*time.Second))
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer conn.Close()
	keys, err := redigo.Strings(conn.Do("KEYS", prefix+"*"))
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, k := range keys {
		_, _ = conn.Do("DEL", k)
	}
}

// secWire records what the app sends to the provider and what the token
// endpoint answers.
type secWire struct {
	base http.RoundTripper

	mu      sync.Mutex
	urls    []string
	answers []string // token endpoint bodies
}

func (w *secWire) RoundTrip(r *http.Request) (*http.Response, error) {
	w.mu.Lock()
	w.urls = append(w.urls, r.URL.String())
	w.mu.Unlock()
	resp, err := w.base.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, ginoauthtest.PathToken) {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return nil, rerr
	}
	w.mu.Lock()
	w.answers = append(w.answers, string(body))
	w.mu.Unlock()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp, nil
}

// secApp is a Gin app with one blueprint at /login, on loopback.
type secApp struct {
	t    *testing.T
	bp   *ginoauth.Blueprint
	ts   *httptest.Server
	errs chan *ginoauth.Error
	wire *secWire
}

func newSecApp(t *testing.T, p ginoauth.Provider, cfg ginoauth.Config, store sessions.Store) *secApp {
	t.Helper()
	a := &secApp{t: t, errs: make(chan *ginoauth.Error, 64), wire: &secWire{base: http.DefaultTransport}}
	cfg.Name = "test" // routes /login/test, whatever the provider's name
	cfg.Hooks.Error = func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { a.errs <- err }
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: a.wire}
	}
	bp, err := ginoauth.New(p, cfg)
	if err != nil {
		t.Fatalf("ginoauth.New: %v", err)
	}
	a.bp = bp
	r := gin.New()
	r.Use(sessions.Sessions("app", store))
	bp.Register(r.Group("/login"))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "home") })
	r.GET("/stored", func(c *gin.Context) {
		if _, err := bp.Token(c); err != nil {
			c.String(http.StatusNotFound, "no token")
			return
		}
		c.String(http.StatusOK, "token")
	})
	r.GET("/sid", func(c *gin.Context) { c.String(http.StatusOK, sessions.Default(c).ID()) })
	r.GET("/touch", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Set("visited", "yes")
		_ = s.Save()
		c.String(http.StatusOK, s.ID())
	})
	r.GET("/api", func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusUnauthorized, "no token")
			return
		}
		resp, err := client.Get("whoami")
		if err != nil {
			c.String(http.StatusBadGateway, "api failed")
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.Data(resp.StatusCode, "application/json", body)
	})
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			c.String(http.StatusInternalServerError, "logout failed")
			return
		}
		c.String(http.StatusOK, "bye")
	})
	a.ts = httptest.NewServer(r)
	t.Cleanup(a.ts.Close)
	return a
}

// nextErr returns the next error hook event.
func (a *secApp) nextErr() *ginoauth.Error {
	a.t.Helper()
	select {
	case e := <-a.errs:
		return e
	case <-time.After(10 * time.Second):
		a.t.Fatal("no error hook event")
		return nil
	}
}

// noErr checks that the error hook did not run.
func (a *secApp) noErr() {
	a.t.Helper()
	select {
	case e := <-a.errs:
		a.t.Fatalf("unexpected error hook event: %v", e)
	default:
	}
}

// secBrowser is a user agent that records every URL it requested, every
// Location it was sent to and every Set-Cookie it received.
type secBrowser struct {
	t      *testing.T
	jar    *cookiejar.Jar
	client *http.Client

	mu         sync.Mutex
	urls       []string
	locations  []string
	setCookies []string
}

func newSecBrowser(t *testing.T) *secBrowser {
	jar, _ := cookiejar.New(nil)
	b := &secBrowser{t: t, jar: jar}
	b.client = &http.Client{
		Jar:           jar,
		Transport:     b,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	return b
}

func (b *secBrowser) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	b.mu.Lock()
	b.urls = append(b.urls, r.URL.String())
	if err == nil {
		if l := resp.Header.Get("Location"); l != "" {
			b.locations = append(b.locations, l)
		}
		b.setCookies = append(b.setCookies, resp.Header.Values("Set-Cookie")...)
	}
	b.mu.Unlock()
	return resp, err
}

type secPage struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *secBrowser) do(method, u string, form url.Values) secPage {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if loc != "" {
		if l, err := req.URL.Parse(loc); err == nil {
			loc = l.String()
		}
	}
	return secPage{status: resp.StatusCode, location: loc, body: string(data), header: resp.Header}
}

func (b *secBrowser) get(u string) secPage { return b.do(http.MethodGet, u, nil) }

// start GETs the login route (with query) and returns the provider URL.
func (b *secBrowser) start(a *secApp, query string) *url.URL {
	b.t.Helper()
	p := b.get(a.ts.URL + "/login/test" + query)
	if p.status != http.StatusFound {
		b.t.Fatalf("login route: got %d, want 302", p.status)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// approve visits the provider's authorization URL (auto-approve) and
// returns the callback URL it redirects to, without visiting it.
func (b *secBrowser) approve(authURL *url.URL) *url.URL {
	b.t.Helper()
	p := b.get(authURL.String())
	if p.status != http.StatusFound {
		b.t.Fatalf("provider: got %d, want 302", p.status)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// login runs the dance and returns the callback's answer.
func (b *secBrowser) login(a *secApp, query string) secPage {
	b.t.Helper()
	return b.get(b.approve(b.start(a, query)).String())
}

func (b *secBrowser) stored(a *secApp) bool {
	b.t.Helper()
	return b.get(a.ts.URL+"/stored").status == http.StatusOK
}

func (b *secBrowser) appCookies(a *secApp) []*http.Cookie {
	u, _ := url.Parse(a.ts.URL)
	return b.jar.Cookies(u)
}

func (b *secBrowser) setAppCookies(a *secApp, cs []*http.Cookie) {
	u, _ := url.Parse(a.ts.URL)
	for _, c := range b.jar.Cookies(u) {
		b.jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Path: "/", MaxAge: -1}})
	}
	b.jar.SetCookies(u, cs)
}

// withCallbackParam returns cb with param set to v ("" deletes it).
func withCallbackParam(cb *url.URL, param, v string) string {
	u := *cb
	q := u.Query()
	if v == "" {
		q.Del(param)
	} else {
		q.Set(param, v)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func newSecProvider(t *testing.T, cfg ginoauthtest.Config) *ginoauthtest.Server {
	t.Helper()
	if cfg.AutoApprove == "" {
		cfg.AutoApprove = "1001"
	}
	srv := ginoauthtest.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv
}

func secConfig(srv *ginoauthtest.Server) ginoauth.Config {
	return ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret()}
}

// TestSecurityStateBoundToSession: a state is only good in the session
// that started the login (RFC 9700 section 4.7, CSRF). Session B cannot
// complete session A's login with A's callback, whether or not B has a
// login of its own in progress, and B's attempt does not spend A's state.
func TestSecurityStateBoundToSession(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newSecApp(t, srv.Provider(), secConfig(srv), secEncryptedStore())
	victim, other := newSecBrowser(t), newSecBrowser(t)
	cbA := victim.approve(victim.start(a, "")).String()

	if p := other.get(cbA); p.status != http.StatusBadRequest {
		t.Fatalf("A's callback in a session with no login: got %d, want 400", p.status)
	}
	if e := a.nextErr(); e.Kind != ginoauth.KindStateMissing {
		t.Fatalf("A's callback in a session with no login: kind %s, want %s", e.Kind, ginoauth.KindStateMissing)
	}
	other.start(a, "")
	if p := other.get(cbA); p.status != http.StatusBadRequest {
		t.Fatalf("A's callback in B's session: got %d, want 400", p.status)
	}
	if e := a.nextErr(); e.Kind != ginoauth.KindStateMismatch {
		t.Fatalf("A's callback in B's session: kind %s, want %s", e.Kind, ginoauth.KindStateMismatch)
	}
	if other.stored(a) {
		t.Fatal("session B got a token from A's callback")
	}
	if p := victim.get(cbA); p.status != http.StatusFound {
		t.Fatalf("A's own callback after B's attempts: got %d, want 302", p.status)
	}
	a.noErr()
	if !victim.stored(a) {
		t.Fatal("A has no token after its own callback")
	}
}

// TestSecurityStateSingleUse: the first callback that presents a state
// consumes it, whatever the outcome (RFC 6749 section 10.12, RFC 9700
// section 4.7). With a cookie session store the browser's current cookie
// no longer holds it; with a server-side store (Redis) even the session ID
// from before the login, which the session renewal retired, cannot
// present it again.
func TestSecurityStateSingleUse(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name  string
		store func(t *testing.T) sessions.Store
	}{
		{"encrypted cookie store", func(*testing.T) sessions.Store { return secEncryptedStore() }},
		{"redis store", secRedisStore},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			store := st.store(t)
			srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
			a := newSecApp(t, srv.Provider(), secConfig(srv), store)
			b := newSecBrowser(t)
			cb := b.approve(b.start(a, "")).String()
			before := b.appCookies(a)
			if p := b.get(cb); p.status != http.StatusFound {
				t.Fatalf("first callback: got %d, want 302", p.status)
			}
			if p := b.get(cb); p.status != http.StatusBadRequest {
				t.Fatalf("replayed callback: got %d, want 400", p.status)
			}
			if e := a.nextErr(); e.Kind != ginoauth.KindStateMissing {
				t.Fatalf("replayed callback: kind %s, want %s", e.Kind, ginoauth.KindStateMissing)
			}
			if st.name != "redis store" {
				return
			}
			// The retired session ID, as an attacker who planted or copied
			// it before the login would present it.
			b.setAppCookies(a, before)
			grantsBefore := srv.Grants("authorization_code")
			if p := b.get(cb); p.status != http.StatusBadRequest {
				t.Fatalf("callback replayed with the pre-login session ID: got %d, want 400", p.status)
			}
			if e := a.nextErr(); e.Kind != ginoauth.KindStateMissing {
				t.Fatalf("callback replayed with the pre-login session ID: kind %s, want %s (the code went to the provider again: %v)",
					e.Kind, ginoauth.KindStateMissing, srv.Grants("authorization_code") > grantsBefore)
			}
		})
	}
}

// TestSecurityPKCEDowngrade: every login sends a fresh S256 challenge
// (RFC 9700 section 2.1.1), and a code cannot be moved into a login whose
// PKCE setting differs (section 4.8.2): a code issued without a challenge,
// injected into a session whose login used PKCE, is refused at the
// exchange because the app sends its verifier; a code issued for a
// challenge is refused when exchanged without the verifier.
func TestSecurityPKCEDowngrade(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newSecApp(t, srv.Provider(), secConfig(srv), secEncryptedStore())

	t.Run("login always sends S256", func(t *testing.T) {
		b := newSecBrowser(t)
		seen := map[string]bool{}
		for range 5 {
			q := b.start(a, "").Query()
			ch := q.Get("code_challenge")
			if q.Get("code_challenge_method") != "S256" || len(ch) != 43 {
				t.Fatalf("code_challenge_method %q, challenge length %d; want S256 and 43", q.Get("code_challenge_method"), len(ch))
			}
			if seen[ch] {
				t.Fatal("a code challenge was reused")
			}
			seen[ch] = true
		}
	})

	t.Run("code without challenge into a PKCE login", func(t *testing.T) {
		b := newSecBrowser(t)
		// The attacker's own authorization request, without PKCE, for the
		// app's client and callback.
		attack := url.Values{"client_id": {srv.ClientID()}, "response_type": {"code"},
			"redirect_uri": {a.ts.URL + "/login/test/authorized"}, "state": {"attacker"}}
		injected := newSecBrowser(t).approve(mustURL(t, srv.URL+ginoauthtest.PathAuthorize+"?"+attack.Encode())).Query().Get("code")
		if injected == "" {
			t.Fatal("setup: no code for the attacker")
		}
		cb := b.approve(b.start(a, ""))
		if p := b.get(withCallbackParam(cb, "code", injected)); p.status != http.StatusBadGateway {
			t.Fatalf("injected code: got %d, want 502", p.status)
		}
		if e := a.nextErr(); e.Kind != ginoauth.KindExchangeFailed || e.Code != "invalid_grant" {
			t.Fatalf("injected code: kind %s code %q, want %s invalid_grant", e.Kind, e.Code, ginoauth.KindExchangeFailed)
		}
		if !secExchangeSentVerifier(srv, injected) {
			t.Fatal("the exchange of the injected code did not send the login's code_verifier")
		}
		if b.stored(a) {
			t.Fatal("a token was stored from the injected code")
		}
	})

	t.Run("code with challenge exchanged without verifier", func(t *testing.T) {
		prov := srv.Provider()
		prov.DisablePKCE = true
		noPKCE := newSecApp(t, prov, secConfig(srv), secEncryptedStore())
		// A code bound to a challenge, from a PKCE login.
		code := newSecBrowser(t).approve(newSecBrowser(t).start(a, "")).Query().Get("code")
		b := newSecBrowser(t)
		cb := b.approve(b.start(noPKCE, ""))
		if cb.Query().Get("code_challenge") != "" {
			t.Fatal("setup: the login without PKCE sent a challenge")
		}
		if p := b.get(withCallbackParam(cb, "code", code)); p.status != http.StatusBadGateway {
			t.Fatalf("code without verifier: got %d, want 502", p.status)
		}
		if e := noPKCE.nextErr(); e.Kind != ginoauth.KindExchangeFailed || e.Code != "invalid_grant" {
			t.Fatalf("code without verifier: kind %s code %q, want %s invalid_grant", e.Kind, e.Code, ginoauth.KindExchangeFailed)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// secExchangeSentVerifier reports whether the exchange of code carried a
// code_verifier.
func secExchangeSentVerifier(srv *ginoauthtest.Server, code string) bool {
	for _, r := range srv.Requests() {
		if r.Path == ginoauthtest.PathToken && r.Form.Get("code") == code {
			return r.Form.Get("code_verifier") != ""
		}
	}
	return false
}

// TestSecurityMixUp: the RFC 9207 "iss" parameter is checked when the
// provider sends it, and required when the provider advertises it, which
// defeats mix-up attacks (RFC 9700 section 4.4). Discovery through
// providers/oidc turns the requirement on by itself.
func TestSecurityMixUp(t *testing.T) {
	t.Parallel()
	advertising := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, SendIssuer: true})
	silent := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	discovered, err := oidc.Discover(context.Background(), advertising.URL, oidc.Config{Config: secConfig(advertising)})
	if err != nil {
		t.Fatalf("oidc.Discover: %v", err)
	}
	if !discovered.RequireIssuerParam || discovered.Issuer != advertising.URL {
		t.Fatalf("discovered provider: RequireIssuerParam %v, Issuer %q; want true, %q", discovered.RequireIssuerParam, discovered.Issuer, advertising.URL)
	}
	tests := []struct {
		name     string
		srv      *ginoauthtest.Server
		provider ginoauth.Provider
		iss      string // "" removes it; "keep" leaves the provider's
		wantKind ginoauth.ErrorKind
	}{
		{"advertised, sent and right", advertising, advertising.Provider(), "keep", ""},
		{"advertised, missing", advertising, advertising.Provider(), "", ginoauth.KindIssuerMismatch},
		{"advertised, another server's", advertising, advertising.Provider(), "https://attacker.example", ginoauth.KindIssuerMismatch},
		{"discovered, missing", advertising, discovered, "", ginoauth.KindIssuerMismatch},
		{"discovered, another server's", advertising, discovered, silent.URL, ginoauth.KindIssuerMismatch},
		{"not advertised, missing", silent, silent.Provider(), "", ""},
		{"not advertised, sent and wrong", silent, silent.Provider(), advertising.URL, ginoauth.KindIssuerMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prov := tt.provider
			prov.DisablePKCE = prov.OpenID // not what is tested here
			a := newSecApp(t, prov, secConfig(tt.srv), secEncryptedStore())
			b := newSecBrowser(t)
			cb := b.approve(b.start(a, ""))
			target := cb.String()
			if tt.iss != "keep" {
				target = withCallbackParam(cb, "iss", tt.iss)
			}
			p := b.get(target)
			if tt.wantKind == "" {
				if p.status != http.StatusFound {
					t.Fatalf("got %d, want 302", p.status)
				}
				a.noErr()
				return
			}
			if p.status != http.StatusBadRequest {
				t.Fatalf("got %d, want 400", p.status)
			}
			if e := a.nextErr(); e.Kind != tt.wantKind {
				t.Fatalf("kind %s, want %s", e.Kind, tt.wantKind)
			}
			if b.stored(a) {
				t.Fatal("a token was stored")
			}
		})
	}
}

// TestSecurityOIDCNonceAndAudience: through providers/oidc and the test
// provider's discovery, an ID token is accepted only with this login's
// nonce and this client in its audience (OpenID Connect Core 3.1.3.7,
// RFC 9700 section 4.5.3). PKCE is off here so that the nonce is the only
// thing that ties an injected code to the login.
func TestSecurityOIDCNonceAndAudience(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	ctx := context.Background()
	cfg := secConfig(srv)

	t.Run("right nonce and audience", func(t *testing.T) {
		t.Parallel()
		p, err := oidc.Discover(ctx, srv.URL, oidc.Config{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		p.DisablePKCE = true // the nonce alone binds the code here
		a := newSecApp(t, p, cfg, secEncryptedStore())
		b := newSecBrowser(t)
		authURL := b.start(a, "")
		if authURL.Query().Get("nonce") == "" {
			t.Fatal("the login sent no nonce")
		}
		if pg := b.get(b.approve(authURL).String()); pg.status != http.StatusFound {
			t.Fatalf("login: got %d, want 302", pg.status)
		}
		a.noErr()
	})

	t.Run("code from another login (nonce replay)", func(t *testing.T) {
		t.Parallel()
		p, err := oidc.Discover(ctx, srv.URL, oidc.Config{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		p.DisablePKCE = true // the nonce alone binds the code here
		a := newSecApp(t, p, cfg, secEncryptedStore())
		attacker, victim := newSecBrowser(t), newSecBrowser(t)
		stolen := attacker.approve(attacker.start(a, "")).Query().Get("code")
		cb := victim.approve(victim.start(a, ""))
		if pg := victim.get(withCallbackParam(cb, "code", stolen)); pg.status != http.StatusBadGateway {
			t.Fatalf("injected code: got %d, want 502", pg.status)
		}
		e := a.nextErr()
		if e.Kind != ginoauth.KindIDTokenInvalid || !errors.Is(e, oidc.ErrNonceMismatch) {
			t.Fatalf("injected code: got %v, want %s matching oidc.ErrNonceMismatch", e, ginoauth.KindIDTokenInvalid)
		}
		if victim.stored(a) {
			t.Fatal("a token was stored from another login's code")
		}
	})

	t.Run("ID token for another client", func(t *testing.T) {
		t.Parallel()
		other := cfg
		other.ClientID = "another-client"
		p, err := oidc.Discover(ctx, srv.URL, oidc.Config{Config: other})
		if err != nil {
			t.Fatal(err)
		}
		p.DisablePKCE = true                           // the nonce alone binds the code here
		a := newSecApp(t, p, cfg, secEncryptedStore()) // the verifier expects another audience
		b := newSecBrowser(t)
		if pg := b.login(a, ""); pg.status != http.StatusBadGateway {
			t.Fatalf("login: got %d, want 502", pg.status)
		}
		if e := a.nextErr(); e.Kind != ginoauth.KindIDTokenInvalid {
			t.Fatalf("kind %s, want %s", e.Kind, ginoauth.KindIDTokenInvalid)
		}
		if b.stored(a) {
			t.Fatal("a token was stored")
		}
	})
}

// TestSecurityOpenRedirect: the post-login "next" parameter, by query or
// form, sends the browser only to same-site relative paths (RFC 9700
// section 4.11). Every hostile value ends at AfterLogin, "/".
func TestSecurityOpenRedirect(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newSecApp(t, srv.Provider(), secConfig(srv), secEncryptedStore())
	hostile := []string{
		"//evil.example", "///evil.example", "////evil.example/x", "https://evil.example/", "http:evil.example",
		"/\\evil.example", "\\\\evil.example", "/%2F%2Fevil.example", "/%5Cevil.example", "/%252F%252Fevil.example",
		"/%09/evil.example", "/\t/evil.example", "javascript:alert(1)", "data:text/html,x", "evil.example",
		"/%0d%0aLocation:%20https://evil.example", "https:/evil.example",
	}
	safe := []string{"/dashboard", "/a/b?tab=2&x=%2F", "/search?q=%2F%2Fnot-a-host", "/@evil.example"}
	check := func(t *testing.T, next string, post bool, want string) {
		t.Helper()
		b := newSecBrowser(t)
		var p secPage
		if post {
			p = b.do(http.MethodPost, a.ts.URL+"/login/test", url.Values{"next": {next}})
		} else {
			p = b.get(a.ts.URL + "/login/test?next=" + url.QueryEscape(next))
		}
		if p.status != http.StatusFound {
			t.Fatalf("login route: got %d, want 302", p.status)
		}
		done := b.get(b.approve(mustURL(t, p.location)).String())
		if done.status != http.StatusFound || done.location != a.ts.URL+want {
			t.Fatalf("next %q (POST %v): redirected to %q, want %q", next, post, done.location, a.ts.URL+want)
		}
	}
	for _, post := range []bool{false, true} {
		for _, n := range hostile {
			check(t, n, post, "/")
		}
		for _, n := range safe {
			check(t, n, post, n)
		}
	}
}

// TestSecuritySessionCookieFlags: the recommended session options are
// HttpOnly, Secure and SameSite=Lax (RFC 9700 section 4.7 relies on the
// cookie staying out of cross-site requests); the development setting
// (Secure turned off) drops Secure only. The flags reach the Set-Cookie header.
func TestSecuritySessionCookieFlags(t *testing.T) {
	t.Parallel()
	o := ginoauth.SessionOptions()
	if !o.HttpOnly || !o.Secure || o.SameSite != http.SameSiteLaxMode || o.Path != "/" || o.MaxAge <= 0 {
		t.Fatalf("SessionOptions() = %+v, want HttpOnly, Secure, SameSite=Lax, Path /, positive MaxAge", o)
	}
	dev := o
	dev.Secure = false // what the docs suggest for http://localhost
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	for _, tt := range []struct {
		name   string
		opts   sessions.Options
		secure bool
	}{{"SessionOptions", o, true}, {"without Secure", dev, false}} {
		st := cookie.NewStore(secAuthKey, secEncKey)
		st.Options(tt.opts)
		a := newSecApp(t, srv.Provider(), secConfig(srv), st)
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(a.ts.URL + "/login/test")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cs := resp.Cookies()
		if len(cs) != 1 {
			t.Fatalf("%s: login route set %d cookies, want 1", tt.name, len(cs))
		}
		c := cs[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tt.secure || c.Path != "/" {
			t.Fatalf("%s: Set-Cookie %q: want HttpOnly, SameSite=Lax, Secure=%v, Path=/", tt.name, resp.Header.Get("Set-Cookie"), tt.secure)
		}
	}
}

// secTokens returns every access, refresh and ID token the token endpoint
// gave the app.
func secTokens(t *testing.T, w *secWire) []string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, body := range w.answers {
		for _, field := range []string{"access_token", "refresh_token", "id_token"} {
			if v := jsonField(body, field); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// jsonField extracts a top-level string field without a full decode.
func jsonField(body, field string) string {
	_, rest, ok := strings.Cut(body, `"`+field+`":"`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// cookieBlobs returns s and everything base64 decoding reveals in it,
// split at securecookie's "|" separators, a few levels deep: what a reader
// of the cookie could see without the keys.
func cookieBlobs(s string, depth int) []string {
	out := []string{s}
	if depth == 0 {
		return out
	}
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.StdEncoding, base64.RawURLEncoding, base64.RawStdEncoding} {
		d, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		for part := range strings.SplitSeq(string(d), "|") {
			out = append(out, cookieBlobs(part, depth-1)...)
		}
		out = append(out, string(d))
		break
	}
	return out
}

// TestSecurityTokensStayOutOfURLsAndCookies: through a login, an API call
// that refreshes, and a logout, no URL the browser requested, no Location
// it was sent to and no URL the app requested from the provider contains
// an access, refresh or ID token (RFC 9700 section 4.3.2, RFC 6750 section
// 5.3); with an encrypted cookie store no Set-Cookie reveals one, however
// it is decoded without the keys. An authentication-only cookie store, as
// a control, does reveal the token, which shows the search works.
// (TestNothingSecretIsLogged covers the logs.)
func TestSecurityTokensStayOutOfURLsAndCookies(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, store sessions.Store) (tokens []string, b *secBrowser, a *secApp) {
		// The app's clock moves on after the login: the API call finds
		// the token expired and refreshes it.
		srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, RotateRefreshTokens: true, AccessTokenTTL: 5 * time.Second})
		cfg := secConfig(srv)
		var ahead atomic.Int64
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		a = newSecApp(t, srv.Provider(), cfg, store)
		b = newSecBrowser(t)
		if p := b.login(a, ""); p.status != http.StatusFound {
			t.Fatalf("login: got %d", p.status)
		}
		ahead.Store(int64(time.Minute))
		if p := b.get(a.ts.URL + "/api"); p.status != http.StatusOK {
			t.Fatalf("API call: got %d", p.status)
		}
		if srv.Grants("refresh_token") != 1 {
			t.Fatalf("setup: %d refreshes, want 1", srv.Grants("refresh_token"))
		}
		if p := b.get(a.ts.URL + "/logout"); p.status != http.StatusOK {
			t.Fatalf("logout: got %d", p.status)
		}
		return secTokens(t, a.wire), b, a
	}

	t.Run("encrypted cookie store", func(t *testing.T) {
		t.Parallel()
		tokens, b, a := run(t, secEncryptedStore())
		if len(tokens) < 3 {
			t.Fatalf("setup: captured %d tokens, want the access, refresh and ID tokens", len(tokens))
		}
		a.wire.mu.Lock()
		appURLs := append([]string(nil), a.wire.urls...)
		a.wire.mu.Unlock()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, tok := range tokens {
			for _, list := range [][]string{b.urls, b.locations, appURLs} {
				for _, u := range list {
					if strings.Contains(u, tok) || strings.Contains(u, url.QueryEscape(tok)) {
						t.Fatalf("a token appears in the URL %q", u)
					}
				}
			}
			for _, sc := range b.setCookies {
				value := sc
				if _, v, ok := strings.Cut(sc, "="); ok {
					value, _, _ = strings.Cut(v, ";")
				}
				for _, blob := range cookieBlobs(value, 3) {
					if strings.Contains(blob, tok) {
						t.Fatal("a token appears in a Set-Cookie header of the encrypted store")
					}
				}
			}
		}
	})

	t.Run("control: authentication-only cookie store", func(t *testing.T) {
		t.Parallel()
		st := cookie.NewStore(secAuthKey)
		st.Options(devSessionOptions())
		tokens, b, _ := run(t, st)
		b.mu.Lock()
		defer b.mu.Unlock()
		found := false
		for _, sc := range b.setCookies {
			_, v, _ := strings.Cut(sc, "=")
			v, _, _ = strings.Cut(v, ";")
			for _, blob := range cookieBlobs(v, 3) {
				for _, tok := range tokens {
					found = found || strings.Contains(blob, tok)
				}
			}
		}
		if !found {
			t.Fatal("the search did not find the token in an unencrypted session cookie: the check above proves nothing")
		}
	})
}

// TestSecurityLoginCSRF: the login route answers GET, as Flask-Dance's
// does, so a cross-site page can start a login in a victim's browser. That
// only adds a pending login to the victim's own session; it cannot log the
// victim in as the attacker, because the attacker's callback carries a
// state bound to the attacker's session (RFC 9700 section 4.7.1), and
// forced logins cannot grow the session: only the newest
// Config.MaxPendingLogins (5) stay valid.
func TestSecurityLoginCSRF(t *testing.T) {
	t.Parallel()
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newSecApp(t, srv.Provider(), secConfig(srv), secEncryptedStore())
	attacker, victim := newSecBrowser(t), newSecBrowser(t)
	attackerCallback := attacker.approve(attacker.start(a, "")).String()

	// A cross-site page starts logins in the victim's browser, then sends
	// it to the attacker's callback.
	var states []string
	for range 20 {
		states = append(states, victim.start(a, "").Query().Get("state"))
	}
	if p := victim.get(attackerCallback); p.status != http.StatusBadRequest {
		t.Fatalf("attacker's callback in the victim's browser: got %d, want 400", p.status)
	}
	if e := a.nextErr(); e.Kind != ginoauth.KindStateMismatch {
		t.Fatalf("attacker's callback: kind %s, want %s", e.Kind, ginoauth.KindStateMismatch)
	}
	if victim.stored(a) {
		t.Fatal("the victim was logged in with the attacker's account")
	}
	for _, c := range victim.appCookies(a) {
		if len(c.Value) > 3000 {
			t.Fatalf("20 forced logins grew the session cookie to %d bytes", len(c.Value))
		}
	}
	// The oldest forced login was dropped; the newest still completes.
	oldest := mustURL(t, attackerCallback)
	if p := victim.get(withCallbackParam(oldest, "state", states[0])); p.status != http.StatusBadRequest {
		t.Fatalf("oldest of 20 pending logins: got %d, want 400", p.status)
	}
	a.nextErr()
	if p := attacker.get(attackerCallback); p.status != http.StatusFound {
		t.Fatalf("the attacker's own callback in the attacker's session: got %d, want 302", p.status)
	}
	a.noErr()
}

// TestSecuritySessionFixation: with a server-side session store (Redis),
// the session ID changes when the login completes, and the ID from before
// the login, which an attacker may have planted or read, does not carry
// the token (RFC 9700 section 4.7; OWASP session fixation).
func TestSecuritySessionFixation(t *testing.T) {
	t.Parallel()
	store := secRedisStore(t)
	srv := newSecProvider(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newSecApp(t, srv.Provider(), secConfig(srv), store)
	attacker, victim := newSecBrowser(t), newSecBrowser(t)
	planted := attacker.get(a.ts.URL + "/touch").body
	victim.setAppCookies(a, attacker.appCookies(a))
	if got := victim.get(a.ts.URL + "/sid").body; got != planted {
		t.Fatalf("setup: the victim's session ID is %q, want the planted %q", got, planted)
	}
	if p := victim.login(a, ""); p.status != http.StatusFound {
		t.Fatalf("login: got %d, want 302", p.status)
	}
	after := victim.get(a.ts.URL + "/sid").body
	if after == "" || after == planted {
		t.Fatalf("session ID after login: %q, want a new one (planted %q)", after, planted)
	}
	if !victim.stored(a) {
		t.Fatal("the victim has no token after the login")
	}
	if attacker.stored(a) {
		t.Fatal("the planted session ID carries the victim's token")
	}
	if p := attacker.get(a.ts.URL + "/api"); p.status != http.StatusUnauthorized {
		t.Fatalf("API call with the planted session ID: got %d, want 401", p.status)
	}
}

// TestSecurityProviderErrorNeedsState: an ?error= callback without a state
// this session issued is a state error, not a provider denial, so a link
// cannot make the app report a denial with text of its choosing; with the
// state, the provider's fields keep only RFC 6749's characters, so they
// cannot add lines to a log (issue: error fields honoured before the state
// check, CR/LF reaching gin's log).
func TestSecurityProviderErrorNeedsState(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)
	b := newBrowser(t)
	forged := url.Values{"error": {"access_denied"}, "error_description": {"Account locked\r\n[GIN] 200 | forged line"}}
	p := b.get(a.ts.URL + "/login/test/authorized?" + forged.Encode())
	if e := nextError(t, a); e.Kind != ginoauth.KindStateMissing || p.status != http.StatusBadRequest {
		t.Fatalf("forged error without a state: got %d, %s; want 400 state_missing", p.status, e.Kind)
	}
	forged.Set("state", b.startLogin(a, "").Query().Get("state"))
	forged.Set("error_uri", "https://provider.example/why \r\nX")
	b.get(a.ts.URL + "/login/test/authorized?" + forged.Encode())
	e := nextError(t, a)
	if e.Kind != ginoauth.KindProviderDenied || e.Code != "access_denied" {
		t.Fatalf("error with the state: got %s %q, want provider_denied access_denied", e.Kind, e.Code)
	}
	if strings.ContainsAny(e.Description+e.URI+e.Error(), "\r\n") || e.Description != "Account locked[GIN] 200 | forged line" || e.URI != "https://provider.example/whyX" {
		t.Errorf("provider fields not reduced to RFC 6749's characters: %q, %q", e.Description, e.URI)
	}
}

// devSessionOptions are the secure session options without Secure, for the
// tests' plain-http servers.
func devSessionOptions() sessions.Options {
	o := ginoauth.SessionOptions()
	o.Secure = false
	return o
}
