package ginoauth_test

// Benchmarks of the three hot phases (login, callback, API call with a
// stored token) side by side with a hand-written golang.org/x/oauth2 +
// gin-contrib/sessions baseline doing the same work as in bench/: random
// state, PKCE S256, the same cookie session store, the profile fetched in
// the callback and the user's ID put in the session, the token as JSON in
// the session. The provider is an in-process http.RoundTripper with canned
// answers, so the figures are library overhead; it refuses an access token
// past its expiry and counts every call, and each benchmark checks the
// count: one exchange and one profile call per callback, one API call per
// API op. Every iteration checks its outcome, so a broken flow cannot look
// fast. The full comparison (GORM, refresh, gothic, loopback) is bench/.
//
//	go test -run '^$' -bench . -benchmem

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"golang.org/x/oauth2"
)

// cannedProvider answers the token endpoint and the API in process. Its
// access tokens carry their expiry ("at-<unix seconds>"), and the API
// refuses one past it.
type cannedProvider struct {
	exchanges, apiCalls atomic.Int64
}

func (p *cannedProvider) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	body := `{"login":"octocat","id":1}`
	if strings.HasSuffix(r.URL.Path, "/token") {
		p.exchanges.Add(1)
		body = `{"access_token":"at-` + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) +
			`","token_type":"Bearer","refresh_token":"rt-0123456789","expires_in":3600,"scope":"read:user"}`
	} else {
		exp, err := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer at-"), 10, 64)
		if err != nil || time.Now().Unix() >= exp {
			return &http.Response{StatusCode: 401, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
		}
		p.apiCalls.Add(1)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

// cannedUser reads the provider's /user answer.
type cannedUser struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
}

var benchEndpoint = oauth2.Endpoint{
	AuthURL:   "https://provider.example/authorize",
	TokenURL:  "https://provider.example/token",
	AuthStyle: oauth2.AuthStyleInHeader,
}

func benchStore() sessions.Store {
	return cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef"))
}

// benchApp is one implementation mounted on a gin engine.
type benchApp struct {
	engine   *gin.Engine
	provider *cannedProvider
	login    string
	cb       string
	api      string
}

func ginoauthApp(tb testing.TB) benchApp {
	prov := &cannedProvider{}
	bp, err := ginoauth.New(ginoauth.Provider{Name: "github", Endpoint: benchEndpoint, APIBaseURL: "https://api.provider.example/",
		Profile: func(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "user", nil)
			resp, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			var u cannedUser
			if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
				return nil, err
			}
			return &ginoauth.Profile{ID: strconv.FormatInt(u.ID, 10), Username: u.Login}, nil
		}},
		ginoauth.Config{ClientID: "id", ClientSecret: "secret", Scopes: []string{"read:user"},
			HTTPClient: &http.Client{Transport: prov},
			Hooks: ginoauth.Hooks{Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, _ *ginoauth.Token) error {
				p, err := bp.Profile(c)
				if err != nil {
					return err
				}
				sessions.Default(c).Set("user", p.ID)
				return nil
			}}})
	if err != nil {
		tb.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", benchStore()))
	bp.Register(r.Group("/login"))
	r.GET("/api", func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		apiCall(c, client)
	})
	return benchApp{engine: r, provider: prov, login: "/login/github", cb: "/login/github/authorized", api: "/api"}
}

