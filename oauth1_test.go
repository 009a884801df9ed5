package ginoauth_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/internal/testkit"
)

var o1RSAKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

func o1TestKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := o1RSAKey()
	if err != nil {
		t.Fatalf("generate RSA key: %v", err)
	}
	return k
}

// o1Server starts an OAuth 1 test provider for method with alice (1001)
// approving every request; key is the consumer's RSA key for RSA-SHA1.
func o1Server(t *testing.T, method string) (*ginoauthtest.OAuth1Server, *rsa.PrivateKey) {
	t.Helper()
	cfg := ginoauthtest.OAuth1Config{AutoApprove: "1001", SignatureMethod: method}
	var key *rsa.PrivateKey
	if method == "RSA-SHA1" {
		key = o1TestKey(t)
		cfg.RSAPublicKey = &key.PublicKey
	}
	srv := ginoauthtest.NewOAuth1Server(cfg)
	t.Cleanup(srv.Close)
	return srv, key
}

// o1Wire is the app's HTTP transport to the provider. It remembers every
// token secret the provider sent, so tests can look for them where they
// must not be, and can tamper with requests to one path.
type o1Wire struct {
	base http.RoundTripper

	mu      sync.Mutex
	secrets []string
	tamper  map[string]func(*http.Request)
}

func (w *o1Wire) RoundTrip(r *http.Request) (*http.Response, error) {
	w.mu.Lock()
	tamper := w.tamper[r.URL.Path]
	w.mu.Unlock()
	if tamper != nil {
		r = r.Clone(r.Context())
		tamper(r)
	}
	resp, err := w.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if v, err := url.ParseQuery(string(body)); err == nil {
		w.mu.Lock()
		for _, k := range []string{"oauth_token_secret", "access_token", "refresh_token"} {
			if s := v.Get(k); s != "" {
				w.secrets = append(w.secrets, s)
			}
		}
		if r.URL.Path == ginoauthtest.OAuth1PathAccessToken || r.URL.Path == ginoauthtest.JiraPathAccessToken {
			if s := v.Get("oauth_token"); s != "" {
				w.secrets = append(w.secrets, s) // the access token
			}
		}
		w.mu.Unlock()
	}
	return resp, nil
}

func (w *o1Wire) setTamper(path string, f func(*http.Request)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tamper == nil {
		w.tamper = map[string]func(*http.Request){}
	}
	w.tamper[path] = f
}

func (w *o1Wire) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.secrets...)
}

// o1FlipSignature changes one bit of the request's oauth_signature.
func o1FlipSignature(r *http.Request) {
	h := r.Header.Get("Authorization")
	re := regexp.MustCompile(`oauth_signature="([^"]*)"`)
	m := re.FindStringSubmatch(h)
	if m == nil {
		return
	}
	raw, _ := url.PathUnescape(m[1])
	sig, _ := base64.StdEncoding.DecodeString(raw)
	if len(sig) == 0 {
		return
	}
	sig[len(sig)/2] ^= 0x10
	r.Header.Set("Authorization", strings.Replace(h, m[0], `oauth_signature="`+url.QueryEscape(base64.StdEncoding.EncodeToString(sig))+`"`, 1))
}

// o1App is the shared test app (internal/testkit) with one blueprint
// mounted at /login, a debug log and the provider traffic on wire.
type o1App struct {
	*testkit.App
	t    *testing.T
	bp   *ginoauth.Blueprint
	ts   *httptest.Server
	log  *safeBuffer
	wire *o1Wire

	mu      sync.Mutex
	pages   []string // every body the app served
	errText []string // every error nextErr returned
}

