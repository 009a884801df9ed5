package ginoauth_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	mrjones "github.com/mrjones/oauth"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
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

// o1Log is a concurrency-safe log sink.
type o1Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *o1Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *o1Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// o1App is a Gin app with one blueprint mounted at /login.
type o1App struct {
	t    *testing.T
	bp   *ginoauth.Blueprint
	ts   *httptest.Server
	errs chan *ginoauth.Error
	log  *o1Log
	wire *o1Wire

	mu    sync.Mutex
	pages []string // every body the app served
}

// o1NewApp builds the app around the blueprint that build returns for cfg,
// which has a debug logger, an error-recording hook and the wire
// transport already.
func o1NewApp(t *testing.T, cfg ginoauth.Config, build func(ginoauth.Config) (*ginoauth.Blueprint, error)) *o1App {
	t.Helper()
	a := &o1App{t: t, errs: make(chan *ginoauth.Error, 100), log: &o1Log{}}
	base := http.DefaultTransport
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	a.wire = &o1Wire{base: base}
	cfg.HTTPClient = &http.Client{Transport: a.wire}
	cfg.Logger = slog.New(slog.NewTextHandler(a.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	userErr := cfg.Hooks.Error
	cfg.Hooks.Error = func(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
		a.errs <- err
		if userErr != nil {
			userErr(c, bp, err)
		}
	}
	bp, err := build(cfg)
	if err != nil {
		t.Fatalf("build blueprint: %v", err)
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
			c.String(http.StatusBadGateway, "api: %v", err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.Data(resp.StatusCode, "application/json", body)
	})
	r.Any("/echo", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusInternalServerError, "client: %v", err)
			return
		}
		var resp *http.Response
		switch c.Request.Method {
		case http.MethodPost:
			resp, err = client.PostForm("/echo?from=app&q="+url.QueryEscape(c.Query("q")), url.Values{"status": {c.PostForm("status")}})
		default:
			resp, err = client.Get("echo?" + c.Request.URL.RawQuery)
		}
		if err != nil {
			c.String(http.StatusBadGateway, "api: %v", err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.Data(resp.StatusCode, "application/json", body)
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
		if err != nil {
			c.String(http.StatusBadGateway, "api: %v", err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.Data(resp.StatusCode, "application/json", body)
	})
	r.GET("/profile", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "profile: %v", err)
			return
		}
		c.JSON(http.StatusOK, p)
	})
	r.GET("/token", func(c *gin.Context) {
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
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			c.String(http.StatusInternalServerError, "logout: %v", err)
			return
		}
		c.String(http.StatusOK, "bye")
	})
	a.ts = httptest.NewServer(r)
	t.Cleanup(a.ts.Close)
	return a
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
func (a *o1App) nextErr() *ginoauth.Error {
	select {
	case e := <-a.errs:
		return e
	default:
		return nil
	}
}

// o1Browser is a user agent with its own cookies that shows every
// redirect.
type o1Browser struct {
	t      *testing.T
	app    *o1App
	client *http.Client
}

type o1Page struct {
	status   int
	location string
	body     string
}

func (a *o1App) browser(t *testing.T, transport http.RoundTripper) *o1Browser {
	jar, _ := cookiejar.New(nil)
	return &o1Browser{t: t, app: a, client: &http.Client{
		Jar:           jar,
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

func (b *o1Browser) do(method, u string, form url.Values) o1Page {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.app.ts.URL + u
	}
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = b.client.PostForm(u, form)
	} else {
		resp, err = b.client.Get(u)
	}
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := o1Page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
	if p.location != "" {
		if l, err := resp.Request.URL.Parse(p.location); err == nil {
			p.location = l.String()
		}
	}
	if strings.HasPrefix(u, b.app.ts.URL) && !strings.HasPrefix(u, b.app.ts.URL+"/token") {
		b.app.mu.Lock()
		b.app.pages = append(b.app.pages, p.body+" "+p.location)
		b.app.mu.Unlock()
	}
	return p
}

func (b *o1Browser) get(u string) o1Page { return b.do(http.MethodGet, u, nil) }

// startLogin GETs the login route and returns the provider URL it
// redirects to.
func (b *o1Browser) startLogin(query string) string {
	b.t.Helper()
	p := b.get(b.app.bp.LoginPath() + query)
	if p.status != http.StatusFound {
		b.t.Fatalf("login: got %d, want 302 (body %q)", p.status, p.body)
	}
	return p.location
}

// approve visits the provider's authorization URL (auto-approve) and
// returns the callback URL it redirects to.
func (b *o1Browser) approve(authURL string) string {
	b.t.Helper()
	p := b.get(authURL)
	if p.status != http.StatusFound {
		b.t.Fatalf("authorize: got %d, want 302 (body %q)", p.status, p.body)
	}
	return p.location
}

// login runs the whole dance and returns the callback's answer.
func (b *o1Browser) login(query string) o1Page {
	b.t.Helper()
	return b.get(b.approve(b.startLogin(query)))
}

// assertNoSecrets fails if a secret the provider issued, a verifier or the
// consumer secret appears in a page, the log or an error.
func (a *o1App) assertNoSecrets(t *testing.T, extra ...string) {
	t.Helper()
	secrets := append(a.wire.seen(), extra...)
	a.mu.Lock()
	pages := strings.Join(a.pages, "\n")
	a.mu.Unlock()
	var errText strings.Builder
	for {
		e := a.nextErr()
		if e == nil {
			break
		}
		errText.WriteString(e.Error() + "\n")
	}
	log := a.log.String()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for where, text := range map[string]string{"a page": pages, "the log": log, "an error": errText.String()} {
			if strings.Contains(text, s) || strings.Contains(text, url.QueryEscape(s)) {
				t.Errorf("a secret (%d chars) appears in %s", len(s), where)
			}
		}
	}
}

