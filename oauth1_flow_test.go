package ginoauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

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
	for a.nextErr() != nil {
	}
	a.mu.Lock()
	pages := strings.Join(a.pages, "\n")
	errs := strings.Join(a.errText, "\n")
	a.mu.Unlock()
	log := a.log.String()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for where, text := range map[string]string{"a page": pages, "the log": log, "an error": errs} {
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
			if err := json.Unmarshal([]byte(b.get("/token.json").body), &tok); err != nil {
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
