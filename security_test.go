package ginoauth_test

// Security properties as tests, with RFC 9700 (OAuth 2.0 Security Best
// Current Practice) as the checklist. docs/SECURITY.md maps each threat to
// the test that shows the defence.

import (
	"crypto/rand"
	"io"
	"net/http"
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
	"github.com/ginoauth/ginoauth/internal/testkit"
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

// secApp is the shared test app (internal/testkit) with one blueprint at
// /login/test, whose provider traffic goes through wire.
type secApp struct {
	*testkit.App
	t    *testing.T
	bp   *ginoauth.Blueprint
	ts   *httptest.Server
	wire *secWire
}

func newSecApp(t *testing.T, p ginoauth.Provider, cfg ginoauth.Config, store sessions.Store) *secApp {
	t.Helper()
	wire := &secWire{base: http.DefaultTransport}
	cfg.Name = "test" // routes /login/test, whatever the provider's name
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: wire}
	}
	ka := testkit.NewApp(t, cfg, func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) { return ginoauth.New(p, cfg) }, store,
		func(r *gin.Engine, bp *ginoauth.Blueprint) {
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
		})
	return &secApp{App: ka, t: t, bp: ka.BP, ts: ka.TS, wire: wire}
}

// nextErr returns the next error hook event.
func (a *secApp) nextErr() *ginoauth.Error { a.t.Helper(); return a.NextError() }

// noErr checks that the error hook did not run.
func (a *secApp) noErr() { a.t.Helper(); a.NoError() }

// secBrowser is the shared test browser, which records every URL it
// requested, every Location it was sent to and every Set-Cookie it got.
type secBrowser struct {
	*testkit.Browser
	t *testing.T
}

func newSecBrowser(t *testing.T) *secBrowser {
	return &secBrowser{Browser: testkit.NewBrowser(t, nil), t: t}
}

type secPage struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *secBrowser) do(method, u string, form url.Values) secPage {
	b.t.Helper()
	p := b.Do(method, u, form)
	return secPage{status: p.Status, location: p.Location, body: p.Body, header: p.Header}
}

func (b *secBrowser) get(u string) secPage { b.t.Helper(); return b.do(http.MethodGet, u, nil) }

// start GETs the login route (with query) and returns the provider URL.
func (b *secBrowser) start(a *secApp, query string) *url.URL {
	b.t.Helper()
	return a.StartLogin(b.Browser, query)
}

// approve visits the provider's authorization URL (auto-approve) and
// returns the callback URL it redirects to, without visiting it.
func (b *secBrowser) approve(authURL *url.URL) *url.URL {
	b.t.Helper()
	return testkit.Approve(b.Browser, authURL)
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

func (b *secBrowser) appCookies(a *secApp) []*http.Cookie { return b.Cookies(a.ts.URL) }

func (b *secBrowser) setAppCookies(a *secApp, cs []*http.Cookie) { b.ReplaceCookies(a.ts.URL, cs) }

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