func o1Query(t *testing.T, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}

// o1IndependentVerifier is github.com/mrjones/oauth's request verifier for
// srv's consumer. Its HMAC-SHA1 check signs with an empty token secret, so
// with HMAC-SHA1 it can check the request-token step only; with RSA-SHA1
// (no token secret in the signature) it checks every step.
func o1IndependentVerifier(srv *ginoauthtest.OAuth1Server, key *rsa.PrivateKey) *mrjones.Provider {
	return mrjones.NewProvider(func(consumerKey string, _ map[string]string) (*mrjones.Consumer, error) {
		if consumerKey != srv.ConsumerKey() {
			return nil, errors.New("unknown consumer")
		}
		if key != nil {
			return mrjones.NewRSAConsumer(consumerKey, key, mrjones.ServiceProvider{}), nil
		}
		return mrjones.NewConsumer(consumerKey, srv.ConsumerSecret(), mrjones.ServiceProvider{}), nil
	})
}

// o1AuthParams decodes an "OAuth k="v", ..." Authorization header.
func o1AuthParams(h string) map[string]string {
	m := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(h, "OAuth "), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		v, _ = url.PathUnescape(strings.Trim(v, `"`))
		m[k] = v
	}
	return m
}

func o1Replay(t *testing.T, r ginoauthtest.OAuth1Request) *http.Request {
	t.Helper()
	req, err := http.NewRequest(r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header.Clone()
	return req
}

func TestOAuth1FullFlow(t *testing.T) {
	for _, method := range []string{"HMAC-SHA1", "RSA-SHA1"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			srv, key := o1Server(t, method)
			a := o1NewOAuth1App(t, srv, key)
			b := a.browser(t, nil)

			// Required sends an anonymous user to the login route.
			p := b.get("/whoami")
			if p.status != http.StatusFound || p.location != a.ts.URL+"/login/test1?next=%2Fwhoami" {
				t.Fatalf("anonymous /whoami: got %d %q, want 302 to the login route", p.status, p.location)
			}
			if got := b.get("/authorized").body; got != "false" {
				t.Errorf("Authorized before login: got %s, want false", got)
			}
			authURL := b.startLogin("?next=%2Fwhoami")
			if !strings.HasPrefix(authURL, srv.URL+ginoauthtest.OAuth1PathAuthorize+"?") {
				t.Fatalf("login redirects to %q, want the provider's authorize URL", authURL)
			}
			reqToken := o1Query(t, authURL).Get("oauth_token")
			if reqToken == "" {
				t.Fatal("authorize URL has no oauth_token")
			}
			callback := b.approve(authURL)
			if !strings.HasPrefix(callback, a.ts.URL+"/login/test1/authorized?") {
				t.Fatalf("provider redirects to %q, want the app's callback", callback)
			}
			p = b.get(callback)
			if p.status != http.StatusFound || p.location != a.ts.URL+"/whoami" {
				t.Fatalf("callback: got %d %q (body %q), want 302 to /whoami", p.status, p.location, p.body)
			}
			if e := a.nextErr(); e != nil {
				t.Fatalf("error hook ran: %v", e)
			}

			p = b.get("/whoami")
			var u ginoauthtest.User
			if err := json.Unmarshal([]byte(p.body), &u); err != nil || p.status != 200 || u.ID != "1001" {
				t.Fatalf("/whoami: got %d %q, want alice's JSON", p.status, p.body)
			}
			if got := b.get("/authorized").body; got != "true" {
				t.Errorf("Authorized after login: got %s, want true", got)
			}
			var tok ginoauth.Token
			if err := json.Unmarshal([]byte(b.get("/token").body), &tok); err != nil {
				t.Fatal(err)
			}
			if !srv.TokenValid(tok.AccessToken) || tok.Secret == "" {
				t.Errorf("stored token: valid at provider %v, secret set %v; want both", srv.TokenValid(tok.AccessToken), tok.Secret != "")
			}
			if tok.Extra["user_id"] != "1001" || tok.Extra["screen_name"] != "alice" {
				t.Errorf("token extras: got %v, want user_id 1001 and screen_name alice", tok.Extra)
			}
			if _, ok := tok.Extra["oauth_token_secret"]; ok {
				t.Error("the token secret is duplicated in Extra")
			}

			// Client signs form posts with query parameters, relative to the API base.
			p = b.do(http.MethodPost, "/echo?q="+url.QueryEscape("a b/c~"), url.Values{"status": {"Hello Ladies + Gentlemen, a signed OAuth request!"}})
			var echo struct {
				Method string     `json:"method"`
				Path   string     `json:"path"`
				Query  url.Values `json:"query"`
				Form   url.Values `json:"form"`
				UserID string     `json:"user_id"`
			}
			if err := json.Unmarshal([]byte(p.body), &echo); err != nil || p.status != 200 {
				t.Fatalf("/echo: got %d %q, want 200", p.status, p.body)
			}
			if echo.Method != "POST" || echo.Path != "/api/echo" || echo.UserID != "1001" || echo.Query.Get("from") != "app" ||
				echo.Query.Get("q") != "a b/c~" || echo.Form.Get("status") != "Hello Ladies + Gentlemen, a signed OAuth request!" {
				t.Errorf("provider saw %+v", echo)
			}
			if p = b.get("/echo?q=%E2%9C%93+%26+more&slash=%2F&empty="); p.status != 200 {
				t.Errorf("GET /echo with a query: got %d %q", p.status, p.body)
			}
			// A repeated parameter cannot be signed by the library: a clear
			// error, and nothing reaches the provider.
			if p = b.get("/echo?q=1&q=2"); p.status != http.StatusBadGateway || !strings.Contains(p.body, `repeated parameter "q"`) {
				t.Errorf("GET /echo with a repeated parameter: got %d %q, want 502 naming the parameter", p.status, p.body)
			}
			p = b.get("/profile")
			var prof ginoauth.Profile
			if err := json.Unmarshal([]byte(p.body), &prof); err != nil || prof.ID != "1001" || prof.Username != "alice" || !prof.EmailVerified {
				t.Errorf("/profile: got %d %q", p.status, p.body)
			}

			// Every request the provider got passed its checks, and the
			// access-token request was bound to this login's request token.
			reqs := srv.Requests()
			counts := map[string]int{}
			for _, r := range reqs {
				counts[r.Path]++
				if r.Problem != "" {
					t.Errorf("%s %s: provider problem %q", r.Method, r.Path, r.Problem)
				}
				params := o1AuthParams(r.Header.Get("Authorization"))
				if r.Path == ginoauthtest.OAuth1PathRequestToken {
					if got, want := params["oauth_callback"], a.ts.URL+"/login/test1/authorized"; got != want {
						t.Errorf("request-token oauth_callback: got %q, want %q", got, want)
					}
					if params["oauth_signature_method"] != method {
						t.Errorf("signature method: got %q, want %s", params["oauth_signature_method"], method)
					}
				}
				if r.Path == ginoauthtest.OAuth1PathAccessToken {
					if params["oauth_token"] != reqToken || params["oauth_verifier"] != o1Query(t, callback).Get("oauth_verifier") {
						t.Errorf("access-token request lacks this login's request token or verifier")
					}
				}
			}
			want := map[string]int{
				ginoauthtest.OAuth1PathRequestToken: 1, ginoauthtest.OAuth1PathAuthorize: 1,
				ginoauthtest.OAuth1PathAccessToken: 1, ginoauthtest.OAuth1PathWhoami: 2, ginoauthtest.OAuth1PathEcho: 2,
			}
			for path, n := range want {
				if counts[path] != n {
					t.Errorf("provider got %d requests to %s, want %d", counts[path], path, n)
				}
			}

			// An independent OAuth 1 implementation accepts the flow's
			// signatures, and rejects a tampered copy.
			verifier := o1IndependentVerifier(srv, key)
			checked := 0
			for _, r := range reqs {
				if r.Path == ginoauthtest.OAuth1PathAuthorize || r.Path == ginoauthtest.OAuth1PathInvalidate {
					continue // the browser's page; after the checks below
				}
				if r.Method == http.MethodPost && r.Path == ginoauthtest.OAuth1PathEcho {
					continue // mrjones leaves the query out of a form post's base string
				}
				if method == "HMAC-SHA1" && r.Path != ginoauthtest.OAuth1PathRequestToken {
					continue
				}
				if _, err := verifier.IsAuthorized(o1Replay(t, r)); err != nil {
					t.Errorf("independent verifier rejects the flow's %s %s: %v", r.Method, r.Path, err)
				}
				tampered := o1Replay(t, r)
				o1FlipSignature(tampered)
				if _, err := verifier.IsAuthorized(tampered); err == nil {
					t.Errorf("independent verifier accepts a tampered %s", r.Path)
				}
				checked++
			}
			if want := map[string]int{"HMAC-SHA1": 1, "RSA-SHA1": 5}[method]; checked != want {
				t.Errorf("independently verified %d requests, want %d", checked, want)
			}

			// OAuth 1 tokens cannot be refreshed: a typed error, no panic.
			if p := b.get("/refresh"); p.body != "reauth_required true" {
				t.Errorf("Refresh: got %q, want reauth_required", p.body)
			}

			// Logout invalidates the token at the provider and locally.
			if p := b.get("/logout"); p.status != 200 {
				t.Fatalf("/logout: got %d %q", p.status, p.body)
			}
			if srv.TokenValid(tok.AccessToken) {
				t.Error("token still valid at the provider after Logout")
			}
			if p := b.get("/whoami"); p.status != http.StatusFound {
				t.Errorf("/whoami after logout: got %d, want 302", p.status)
			}
			a.assertNoSecrets(t, srv.ConsumerSecret(), o1Query(t, callback).Get("oauth_verifier"), tok.Secret)
		})
	}
}