func apiCall(c *gin.Context, client *http.Client) {
	resp, err := client.Get("https://api.provider.example/user")
	if err != nil {
		c.Status(http.StatusBadGateway)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.Status(resp.StatusCode)
}

// baselineApp is what an app writes by hand with x/oauth2 and sessions.
func baselineApp(tb testing.TB) benchApp {
	conf := &oauth2.Config{ClientID: "id", ClientSecret: "secret", Endpoint: benchEndpoint, Scopes: []string{"read:user"}}
	prov := &cannedProvider{}
	hc := &http.Client{Transport: prov}
	r := gin.New()
	r.Use(sessions.Sessions("app", benchStore()))
	r.GET("/login/github", func(c *gin.Context) {
		s := sessions.Default(c)
		state, verifier := rand.Text(), oauth2.GenerateVerifier()
		s.Set("state", state)
		s.Set("verifier", verifier)
		if err := s.Save(); err != nil {
			c.Status(500)
			return
		}
		cfg := *conf
		cfg.RedirectURL = "http://" + c.Request.Host + "/login/github/authorized"
		c.Redirect(http.StatusFound, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
	})
	r.GET("/login/github/authorized", func(c *gin.Context) {
		s := sessions.Default(c)
		state, _ := s.Get("state").(string)
		verifier, _ := s.Get("verifier").(string)
		s.Delete("state")
		s.Delete("verifier")
		if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(c.Query("state"))) != 1 {
			_ = s.Save()
			c.Status(http.StatusBadRequest)
			return
		}
		cfg := *conf
		cfg.RedirectURL = "http://" + c.Request.Host + "/login/github/authorized"
		ctx := context.WithValue(c.Request.Context(), oauth2.HTTPClient, hc)
		tok, err := cfg.Exchange(ctx, c.Query("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			c.Status(http.StatusBadGateway)
			return
		}
		resp, err := conf.Client(ctx, tok).Get("https://api.provider.example/user")
		if err != nil {
			c.Status(http.StatusBadGateway)
			return
		}
		var u cannedUser
		err = json.NewDecoder(resp.Body).Decode(&u)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			c.Status(http.StatusBadGateway)
			return
		}
		s.Set("user", strconv.FormatInt(u.ID, 10))
		raw, _ := json.Marshal(tok)
		s.Set("token", string(raw))
		if err := s.Save(); err != nil {
			c.Status(500)
			return
		}
		c.Redirect(http.StatusFound, "/")
	})
	r.GET("/api", func(c *gin.Context) {
		raw, _ := sessions.Default(c).Get("token").(string)
		var tok oauth2.Token
		if raw == "" || json.Unmarshal([]byte(raw), &tok) != nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		ctx := context.WithValue(c.Request.Context(), oauth2.HTTPClient, hc)
		apiCall(c, conf.Client(ctx, &tok))
	})
	return benchApp{engine: r, provider: prov, login: "/login/github", cb: "/login/github/authorized", api: "/api"}
}

// serve runs one request with the given cookies and returns the recorder.
func (a benchApp) serve(path string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://app.example"+path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.engine.ServeHTTP(w, req)
	return w
}

// startLogin runs the login route and returns the state and the session.
func (a benchApp) startLogin(tb testing.TB) (state string, cookies []*http.Cookie) {
	w := a.serve(a.login, nil)
	if w.Code != http.StatusFound {
		tb.Fatalf("login: %d", w.Code)
	}
	loc := w.Header().Get("Location")
	i := strings.Index(loc, "state=")
	state = loc[i+len("state="):]
	if j := strings.IndexByte(state, '&'); j >= 0 {
		state = state[:j]
	}
	return state, lastCookies(w.Result().Cookies())
}

// loggedIn returns session cookies holding a token.
func (a benchApp) loggedIn(tb testing.TB) []*http.Cookie {
	state, cookies := a.startLogin(tb)
	w := a.serve(a.cb+"?code=c0de&state="+state, cookies)
	if w.Code != http.StatusFound {
		tb.Fatalf("callback: %d %s", w.Code, w.Body)
	}
	return lastCookies(w.Result().Cookies())
}

// lastCookies keeps the last cookie of each name, as a browser does.
func lastCookies(all []*http.Cookie) []*http.Cookie {
	byName := map[string]int{}
	var out []*http.Cookie
	for _, c := range all {
		if i, ok := byName[c.Name]; ok {
			out[i] = c
			continue
		}
		byName[c.Name] = len(out)
		out = append(out, c)
	}
	return out
}

func benchLogin(b *testing.B, a benchApp) {
	b.ReportAllocs()
	for b.Loop() {
		if w := a.serve(a.login, nil); w.Code != http.StatusFound {
			b.Fatalf("login: %d", w.Code)
		}
	}
}

func benchCallback(b *testing.B, a benchApp) {
	b.ReportAllocs()
	ex, calls := a.provider.exchanges.Load(), a.provider.apiCalls.Load()
	defer func() {
		// One exchange and one profile call per op, no more.
		if got := a.provider.exchanges.Load() - ex; got != int64(b.N) {
			b.Errorf("%d exchanges for %d callbacks", got, b.N)
		}
		if got := a.provider.apiCalls.Load() - calls; got != int64(b.N) {
			b.Errorf("%d profile calls for %d callbacks", got, b.N)
		}
	}()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		state, cookies := a.startLogin(b)
		path := a.cb + "?code=c0de&state=" + state
		b.StartTimer()
		if w := a.serve(path, cookies); w.Code != http.StatusFound || w.Header().Get("Location") != "/" {
			b.Fatalf("callback: %d %s", w.Code, w.Body)
		}
	}
}

func benchAPI(b *testing.B, a benchApp) {
	cookies := a.loggedIn(b)
	b.ReportAllocs()
	calls, n := a.provider.apiCalls.Load(), int64(0)
	for b.Loop() {
		if w := a.serve(a.api, cookies); w.Code != http.StatusOK {
			b.Fatalf("api: %d", w.Code)
		}
		n++
	}
	if got := a.provider.apiCalls.Load() - calls; got != n {
		b.Errorf("%d API calls for %d ops, want one each", got, n)
	}
}

func BenchmarkLogin(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	b.Run("impl=baseline", func(b *testing.B) { benchLogin(b, baselineApp(b)) })
	b.Run("impl=ginoauth", func(b *testing.B) { benchLogin(b, ginoauthApp(b)) })
}

func BenchmarkCallback(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	b.Run("impl=baseline", func(b *testing.B) { benchCallback(b, baselineApp(b)) })
	b.Run("impl=ginoauth", func(b *testing.B) { benchCallback(b, ginoauthApp(b)) })
}

func BenchmarkClientHotPath(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	b.Run("impl=baseline", func(b *testing.B) { benchAPI(b, baselineApp(b)) })
	b.Run("impl=ginoauth", func(b *testing.B) { benchAPI(b, ginoauthApp(b)) })
}

// TestBenchmarkAppsWork runs each benchmarked flow once, so the benchmark
// code stays correct in the ordinary test run.
func TestBenchmarkAppsWork(t *testing.T) {
	for name, a := range map[string]benchApp{"baseline": baselineApp(t), "ginoauth": ginoauthApp(t)} {
		cookies := a.loggedIn(t)
		if w := a.serve(a.api, cookies); w.Code != http.StatusOK {
			t.Errorf("%s: api call with the stored token: %d", name, w.Code)
		}
		if w := a.serve(a.api, nil); w.Code != http.StatusUnauthorized {
			t.Errorf("%s: api call without a session: %d, want 401", name, w.Code)
		}
		if ex, calls := a.provider.exchanges.Load(), a.provider.apiCalls.Load(); ex != 1 || calls != 2 {
			t.Errorf("%s: provider saw %d exchanges and %d API calls, want 1 and 2 (profile, API)", name, ex, calls)
		}
	}
}
