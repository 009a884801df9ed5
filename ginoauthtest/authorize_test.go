package ginoauthtest_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestAuthorizeErrorPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	registered := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice,
		RedirectURIs: []string{"http://127.0.0.1:9/a", "http://127.0.0.1:9/b"}})
	tests := []struct {
		name string
		srv  *ginoauthtest.Server
		q    url.Values
	}{
		{"unknown client", srv, with(authParams(srv), "client_id", "someone-else")},
		{"missing client", srv, with(authParams(srv), "client_id", "")},
		{"missing redirect_uri, none registered", srv, with(authParams(srv), "redirect_uri", "")},
		{"relative redirect_uri", srv, with(authParams(srv), "redirect_uri", "/callback")},
		{"javascript redirect_uri", srv, with(authParams(srv), "redirect_uri", "javascript:alert(1)")},
		{"redirect_uri with fragment", srv, with(authParams(srv), "redirect_uri", testRedirect+"#x")},
		{"unregistered redirect_uri", registered, with(authParams(registered), "redirect_uri", "http://127.0.0.1:9/c")},
		{"missing redirect_uri, two registered", registered, with(authParams(registered), "redirect_uri", "")},
		{"repeated redirect_uri", srv, func() url.Values {
			q := authParams(srv)
			q.Add("redirect_uri", "http://evil.example/cb")
			return q
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := authorize(t, tt.srv, tt.q)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status: got %d, want %d", resp.StatusCode, http.StatusBadRequest)
			}
			if loc := resp.Header.Get("Location"); loc != "" {
				t.Errorf("Location: got %q, want none (never redirect to an unverified URI)", loc)
			}
			if !strings.Contains(body, "Authorization error") {
				t.Errorf("body: got %q, want the error page", body)
			}
		})
	}
}

func TestAuthorizeErrorRedirect(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	requirePKCE := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, RequirePKCE: true})
	chooser := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	_, challenge := pkce()
	tests := []struct {
		name     string
		srv      *ginoauthtest.Server
		q        url.Values
		wantCode string
	}{
		{"missing response_type", srv, with(authParams(srv), "response_type", ""), "invalid_request"},
		{"token response_type", srv, with(authParams(srv), "response_type", "token"), "unsupported_response_type"},
		{"unknown scope", srv, with(authParams(srv), "scope", "openid admin"), "invalid_scope"},
		{"plain PKCE", srv, with(authParams(srv), "code_challenge", challenge, "code_challenge_method", "plain"), "invalid_request"},
		{"PKCE without method means plain", srv, with(authParams(srv), "code_challenge", challenge), "invalid_request"},
		{"unknown PKCE method", srv, with(authParams(srv), "code_challenge", challenge, "code_challenge_method", "S512"), "invalid_request"},
		{"short challenge", srv, with(authParams(srv), "code_challenge", "abc", "code_challenge_method", "S256"), "invalid_request"},
		{"method without challenge", srv, with(authParams(srv), "code_challenge_method", "S256"), "invalid_request"},
		{"PKCE required", requirePKCE, authParams(requirePKCE), "invalid_request"},
		{"unknown response_mode", srv, with(authParams(srv), "response_mode", "web_message"), "invalid_request"},
		{"repeated scope", srv, func() url.Values {
			q := with(authParams(srv), "scope", "openid")
			q.Add("scope", "email")
			return q
		}(), "invalid_request"},
		{"prompt=none needs auto-approve", chooser, with(authParams(chooser), "prompt", "none"), "login_required"},
		{"prompt=none combined", srv, with(authParams(srv), "prompt", "none login"), "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, _ := authorize(t, tt.srv, tt.q)
			p := redirectParams(t, resp)
			if got := p.Get("error"); got != tt.wantCode {
				t.Errorf("error: got %q (%s), want %q", got, p.Get("error_description"), tt.wantCode)
			}
			if got := p.Get("code"); got != "" {
				t.Error("a failed request must not carry a code")
			}
			if p.Get("state") != "st-123" {
				t.Errorf("state: got %q, want %q", p.Get("state"), "st-123")
			}
			if !strings.HasPrefix(resp.Header.Get("Location"), testRedirect+"?") {
				t.Errorf("Location: got %q, want the redirect URI", resp.Header.Get("Location"))
			}
		})
	}
}