// TestOAuth1IndependentSignerAgrees closes the gap mrjones's verifier
// leaves for HMAC-SHA1 with a token secret: mrjones's consumer signs with
// token secrets, and the test provider, which accepted every request of
// the flow above, also accepts mrjones's requests for a token the flow
// obtained — so the flow and the independent signer agree on the key
// "consumer secret & token secret" and on the base string.
func TestOAuth1IndependentSignerAgrees(t *testing.T) {
	t.Parallel()
	srv, _ := o1Server(t, "HMAC-SHA1")
	a := o1NewOAuth1App(t, srv, nil)
	b := a.browser(t, nil)
	if p := b.login(""); p.status != http.StatusFound {
		t.Fatalf("login: got %d", p.status)
	}
	var tok ginoauth.Token
	if err := json.Unmarshal([]byte(b.get("/token").body), &tok); err != nil {
		t.Fatal(err)
	}
	consumer := mrjones.NewConsumer(srv.ConsumerKey(), srv.ConsumerSecret(), mrjones.ServiceProvider{})
	client, err := consumer.MakeHttpClient(&mrjones.AccessToken{Token: tok.AccessToken, Secret: tok.Secret})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(srv.URL + ginoauthtest.OAuth1PathWhoami + "?via=mrjones")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("mrjones-signed request with the flow's token: got %d, want 200", resp.StatusCode)
	}
	// And the flow's own client for the same token is accepted too.
	if p := b.get("/whoami"); p.status != 200 {
		t.Fatalf("flow-signed request: got %d", p.status)
	}
	wrong := mrjones.NewConsumer(srv.ConsumerKey(), srv.ConsumerSecret(), mrjones.ServiceProvider{})
	client, _ = wrong.MakeHttpClient(&mrjones.AccessToken{Token: tok.AccessToken, Secret: tok.Secret + "x"})
	resp, err = client.Get(srv.URL + ginoauthtest.OAuth1PathWhoami)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("mrjones-signed with a wrong token secret: got %d, want 401", resp.StatusCode)
	}
}

