package ginoauth_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

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
		urls, locations, setCookies := b.Seen()
		for _, tok := range tokens {
			for _, list := range [][]string{urls, locations, appURLs} {
				for _, u := range list {
					if strings.Contains(u, tok) || strings.Contains(u, url.QueryEscape(tok)) {
						t.Fatalf("a token appears in the URL %q", u)
					}
				}
			}
			for _, sc := range setCookies {
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
		_, _, setCookies := b.Seen()
		found := false
		for _, sc := range setCookies {
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