func TestAuthorizeSuccess(t *testing.T) {
	t.Parallel()
	_, challenge := pkce()
	tests := []struct {
		name    string
		cfg     ginoauthtest.Config
		q       func(srv *ginoauthtest.Server) url.Values
		wantLoc string // prefix of Location
		wantIss bool
	}{
		{"plain request", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice},
			func(srv *ginoauthtest.Server) url.Values { return authParams(srv) }, testRedirect + "?", false},
		{"S256 PKCE", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice},
			func(srv *ginoauthtest.Server) url.Values {
				return with(authParams(srv), "code_challenge", challenge, "code_challenge_method", "S256")
			}, testRedirect + "?", false},
		{"plain PKCE allowed", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, AllowPlainPKCE: true},
			func(srv *ginoauthtest.Server) url.Values {
				return with(authParams(srv), "code_challenge", challenge, "code_challenge_method", "plain")
			}, testRedirect + "?", false},
		{"redirect_uri keeps its query", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice},
			func(srv *ginoauthtest.Server) url.Values {
				return with(authParams(srv), "redirect_uri", testRedirect+"?tenant=7")
			}, testRedirect + "?", false},
		{"single registered redirect_uri may be omitted",
			ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, RedirectURIs: []string{"http://127.0.0.1:9/only"}},
			func(srv *ginoauthtest.Server) url.Values { return with(authParams(srv), "redirect_uri", "") },
			"http://127.0.0.1:9/only?", false},
		{"issuer parameter", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, SendIssuer: true},
			func(srv *ginoauthtest.Server) url.Values { return authParams(srv) }, testRedirect + "?", true},
		{"prompt=none with auto-approve", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice},
			func(srv *ginoauthtest.Server) url.Values { return with(authParams(srv), "prompt", "none") }, testRedirect + "?", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.cfg)
			q := tt.q(srv)
			resp, _ := authorize(t, srv, q)
			p := redirectParams(t, resp)
			if p.Get("code") == "" {
				t.Fatalf("no code: error %q (%s)", p.Get("error"), p.Get("error_description"))
			}
			if got := p.Get("state"); got != "st-123" {
				t.Errorf("state: got %q, want %q", got, "st-123")
			}
			if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, tt.wantLoc) {
				t.Errorf("Location: got %q, want prefix %q", loc, tt.wantLoc)
			}
			if strings.Contains(q.Get("redirect_uri"), "tenant=7") && p.Get("tenant") != "7" {
				t.Errorf("tenant: got %q, want the redirect URI's own parameter kept", p.Get("tenant"))
			}
			wantIss := ""
			if tt.wantIss {
				wantIss = srv.URL
			}
			if got := p.Get("iss"); got != wantIss {
				t.Errorf("iss: got %q, want %q", got, wantIss)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", cc)
			}
		})
	}
}

func TestAuthorizeIssuerOnError(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, SendIssuer: true})
	resp, _ := authorize(t, srv, with(authParams(srv), "scope", "nope"))
	p := redirectParams(t, resp)
	if p.Get("error") != "invalid_scope" || p.Get("iss") != srv.URL {
		t.Errorf("got error %q iss %q, want invalid_scope with iss %q (RFC 9207 section 2)", p.Get("error"), p.Get("iss"), srv.URL)
	}
}

func TestAuthorizeFragment(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	resp, _ := authorize(t, srv, with(authParams(srv), "response_mode", "fragment"))
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	frag, err := url.ParseQuery(u.Fragment)
	if err != nil {
		t.Fatal(err)
	}
	if u.RawQuery != "" || frag.Get("code") == "" || frag.Get("state") != "st-123" {
		t.Errorf("got query %q fragment %q, want code and state in the fragment only", u.RawQuery, u.Fragment)
	}
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRE   = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// parseForm returns the action and hidden fields of an HTML page's form.
func parseForm(t *testing.T, page string) (string, url.Values) {
	t.Helper()
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page %q", page)
	}
	fields := url.Values{}
	for _, f := range hiddenRE.FindAllStringSubmatch(page, -1) {
		fields.Add(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), fields
}

func TestAuthorizeFormPost(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, SendIssuer: true})
	q := with(authParams(srv), "response_mode", "form_post", "state", `a"<b>&c`)
	resp, page := authorize(t, srv, q)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status: got %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type: got %q, want text/html", ct)
	}
	action, fields := parseForm(t, page)
	if action != testRedirect {
		t.Errorf("action: got %q, want %q", action, testRedirect)
	}
	if fields.Get("code") == "" || fields.Get("state") != `a"<b>&c` || fields.Get("iss") != srv.URL {
		t.Errorf("fields: got %v, want code, the escaped state and iss", fields)
	}
	if strings.Contains(page, `a"<b>`) {
		t.Error("the state is not HTML-escaped")
	}
	for _, want := range []string{"<noscript>", `<button type="submit">`, "document.forms[0].submit()"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The posted code is a real one.
	if res := exchange(t, srv, fields.Get("code")); res.status != http.StatusOK {
		t.Errorf("exchange of the posted code: got %d %v, want 200", res.status, res.body)
	}
}