func TestOAuth1CallbackFailures(t *testing.T) {
	for _, method := range []string{"HMAC-SHA1", "RSA-SHA1"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			srv, key := o1Server(t, method)
			for _, tt := range []struct {
				name      string
				run       func(t *testing.T, a *o1App, b *o1Browser) o1Page
				status    int
				kind      ginoauth.ErrorKind
				code      string
				message   string
				exchanges int  // access-token requests the provider gets
				stored    bool // a token is stored (by an earlier, good callback)
			}{
				{"callback without a prior login", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					return b.get("/login/test1/authorized?oauth_token=forged&oauth_verifier=forged")
				}, 400, ginoauth.KindStateMissing, "", "expired or was already used", 0, false},
				{"oauth_token of another login", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					b.startLogin("")
					other := a.browser(t, nil)
					cb := other.approve(other.startLogin(""))
					q := o1Query(t, cb)
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(q.Get("oauth_token")) + "&oauth_verifier=" + url.QueryEscape(q.Get("oauth_verifier")))
				}, 400, ginoauth.KindStateMismatch, "", "could not be verified", 0, false},
				{"reused request token", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					if p := b.get(cb); p.status != http.StatusFound {
						t.Fatalf("first callback: got %d", p.status)
					}
					if e := a.nextErr(); e != nil {
						t.Fatalf("first callback failed: %v", e)
					}
					return b.get(cb)
				}, 400, ginoauth.KindStateMissing, "", "expired or was already used", 1, true},
				{"wrong verifier", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					q := o1Query(t, cb)
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(q.Get("oauth_token")) + "&oauth_verifier=wrong")
				}, 502, ginoauth.KindExchangeFailed, "verifier_invalid", "could not complete the login", 0, false},
				{"missing verifier", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(o1Query(t, cb).Get("oauth_token")))
				}, 400, ginoauth.KindCodeMissing, "", "incomplete", 0, false},
				{"user denies (X style)", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					authURL := b.startLogin("")
					p := b.do(http.MethodPost, srv.URL+ginoauthtest.OAuth1PathAuthorize, url.Values{"oauth_token": {o1Query(t, authURL).Get("oauth_token")}, "deny": {"1"}})
					if q := o1Query(t, p.location); q.Get("denied") == "" {
						t.Fatalf("provider denial redirect %q has no denied parameter", p.location)
					}
					return b.get(p.location)
				}, 400, ginoauth.KindProviderDenied, "access_denied", "You declined", 0, false},
				{"user denies (Jira style)", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					authURL := b.startLogin("")
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(o1Query(t, authURL).Get("oauth_token")) + "&oauth_verifier=denied")
				}, 400, ginoauth.KindProviderDenied, "access_denied", "You declined", 0, false},
				{"tampered access-token signature", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					a.wire.setTamper(ginoauthtest.OAuth1PathAccessToken, o1FlipSignature)
					return b.login("")
				}, 502, ginoauth.KindExchangeFailed, "signature_invalid", "could not complete the login", 0, false},
				{"tampered request-token signature", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					a.wire.setTamper(ginoauthtest.OAuth1PathRequestToken, o1FlipSignature)
					return b.get("/login/test1")
				}, 502, ginoauth.KindExchangeFailed, "signature_invalid", "could not complete the login", 0, false},
				{"provider down at the request-token step", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					srv.FailNext(ginoauthtest.OAuth1PathRequestToken, http.StatusServiceUnavailable, "busy")
					return b.get("/login/test1")
				}, 502, ginoauth.KindExchangeFailed, "", "could not complete the login", 0, false},
				{"request token not confirmed", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					srv.FailNext(ginoauthtest.OAuth1PathRequestToken, http.StatusOK, "oauth_token=unconfirmed-token&oauth_token_secret=unconfirmed-secret")
					return b.get("/login/test1")
				}, 502, ginoauth.KindExchangeFailed, "", "could not complete the login", 0, false},
				{"provider down at the access-token step", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					srv.FailNext(ginoauthtest.OAuth1PathAccessToken, http.StatusInternalServerError, "oauth_problem=internal")
					return b.get(cb)
				}, 502, ginoauth.KindExchangeFailed, "internal", "could not complete the login", 0, false},
			} {
				t.Run(tt.name, func(t *testing.T) {
					a := o1NewOAuth1App(t, srv, key)
					b := a.browser(t, nil)
					before := srv.Count(ginoauthtest.OAuth1PathAccessToken)
					p := tt.run(t, a, b)
					if p.status != tt.status {
						t.Errorf("status: got %d, want %d (body %q)", p.status, tt.status, p.body)
					}
					if !strings.Contains(p.body, tt.message) || !strings.Contains(p.body, string(tt.kind)) {
						t.Errorf("page %q lacks %q and the kind %s", p.body, tt.message, tt.kind)
					}
					e := a.nextErr()
					if e == nil {
						t.Fatal("error hook did not run")
					}
					if e.Kind != tt.kind || e.Code != tt.code || e.Provider != "test1" {
						t.Errorf("error: got kind %s code %q provider %q, want %s %q test1", e.Kind, e.Code, e.Provider, tt.kind, tt.code)
					}
					if tt.kind == ginoauth.KindStateMissing || tt.kind == ginoauth.KindStateMismatch {
						if got := srv.Count(ginoauthtest.OAuth1PathAccessToken) - before; got != tt.exchanges {
							t.Errorf("the provider got %d access-token requests, want %d", got, tt.exchanges)
						}
					}
					if stored := b.get("/token").status == http.StatusOK; stored != tt.stored {
						t.Errorf("token stored: got %v, want %v", stored, tt.stored)
					}
					a.errs <- e
					a.assertNoSecrets(t, srv.ConsumerSecret())
				})
			}
		})
	}
}

