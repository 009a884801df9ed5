package ginoauth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"golang.org/x/oauth2"
)

// Security tests of the API client: where the token goes.

// clientIn runs fn with bp's API client in a request whose user has tok.
func clientIn(t *testing.T, bp *ginoauth.Blueprint, st *memory.Storage, tok *ginoauth.Token, fn func(*http.Client)) {
	t.Helper()
	if _, err := st.OwnerRef("u", bp.Name()).Swap(t.Context(), nil, tok); err != nil {
		t.Fatal(err)
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	client, err := bp.Client(c)
	if err != nil {
		t.Fatal(err)
	}
	fn(client)
}

func ownerStorage() *memory.Storage {
	return memory.New(memory.Config{Owner: func(*gin.Context) (string, bool) { return "u", true }})
}

// TestSecuritySchemeRelativeURLIsRefused: "//evil.example/x" is not a path
// under the API base; resolving it would send the token to another host.
func TestSecuritySchemeRelativeURLIsRefused(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	evil := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer evil.Close()
	st := ownerStorage()
	bp := mustBP(ginoauth.New(ginoauth.Provider{
		Name: "p", Endpoint: oauth2.Endpoint{AuthURL: "https://p.example/a", TokenURL: "https://p.example/t"},
		APIBaseURL: "https://api.p.example/v1/",
	}, ginoauth.Config{ClientID: "id", Storage: st, HTTPClient: evil.Client()}))
	clientIn(t, bp, st, &ginoauth.Token{AccessToken: "secret-token"}, func(client *http.Client) {
		resp, err := client.Get("//" + strings.TrimPrefix(evil.URL, "https://") + "/x")
		if err == nil {
			resp.Body.Close()
			t.Fatal("a scheme-relative URL was sent")
		}
	})
	if hits.Load() != 0 {
		t.Errorf("the other host got %d requests", hits.Load())
	}
}

// stubTransport answers from a table and records the Authorization header
// of every request by URL.
type stubTransport struct {
	mu    sync.Mutex
	auth  map[string]string
	reply func(r *http.Request) *http.Response
}

func (s *stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.auth[r.URL.String()] = r.Header.Get("Authorization")
	s.mu.Unlock()
	return s.reply(r), nil
}

func stubResponse(r *http.Request, status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body)), Request: r}
}

// TestSecurityRedirectToAnotherOriginDropsToken: a redirect keeps the
// token only to the same origin (scheme, host and port); https → http on
// the same host, another port or another host get none.
func TestSecurityRedirectToAnotherOriginDropsToken(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"http://api.p.example/next", "https://api.p.example:8443/next", "https://evil.example/next", "https://api.p.example/same"} {
		stub := &stubTransport{auth: map[string]string{}, reply: func(r *http.Request) *http.Response {
			if r.URL.Path == "/start" {
				return stubResponse(r, http.StatusFound, http.Header{"Location": {target}}, "")
			}
			return stubResponse(r, http.StatusOK, nil, "ok")
		}}
		st := ownerStorage()
		bp := mustBP(ginoauth.New(ginoauth.Provider{
			Name: "p", Endpoint: oauth2.Endpoint{AuthURL: "https://p.example/a", TokenURL: "https://p.example/t"},
			APIBaseURL: "https://api.p.example/",
		}, ginoauth.Config{ClientID: "id", Storage: st, HTTPClient: &http.Client{Transport: stub}}))
		clientIn(t, bp, st, &ginoauth.Token{AccessToken: "secret-token"}, func(client *http.Client) {
			resp, err := client.Get("start")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		})
		got := stub.auth[target]
		if same := strings.HasPrefix(target, "https://api.p.example/"); same != (got != "") {
			t.Errorf("redirect to %s: Authorization %q; want the token only on the same origin", target, got)
		}
	}
}

// TestSecurityResponseCannotSetVerifiedClaims: "id_token_claims" in a
// token response is not taken: the key holds what the library verified.
func TestSecurityResponseCannotSetVerifiedClaims(t *testing.T) {
	t.Parallel()
	ts, _, _ := tokenEndpoint(t, `{"access_token":"new","token_type":"Bearer","expires_in":3600,"id_token_claims":{"sub":"attacker"}}`)
	bp := mustBP(ginoauth.New(ginoauth.Provider{
		Name: "p", Endpoint: oauth2.Endpoint{AuthURL: ts.URL + "/a", TokenURL: ts.URL + "/t"},
	}, ginoauth.Config{ClientID: "id", ClientSecret: "s"}))
	old := &ginoauth.Token{AccessToken: "old", RefreshToken: "r", Extra: map[string]any{"id_token_claims": map[string]any{"sub": "victim"}}}
	got, err := refreshIn(t, bp, old)
	if err != nil {
		t.Fatal(err)
	}
	if claims, _ := got.Extra["id_token_claims"].(map[string]any); claims["sub"] != "victim" {
		t.Errorf("claims after a refresh whose response names some: %v, want the verified ones", got.Extra["id_token_claims"])
	}
}

