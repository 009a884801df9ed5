package ginoauth_test

// Security properties as tests, with RFC 9700 (OAuth 2.0 Security Best
// Current Practice) as the checklist. docs/SECURITY.md maps each threat to
// the test that shows the defence.

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"
	redigo "github.com/gomodule/redigo/redis"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
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