// TestOAuth1APIRequestsSigned shows that the provider's protected endpoint
// checks the signature of Client's requests: a tampered one fails.
func TestOAuth1APIRequestsSigned(t *testing.T) {
	t.Parallel()
	srv, key := o1Server(t, "RSA-SHA1")
	a := o1NewOAuth1App(t, srv, key)
	b := a.browser(t, nil)
	if p := b.login(""); p.status != http.StatusFound {
		t.Fatalf("login: got %d", p.status)
	}
	if p := b.get("/whoami"); p.status != 200 {
		t.Fatalf("/whoami: got %d %q", p.status, p.body)
	}
	// A form body is signed whatever the Content-Type's parameters, and
	// the header reaches the provider unchanged.
	p := b.do(http.MethodPost, "/echo-charset", url.Values{"status": {"naïve ✓"}})
	var echo struct {
		Form        url.Values `json:"form"`
		ContentType string     `json:"content_type"`
	}
	if err := json.Unmarshal([]byte(p.body), &echo); err != nil || p.status != 200 ||
		echo.Form.Get("status") != "naïve ✓" || echo.ContentType != "application/x-www-form-urlencoded; charset=utf-8" {
		t.Errorf("form post with a charset: got %d %q", p.status, p.body)
	}
	a.wire.setTamper(ginoauthtest.OAuth1PathWhoami, o1FlipSignature)
	if p := b.get("/whoami"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "signature_invalid") {
		t.Errorf("tampered API request: got %d %q, want 401 signature_invalid", p.status, p.body)
	}
	a.wire.setTamper(ginoauthtest.OAuth1PathWhoami, func(r *http.Request) { r.Header.Del("Authorization") })
	if p := b.get("/whoami"); p.status != http.StatusBadRequest {
		t.Errorf("unsigned API request: got %d %q, want 400", p.status, p.body)
	}
}