// TestSecurityProfileInCallbackIsBounded: the profile fetch of a linking
// hook is bounded by the HTTPClient's Timeout, like every provider call of the
// login.
func TestSecurityProfileInCallbackIsBounded(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	srv.SetLatency(ginoauthtest.PathUserinfo, 4*time.Second)
	hookErr := make(chan error, 1)
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
		c.HTTPClient = &http.Client{Timeout: 500 * time.Millisecond}
		c.Hooks.Authorized = func(c *gin.Context, bp *ginoauth.Blueprint, _ *ginoauth.Token) error {
			_, err := bp.Profile(c)
			hookErr <- err
			return err
		}
	})
	b := newBrowser(t)
	start := time.Now()
	b.get(b.authorize(b.startLogin(a, "")))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the callback took %v with a 500 ms timeout", took)
	}
	if err := <-hookErr; err == nil || !errors.Is(err, ginoauth.KindReauthRequired) && kindOf(err) != ginoauth.KindProfileFailed {
		t.Errorf("Profile with a slow userinfo: %v, want profile_failed", err)
	}
}

func kindOf(err error) ginoauth.ErrorKind {
	if e, ok := errors.AsType[*ginoauth.Error](err); ok {
		return e.Kind
	}
	return ""
}

// TestSecurityFormPostResubmitPageIsBounded: the page that posts a
// cross-site form_post answer again echoes at most a handful of short
// fields, whatever a forged POST sends.
func TestSecurityFormPostResubmitPageIsBounded(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv, func(_ *ginoauth.Config, p *ginoauth.Provider) { p.FormPostCallback = true })
	form := url.Values{"code": {"c"}, "state": {"s"}}
	for i := range 200 {
		form.Set(fmt.Sprintf("field%03d", i), strings.Repeat("x", 100))
	}
	form.Set("huge", strings.Repeat("y", 1<<20))
	resp, err := http.PostForm(a.ts.URL+"/login/test/authorized", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := strings.Count(string(body), "<input"); resp.StatusCode != http.StatusOK || n > 17 {
		t.Errorf("resubmit page: %d with %d fields, want at most 16 and the marker", resp.StatusCode, n)
	}
	if len(body) > 200<<10 || strings.Contains(string(body), "yyyy") {
		t.Errorf("resubmit page is %d bytes and echoes the 1 MB field", len(body))
	}
	if !strings.Contains(string(body), `name="code" value="c"`) || !strings.Contains(string(body), `name="state" value="s"`) {
		t.Errorf("resubmit page lost the callback's own fields")
	}
}

// TestSecurityLoginPOSTOnly: the outside review's forced account linking.
// With Config.LoginPOSTOnly a page on another site cannot start a login:
// GET is not a login start, and a cross-site POST is refused.
func TestSecurityLoginPOSTOnly(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.LoginPOSTOnly = true })
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method string, header map[string]string) int {
		req, _ := http.NewRequest(method, a.ts.URL+"/login/test", nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name   string
		method string
		header map[string]string
		want   int
	}{
		{"GET", http.MethodGet, nil, http.StatusMethodNotAllowed},
		{"cross-site POST", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"POST from another origin", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"same-origin POST", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusFound},
		{"POST from a non-browser client", http.MethodPost, nil, http.StatusFound},
	} {
		if got := send(tc.method, tc.header); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
	if e := nextError(t, a); e.Kind != ginoauth.KindCrossOrigin {
		t.Errorf("error kind: got %s, want cross_origin", e.Kind)
	}
}

// TestSecurityTokenOnlyToAPIOrigins: the API client sends the token only to
// the API base's origin and Provider.APIOrigins; a request to any other
// origin fails without reaching it.
func TestSecurityTokenOnlyToAPIOrigins(t *testing.T) {
	t.Parallel()
	stub := &stubTransport{auth: map[string]string{}, reply: func(r *http.Request) *http.Response {
		return stubResponse(r, http.StatusOK, nil, "ok")
	}}
	st := ownerStorage()
	bp := mustBP(ginoauth.New(ginoauth.Provider{
		Name: "p", Endpoint: oauth2.Endpoint{AuthURL: "https://p.example/a", TokenURL: "https://p.example/t"},
		APIBaseURL: "https://api.p.example/v1/", APIOrigins: []string{"https://userinfo.p.example"},
	}, ginoauth.Config{ClientID: "id", Storage: st, HTTPClient: &http.Client{Transport: stub}}))
	clientIn(t, bp, st, &ginoauth.Token{AccessToken: "secret-token"}, func(client *http.Client) {
		for _, u := range []string{"https://api.p.example/v1/me", "https://API.p.example:443/v2/x", "https://userinfo.p.example/me"} {
			resp, err := client.Get(u)
			if err != nil {
				t.Errorf("%s: %v", u, err)
				continue
			}
			resp.Body.Close()
		}
		for _, u := range []string{"https://evil.example/x", "http://api.p.example/v1/me", "https://api.p.example:8443/v1/me"} {
			if resp, err := client.Get(u); err == nil {
				resp.Body.Close()
				t.Errorf("%s: sent, want an error", u)
			}
		}
	})
	for u, auth := range stub.auth {
		lu := strings.ToLower(u)
		if !strings.HasPrefix(lu, "https://api.p.example") && !strings.HasPrefix(lu, "https://userinfo.p.example/") || auth != "Bearer secret-token" {
			t.Errorf("request to %s with Authorization %q", u, auth)
		}
	}
	if len(stub.auth) != 3 {
		t.Errorf("%d requests reached the network, want 3", len(stub.auth))
	}
}

// mustBP returns bp, or panics with err: for blueprints a test builds from
// a known-good configuration.
func mustBP(bp *ginoauth.Blueprint, err error) *ginoauth.Blueprint {
	if err != nil {
		panic(err)
	}
	return bp
}