// choose loads the chooser page for q and posts answer to its form.
func choose(t *testing.T, srv *ginoauthtest.Server, q url.Values, answer url.Values) (*http.Response, string, url.Values) {
	t.Helper()
	resp, page := authorize(t, srv, q)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chooser status: got %d, want 200", resp.StatusCode)
	}
	action, fields := parseForm(t, page)
	for k, v := range answer {
		fields[k] = v
	}
	resp, err := noFollow.PostForm(action, fields)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp), fields
}

func TestChooserPage(t *testing.T) {
	t.Parallel()
	users := []ginoauthtest.User{{ID: "only", Name: "Only <One>", Email: "one@example.com"}}
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: users, Name: "devbox"})
	resp, page := authorize(t, srv, with(authParams(srv), "scope", "openid email"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status: got %d, want 200 (a single user still gets the chooser)", resp.StatusCode)
	}
	for _, want := range []string{
		"Sign in with devbox", "Only &lt;One&gt;", "one@example.com (unverified)",
		`name="user" value="only"`, `name="deny"`, ">Deny<", "<code>openid</code>, <code>email</code>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options: got %q, want DENY", got)
	}
	action, fields := parseForm(t, page)
	if action != srv.URL+"/authorize" || len(fields.Get("request")) < 20 {
		t.Errorf("form: got action %q fields %v, want a post to /authorize with a request reference", action, fields)
	}
}

func TestChooserAnswers(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	t.Run("pick a user", func(t *testing.T) {
		t.Parallel()
		resp, _, _ := choose(t, srv, authParams(srv), url.Values{"user": {"1003"}})
		p := redirectParams(t, resp)
		if p.Get("code") == "" || p.Get("state") != "st-123" {
			t.Fatalf("got %v, want code and state", p)
		}
		res := exchange(t, srv, p.Get("code"))
		if res.status != http.StatusOK {
			t.Fatalf("exchange: got %d %v", res.status, res.body)
		}
		r, body := callAPI(t, srv, "/api/whoami", res.str("access_token"))
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"username":"carol"`) {
			t.Errorf("whoami: got %d %s, want carol", r.StatusCode, body)
		}
	})
	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		resp, _, _ := choose(t, srv, authParams(srv), url.Values{"deny": {"1"}})
		p := redirectParams(t, resp)
		if p.Get("error") != "access_denied" || p.Get("code") != "" || p.Get("state") != "st-123" {
			t.Errorf("got %v, want error=access_denied with state and no code", p)
		}
	})
	t.Run("answered twice", func(t *testing.T) {
		t.Parallel()
		_, _, fields := choose(t, srv, authParams(srv), url.Values{"user": {alice}})
		resp, err := noFollow.PostForm(srv.URL+"/authorize", fields)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "expired") {
			t.Errorf("got %d Location %q, want 400 error page", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		t.Parallel()
		resp, _, _ := choose(t, srv, authParams(srv), url.Values{"user": {"mallory"}})
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("got %d Location %q, want 400 error page", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("forged request reference", func(t *testing.T) {
		t.Parallel()
		resp, err := noFollow.PostForm(srv.URL+"/authorize", url.Values{"request": {"guess"}, "user": {alice}})
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("got %d Location %q, want 400 error page", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("form_post after choosing", func(t *testing.T) {
		t.Parallel()
		resp, page, _ := choose(t, srv, with(authParams(srv), "response_mode", "form_post"), url.Values{"user": {alice}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status: got %d, want 200", resp.StatusCode)
		}
		action, fields := parseForm(t, page)
		if action != testRedirect || fields.Get("code") == "" {
			t.Errorf("got action %q fields %v, want a form post of the code", action, fields)
		}
	})
}