// o1HookOutcome is what a browser and the app saw for one hook case.
type o1HookOutcome struct {
	Status   int
	Location string
	Body     string
	Stored   bool
	Kind     ginoauth.ErrorKind
}

// TestOAuth1HooksMatchOAuth2 runs one table of hook cases against an OAuth
// 2 blueprint and an OAuth 1 blueprint, and wants the same outcome.
func TestOAuth1HooksMatchOAuth2(t *testing.T) {
	t.Parallel()
	srv2 := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	t.Cleanup(srv2.Close)
	srv1, _ := o1Server(t, "HMAC-SHA1")

	flows := []struct {
		name  string
		build func(t *testing.T, hooks ginoauth.Hooks, failureURL string) *o1App
	}{
		{"OAuth2", func(t *testing.T, hooks ginoauth.Hooks, failureURL string) *o1App {
			cfg := ginoauth.Config{ClientID: srv2.ClientID(), ClientSecret: srv2.ClientSecret(), Hooks: hooks, FailureURL: failureURL}
			return o1NewApp(t, cfg, func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) { return ginoauth.New(srv2.Provider(), cfg) })
		}},
		{"OAuth1", func(t *testing.T, hooks ginoauth.Hooks, failureURL string) *o1App {
			return o1NewOAuth1App(t, srv1, nil, func(cfg *ginoauth.Config, _ *ginoauth.OAuth1Provider) {
				cfg.Hooks, cfg.FailureURL = hooks, failureURL
			})
		}},
	}
	for _, tt := range []struct {
		name       string
		hooks      ginoauth.Hooks
		failureURL string
		replay     bool // send the callback twice; the outcome is the second's
		want       o1HookOutcome
	}{
		{name: "no hooks", want: o1HookOutcome{Status: 302, Location: "/", Stored: true}},
		{name: "Authorized returns nil", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error { return nil },
		}, want: o1HookOutcome{Status: 302, Location: "/", Stored: true}},
		{name: "Authorized skips the store", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error { return ginoauth.ErrSkipStore },
		}, want: o1HookOutcome{Status: 302, Location: "/", Stored: false}},
		{name: "Authorized takes the response over", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				c.String(http.StatusCreated, "welcome")
				return nil
			},
		}, want: o1HookOutcome{Status: 201, Body: "welcome", Stored: false}},
		{name: "Authorized uses the new token", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				client, err := bp.Client(c)
				if err != nil {
					return err
				}
				resp, err := client.Get("whoami")
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				var u struct{ ID string }
				if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || u.ID != "1001" {
					return fmt.Errorf("whoami in the hook: %d %v", resp.StatusCode, err)
				}
				c.String(http.StatusOK, "hello %s", u.ID)
				return nil
			},
		}, want: o1HookOutcome{Status: 200, Body: "hello 1001", Stored: false}},
		{name: "Authorized fails", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				return errors.New("no such local user")
			},
		}, want: o1HookOutcome{Status: 500, Stored: false, Kind: ginoauth.KindHookFailed}},
		{name: "Authorized fails with a kind", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				return &ginoauth.Error{Kind: ginoauth.KindProviderDenied, Code: "access_denied"}
			},
		}, want: o1HookOutcome{Status: 400, Stored: false, Kind: ginoauth.KindProviderDenied}},
		{name: "Error hook takes a replayed callback over", replay: true, hooks: ginoauth.Hooks{
			Error: func(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
				c.Redirect(http.StatusFound, "/sorry?kind="+string(err.Kind))
			},
		}, want: o1HookOutcome{Status: 302, Location: "/sorry?kind=state_missing", Stored: true, Kind: ginoauth.KindStateMissing}},
		{name: "FailureURL for a replayed callback", replay: true, failureURL: "/oops",
			want: o1HookOutcome{Status: 302, Location: "/oops?error=state_missing", Stored: true, Kind: ginoauth.KindStateMissing}},
		{name: "BeforeLogin takes the response over", hooks: ginoauth.Hooks{
			BeforeLogin: func(c *gin.Context, bp *ginoauth.Blueprint, authURL string) error {
				c.String(http.StatusOK, "go to the provider yourself")
				return nil
			},
		}, want: o1HookOutcome{Status: 200, Body: "go to the provider yourself", Stored: false}},
		{name: "BeforeLogin fails", hooks: ginoauth.Hooks{
			BeforeLogin: func(c *gin.Context, bp *ginoauth.Blueprint, authURL string) error { return errors.New("closed") },
		}, want: o1HookOutcome{Status: 500, Stored: false, Kind: ginoauth.KindHookFailed}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got [2]o1HookOutcome
			for i, f := range flows {
				a := f.build(t, tt.hooks, tt.failureURL)
				b := a.browser(t, nil)
				var p o1Page
				login := b.get(a.bp.LoginPath())
				if tt.hooks.BeforeLogin != nil {
					p = login
				} else {
					cb := b.approve(login.location)
					p = b.get(cb)
					if tt.replay {
						p = b.get(cb)
					}
				}
				out := o1HookOutcome{Status: p.status, Location: strings.TrimPrefix(p.location, a.ts.URL), Stored: b.get("/token").status == 200}
				if p.status < 300 || p.status > 399 {
					if p.status < 400 {
						out.Body = p.body
					}
				}
				if e := a.nextErr(); e != nil {
					out.Kind = e.Kind
				}
				got[i] = out
				if out != tt.want {
					t.Errorf("%s: got %+v, want %+v", f.name, out, tt.want)
				}
			}
			if got[0] != got[1] {
				t.Errorf("OAuth 2 and OAuth 1 differ: %+v vs %+v", got[0], got[1])
			}
		})
	}
}