// o1NewApp builds the app around the blueprint that build returns for cfg,
// which has a debug logger, an error-recording hook and the wire
// transport already.
func o1NewApp(t *testing.T, cfg ginoauth.Config, build func(ginoauth.Config) (*ginoauth.Blueprint, error)) *o1App {
	t.Helper()
	a := &o1App{t: t, log: &safeBuffer{}}
	base := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	a.wire = &o1Wire{base: base}
	cfg.HTTPClient = &http.Client{Transport: a.wire}
	cfg.Logger = slog.New(slog.NewTextHandler(a.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a.App = testkit.NewApp(t, cfg, build, nil, o1Routes)
	a.bp, a.ts = a.BP, a.TS
	return a
}

// o1Routes are the OAuth 1 suite's routes: signed API calls of each kind,
// the profile, the token as JSON, Authorized and Refresh.
func o1Routes(r *gin.Engine, bp *ginoauth.Blueprint) {
	apiAnswer := func(c *gin.Context, resp *http.Response, err error) {
		if err != nil {
			c.String(http.StatusBadGateway, "api: %v", err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.Data(resp.StatusCode, "application/json", body)
	}
	r.Any("/echo", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusInternalServerError, "client: %v", err)
			return
		}
		if c.Request.Method == http.MethodPost {
			resp, err := client.PostForm("/echo?from=app&q="+url.QueryEscape(c.Query("q")), url.Values{"status": {c.PostForm("status")}})
			apiAnswer(c, resp, err)
			return
		}
		resp, err := client.Get("echo?" + c.Request.URL.RawQuery)
		apiAnswer(c, resp, err)
	})
	r.POST("/echo-charset", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusInternalServerError, "client: %v", err)
			return
		}
		req, _ := http.NewRequestWithContext(c.Request.Context(), http.MethodPost, "echo", strings.NewReader(url.Values{"status": {c.PostForm("status")}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		resp, err := client.Do(req)
		apiAnswer(c, resp, err)
	})
	r.GET("/profile", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "profile: %v", err)
			return
		}
		c.JSON(http.StatusOK, p)
	})
	r.GET("/token.json", func(c *gin.Context) {
		tok, err := bp.Token(c)
		if err != nil {
			c.String(http.StatusNotFound, "no token")
			return
		}
		c.JSON(http.StatusOK, tok)
	})
	r.GET("/authorized", func(c *gin.Context) { c.String(http.StatusOK, "%v", bp.Authorized(c)) })
	r.GET("/refresh", func(c *gin.Context) {
		_, err := bp.Refresh(c)
		if e, ok := errors.AsType[*ginoauth.Error](err); ok {
			c.String(http.StatusOK, "%s %v", e.Kind, errors.Is(err, ginoauth.KindReauthRequired))
			return
		}
		c.String(http.StatusOK, "%v", err)
	})
}

// o1NewOAuth1App is o1NewApp for the OAuth 1 provider srv.
func o1NewOAuth1App(t *testing.T, srv *ginoauthtest.OAuth1Server, key *rsa.PrivateKey, opts ...func(*ginoauth.Config, *ginoauth.OAuth1Provider)) *o1App {
	t.Helper()
	p := srv.Provider()
	p.PrivateKey = key
	cfg := ginoauth.Config{ClientID: srv.ConsumerKey(), ClientSecret: srv.ConsumerSecret()}
	for _, o := range opts {
		o(&cfg, &p)
	}
	return o1NewApp(t, cfg, func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) { return ginoauth.NewOAuth1(p, cfg) })
}

// nextErr returns the error the error hook received, or nil.
// Every error it returns is kept for assertNoSecrets.
func (a *o1App) nextErr() *ginoauth.Error {
	e := a.PollError()
	if e != nil {
		a.mu.Lock()
		a.errText = append(a.errText, e.Error())
		a.mu.Unlock()
	}
	return e
}

// o1Browser is the shared test browser, which resolves paths against the
// app and records the app's pages.
type o1Browser struct {
	*testkit.Browser
	t   *testing.T
	app *o1App
}

type o1Page struct {
	status   int
	location string
	body     string
}

func (a *o1App) browser(t *testing.T, transport http.RoundTripper) *o1Browser {
	return &o1Browser{Browser: testkit.NewBrowser(t, transport), t: t, app: a}
}

func (b *o1Browser) do(method, u string, form url.Values) o1Page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.app.ts.URL + u
	}
	kp := b.Do(method, u, form)
	p := o1Page{status: kp.Status, location: kp.Location, body: kp.Body}
	if strings.HasPrefix(u, b.app.ts.URL) && !strings.HasPrefix(u, b.app.ts.URL+"/token") {
		b.app.mu.Lock()
		b.app.pages = append(b.app.pages, p.body+" "+p.location)
		b.app.mu.Unlock()
	}
	return p
}

func (b *o1Browser) get(u string) o1Page { return b.do(http.MethodGet, u, nil) }