func TestOAuth1RequiredAndConcurrentLogins(t *testing.T) {
	t.Parallel()
	srv, _ := o1Server(t, "HMAC-SHA1")
	a := o1NewOAuth1App(t, srv, nil)
	// Required answers 401 to a non-GET request.
	if p := a.browser(t, nil).do(http.MethodPost, "/echo", url.Values{"status": {"x"}}); p.status != http.StatusUnauthorized {
		t.Errorf("anonymous POST: got %d, want 401", p.status)
	}

	// Two tabs of one browser, finished in reverse order, both succeed.
	b := a.browser(t, nil)
	first, second := b.startLogin("?next=%2Ffirst"), b.startLogin("?next=%2Fsecond")
	cb1, cb2 := b.approve(first), b.approve(second)
	if p := b.get(cb2); p.status != http.StatusFound || p.location != a.ts.URL+"/second" {
		t.Errorf("second tab: got %d %q", p.status, p.location)
	}
	if p := b.get(cb1); p.status != http.StatusFound || p.location != a.ts.URL+"/first" {
		t.Errorf("first tab: got %d %q", p.status, p.location)
	}

	// Many users at once, each with their own token.
	const users = 20
	var wg sync.WaitGroup
	tokens := make([]string, users)
	for i := range users {
		wg.Go(func() {
			b := a.browser(t, nil)
			if p := b.login(""); p.status != http.StatusFound {
				t.Errorf("user %d: callback %d", i, p.status)
				return
			}
			if p := b.get("/whoami"); p.status != 200 {
				t.Errorf("user %d: whoami %d", i, p.status)
			}
			var tok ginoauth.Token
			if err := json.Unmarshal([]byte(b.get("/token").body), &tok); err != nil {
				t.Errorf("user %d: %v", i, err)
			}
			tokens[i] = tok.AccessToken
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, tok := range tokens {
		if tok == "" || seen[tok] {
			t.Errorf("tokens not distinct per user: %d distinct of %d", len(seen), users)
			break
		}
		seen[tok] = true
	}
}

func TestNewOAuth1Config(t *testing.T) {
	t.Parallel()
	key := o1TestKey(t)
	good := ginoauth.OAuth1Provider{
		Name:            "x",
		RequestTokenURL: "https://x.example/oauth/request_token",
		AuthorizeURL:    "https://x.example/oauth/authorize",
		AccessTokenURL:  "https://x.example/oauth/access_token",
	}
	with := func(f func(*ginoauth.OAuth1Provider, *ginoauth.Config)) (ginoauth.OAuth1Provider, ginoauth.Config) {
		p, c := good, ginoauth.Config{ClientID: "key", ClientSecret: "secret"}
		f(&p, &c)
		return p, c
	}
	for _, tt := range []struct {
		name string
		p    ginoauth.OAuth1Provider
		cfg  ginoauth.Config
	}{
		{"valid HMAC", good, ginoauth.Config{ClientID: "key", ClientSecret: "secret"}},
		{"valid RSA", func() ginoauth.OAuth1Provider {
			p := good
			p.PrivateKey = key
			return p
		}(), ginoauth.Config{ClientID: "key"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bp, err := ginoauth.NewOAuth1(tt.p, tt.cfg)
			if err != nil || bp == nil {
				t.Fatalf("got %v, want a blueprint", err)
			}
			if bp.Name() != "x" {
				t.Errorf("name: got %q", bp.Name())
			}
		})
	}
	for _, tt := range []struct {
		name    string
		mutate  func(*ginoauth.OAuth1Provider, *ginoauth.Config)
		wantErr string
	}{
		{"no request-token URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.RequestTokenURL = "" }, "RequestTokenURL is required"},
		{"relative authorize URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.AuthorizeURL = "/authorize" }, "AuthorizeURL must be an absolute"},
		{"ftp access-token URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.AccessTokenURL = "ftp://x/y" }, "AccessTokenURL must be an absolute"},
		{"bad revocation URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.RevocationURL = "revoke" }, "RevocationURL"},
		{"no consumer key", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.ClientID = "" }, "ClientID is required"},
		{"HMAC without secret", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.ClientSecret = "" }, "ClientSecret (the consumer secret) is required"},
		{"invalid RSA key", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.PrivateKey = &rsa.PrivateKey{} }, "not a valid RSA key"},
		{"scopes", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.Scopes = []string{"read"} }, "Scopes have no meaning"},
		{"token params", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.TokenParams = map[string]string{"a": "b"} }, "TokenParams"},
		{"no name", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.Name = "" }, "Name"},
		{"bad API base", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.APIBaseURL = "api/" }, "APIBaseURL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, c := with(tt.mutate)
			_, err := ginoauth.NewOAuth1(p, c)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "ginoauth: ") {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if err != nil && c.ClientSecret != "" && strings.Contains(err.Error(), c.ClientSecret) {
				t.Error("the error shows the consumer secret")
			}
		})
	}
	t.Run("StartLogin is for OAuth 2", func(t *testing.T) {
		bp, err := ginoauth.NewOAuth1(with(func(*ginoauth.OAuth1Provider, *ginoauth.Config) {}))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		c.Set(sessions.DefaultKey, nil)
		if _, err := bp.StartLogin(c, "/"); err == nil {
			t.Error("StartLogin on an OAuth 1 blueprint: got nil error")
		}
	})
}

// TestOAuth1NoRevocationEndpoint: without RevocationURL, Logout only
// deletes the local token, and the provider's token stays valid.
func TestOAuth1NoRevocationEndpoint(t *testing.T) {
	t.Parallel()
	srv, _ := o1Server(t, "HMAC-SHA1")
	a := o1NewOAuth1App(t, srv, nil, func(_ *ginoauth.Config, p *ginoauth.OAuth1Provider) { p.RevocationURL = "" })
	b := a.browser(t, nil)
	b.login("")
	var tok ginoauth.Token
	if err := json.Unmarshal([]byte(b.get("/token").body), &tok); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/logout"); p.status != 200 {
		t.Fatalf("logout: got %d", p.status)
	}
	if !srv.TokenValid(tok.AccessToken) {
		t.Error("token revoked at the provider without a revocation endpoint")
	}
	if srv.Count(ginoauthtest.OAuth1PathInvalidate) != 0 {
		t.Error("the revocation endpoint was called")
	}
	if p := b.get("/token"); p.status != http.StatusNotFound {
		t.Error("the token is still stored after Logout")
	}
}

func TestOAuth1AuthParams(t *testing.T) {
	t.Parallel()
	srv, _ := o1Server(t, "HMAC-SHA1")
	a := o1NewOAuth1App(t, srv, nil, func(c *ginoauth.Config, p *ginoauth.OAuth1Provider) {
		p.AuthParams = map[string]string{"force_login": "false", "lang": "en"}
		c.AuthParams = map[string]string{"force_login": "true", "oauth_token": "ignored"}
	})
	q := o1Query(t, a.browser(t, nil).startLogin(""))
	if q.Get("force_login") != "true" || q.Get("lang") != "en" || len(q["oauth_token"]) != 1 || q.Get("oauth_token") == "ignored" {
		t.Errorf("authorize URL query: got %v", q)
	}
}
