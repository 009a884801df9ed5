package ginoauthtest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestTokenSuccessResponse(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, AccessTokenTTL: 90 * time.Second})
	res := mustTokens(t, srv, with(authParams(srv), "scope", "openid email"))
	if res.str("access_token") == "" || res.str("refresh_token") == "" || res.str("id_token") == "" {
		t.Errorf("got %v, want access, refresh and ID tokens", res.body)
	}
	if got := res.str("token_type"); got != "Bearer" {
		t.Errorf("token_type: got %q, want Bearer", got)
	}
	if got, _ := res.body["expires_in"].(float64); got != 90 {
		t.Errorf("expires_in: got %v, want 90", res.body["expires_in"])
	}
	if got := res.str("scope"); got != "openid email" {
		t.Errorf("scope: got %q, want %q", got, "openid email")
	}
	acct, _ := res.body["test_account"].(map[string]any)
	if acct["plan"] != "free" {
		t.Errorf("test_account: got %v, want {plan: free}", res.body["test_account"])
	}
	if got := res.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	if got := res.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}
}

func TestTokenWithoutOpenIDHasNoIDToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	res := mustTokens(t, srv, with(authParams(srv), "scope", "profile"))
	if _, ok := res.body["id_token"]; ok {
		t.Errorf("got id_token without the openid scope")
	}
}

func TestTokenClientAuthentication(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, ClientID: "my app", ClientSecret: "s3cr&t+/"})
	public := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, PublicClient: true})
	tests := []struct {
		name       string
		srv        *ginoauthtest.Server
		setAuth    func(req *http.Request, form url.Values)
		wantStatus int
		wantError  string
		wantAuth   string
	}{
		{"basic, form-encoded credentials", srv, func(req *http.Request, _ url.Values) {
			req.SetBasicAuth(url.QueryEscape("my app"), url.QueryEscape("s3cr&t+/"))
		}, 200, "", "basic"},
		{"client_secret_post", srv, func(_ *http.Request, f url.Values) {
			f.Set("client_id", "my app")
			f.Set("client_secret", "s3cr&t+/")
		}, 200, "", "post"},
		{"basic, wrong secret", srv, func(req *http.Request, _ url.Values) {
			req.SetBasicAuth("my+app", "wrong")
		}, 401, "invalid_client", "basic"},
		{"post, wrong secret", srv, func(_ *http.Request, f url.Values) {
			f.Set("client_id", "my app")
			f.Set("client_secret", "wrong")
		}, 401, "invalid_client", "post"},
		{"no authentication", srv, func(_ *http.Request, f url.Values) {
			f.Set("client_id", "my app")
		}, 401, "invalid_client", "none"},
		{"two methods", srv, func(req *http.Request, f url.Values) {
			req.SetBasicAuth(url.QueryEscape("my app"), url.QueryEscape("s3cr&t+/"))
			f.Set("client_secret", "s3cr&t+/")
		}, 400, "invalid_request", "basic"},
		{"basic, other client_id in body", srv, func(req *http.Request, f url.Values) {
			req.SetBasicAuth(url.QueryEscape("my app"), url.QueryEscape("s3cr&t+/"))
			f.Set("client_id", "other")
		}, 401, "invalid_client", "basic"},
		{"bearer instead of basic", srv, func(req *http.Request, _ url.Values) {
			req.Header.Set("Authorization", "Bearer abc")
		}, 401, "invalid_client", "basic"},
		{"public client by client_id", public, func(_ *http.Request, f url.Values) {
			f.Set("client_id", "test-client")
		}, 200, "", "none"},
		{"public client, unknown client_id", public, func(_ *http.Request, f url.Values) {
			f.Set("client_id", "other")
		}, 401, "invalid_client", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			verifier, challenge := pkce()
			c := code(t, tt.srv, with(authParams(tt.srv), "code_challenge", challenge, "code_challenge_method", "S256"))
			form := url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect}, "code_verifier": {verifier}}
			req, _ := http.NewRequest(http.MethodPost, tt.srv.URL+"/token", nil)
			tt.setAuth(req, form)
			body := form.Encode()
			req.Body = io.NopCloser(strings.NewReader(body))
			req.ContentLength = int64(len(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body = readBody(t, resp)
			if resp.StatusCode != tt.wantStatus || (tt.wantError != "" && !strings.Contains(body, `"error":"`+tt.wantError+`"`)) {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantError)
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate: got %q, want a Basic challenge", resp.Header.Get("WWW-Authenticate"))
			}
			reqs := tt.srv.Requests()
			var last ginoauthtest.Request
			for _, r := range reqs {
				if r.Path == "/token" && r.Form.Get("code") == c {
					last = r
				}
			}
			if last.ClientAuth != tt.wantAuth {
				t.Errorf("recorded ClientAuth: got %q, want %q", last.ClientAuth, tt.wantAuth)
			}
		})
	}
}

func TestTokenRequestErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{"missing grant_type", url.Values{"code": {"x"}}, 400, "invalid_request"},
		{"unsupported grant_type", url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}, 400, "unsupported_grant_type"},
		{"client_credentials unsupported", url.Values{"grant_type": {"client_credentials"}}, 400, "unsupported_grant_type"},
		{"missing code", url.Values{"grant_type": {"authorization_code"}}, 400, "invalid_request"},
		{"unknown code", url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}}, 400, "invalid_grant"},
		{"missing refresh_token", url.Values{"grant_type": {"refresh_token"}}, 400, "invalid_request"},
		{"unknown refresh_token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, 400, "invalid_grant"},
		{"repeated parameter", url.Values{"grant_type": {"authorization_code", "refresh_token"}}, 400, "invalid_request"},
		{"malformed verifier", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "code_verifier": {"short"}}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantOAuthError(t, postForm(t, srv, "/token", tt.form, true), tt.wantStatus, tt.wantError)
		})
	}
	t.Run("GET", func(t *testing.T) {
		t.Parallel()
		resp, _ := get(t, srv.URL+"/token?grant_type=authorization_code")
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("got %d Allow %q, want 405 Allow POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
	t.Run("JSON body", func(t *testing.T) {
		t.Parallel()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader(`{"grant_type":"refresh_token"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth(srv.ClientID(), srv.ClientSecret())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(body, "invalid_request") {
			t.Errorf("got %d %s, want 400 invalid_request", resp.StatusCode, body)
		}
	})
}

func TestCodeExchangeChecks(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	plain := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, AllowPlainPKCE: true})
	verifier, challenge := pkce()
	other, _ := pkce()
	withPKCE := with(authParams(srv), "code_challenge", challenge, "code_challenge_method", "S256")
	tests := []struct {
		name      string
		srv       *ginoauthtest.Server
		q         url.Values
		extra     []string
		wantError string // "" means success
	}{
		{"S256 verifier matches", srv, withPKCE, []string{"code_verifier", verifier}, ""},
		{"S256 verifier mismatch", srv, withPKCE, []string{"code_verifier", other}, "invalid_grant"},
		{"S256 verifier missing", srv, withPKCE, nil, "invalid_grant"},
		{"verifier without challenge", srv, authParams(srv), []string{"code_verifier", verifier}, "invalid_grant"},
		{"plain verifier matches", plain, with(authParams(plain), "code_challenge", verifier, "code_challenge_method", "plain"),
			[]string{"code_verifier", verifier}, ""},
		{"plain verifier mismatch", plain, with(authParams(plain), "code_challenge", verifier, "code_challenge_method", "plain"),
			[]string{"code_verifier", other}, "invalid_grant"},
		{"wrong redirect_uri", srv, authParams(srv), []string{"redirect_uri", testRedirect + "x"}, "invalid_grant"},
		{"missing redirect_uri", srv, authParams(srv), []string{"redirect_uri", ""}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := exchange(t, tt.srv, code(t, tt.srv, tt.q), tt.extra...)
			if tt.wantError == "" {
				if res.status != http.StatusOK {
					t.Errorf("got %d %v, want 200", res.status, res.body)
				}
				return
			}
			wantOAuthError(t, res, http.StatusBadRequest, tt.wantError)
		})
	}
}

func TestCodeOmittedRedirectURI(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, RedirectURIs: []string{testRedirect}})
	c := code(t, srv, with(authParams(srv), "redirect_uri", ""))
	res := postForm(t, srv, "/token", url.Values{"grant_type": {"authorization_code"}, "code": {c}}, true)
	if res.status != http.StatusOK {
		t.Errorf("got %d %v, want 200: redirect_uri may be left out of both requests", res.status, res.body)
	}
}

func TestCodeSingleUse(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	c := code(t, srv, authParams(srv))
	first := exchange(t, srv, c)
	if first.status != http.StatusOK {
		t.Fatalf("first exchange: got %d %v", first.status, first.body)
	}
	wantOAuthError(t, exchange(t, srv, c), http.StatusBadRequest, "invalid_grant")

	// The replay revoked what the code gave (RFC 6749 section 4.1.2).
	if resp, _ := callAPI(t, srv, "/userinfo", first.str("access_token")); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("access token after code replay: got %d, want 401", resp.StatusCode)
	}
	refresh := postForm(t, srv, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.str("refresh_token")}}, true)
	wantOAuthError(t, refresh, http.StatusBadRequest, "invalid_grant")
}

func TestCodeSpentByFailedAttempt(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	verifier, challenge := pkce()
	wrong, _ := pkce()
	c := code(t, srv, with(authParams(srv), "code_challenge", challenge, "code_challenge_method", "S256"))
	wantOAuthError(t, exchange(t, srv, c, "code_verifier", wrong), http.StatusBadRequest, "invalid_grant")
	// A verifier cannot be guessed: the right one is too late now.
	wantOAuthError(t, exchange(t, srv, c, "code_verifier", verifier), http.StatusBadRequest, "invalid_grant")
}

func TestCodeExpires(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	now := start
	srv.SetClock(func() time.Time { return now })
	fresh := code(t, srv, authParams(srv))
	stale := code(t, srv, authParams(srv))
	now = start.Add(59 * time.Second)
	if res := exchange(t, srv, fresh); res.status != http.StatusOK {
		t.Errorf("59 s old code: got %d %v, want 200", res.status, res.body)
	}
	now = start.Add(time.Minute)
	wantOAuthError(t, exchange(t, srv, stale), http.StatusBadRequest, "invalid_grant")
}

func refreshForm(rt string, kv ...string) url.Values {
	return with(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, kv...)
}

func TestRefreshWithoutRotation(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	first := mustTokens(t, srv, with(authParams(srv), "nonce", "n-1"))
	rt := first.str("refresh_token")
	for i := range 2 {
		res := postForm(t, srv, "/token", refreshForm(rt), false)
		if res.status != http.StatusUnauthorized {
			t.Fatalf("refresh without client authentication: got %d, want 401", res.status)
		}
		res = postForm(t, srv, "/token", refreshForm(rt), true)
		if res.status != http.StatusOK {
			t.Fatalf("refresh %d: got %d %v, want 200", i, res.status, res.body)
		}
		if _, ok := res.body["refresh_token"]; ok {
			t.Errorf("refresh %d: got a refresh_token, want none without rotation", i)
		}
		if res.str("access_token") == first.str("access_token") || res.str("id_token") == "" {
			t.Errorf("refresh %d: got %v, want a new access token and an ID token", i, res.body)
		}
		if claims := idClaims(t, res.str("id_token")); claims["nonce"] != nil {
			t.Errorf("refresh %d: ID token nonce: got %v, want none (OpenID Connect Core 12.2)", i, claims["nonce"])
		}
	}
	// The first access token is still good.
	if resp, _ := callAPI(t, srv, "/userinfo", first.str("access_token")); resp.StatusCode != http.StatusOK {
		t.Errorf("original access token: got %d, want 200", resp.StatusCode)
	}
	if got := srv.Grants("refresh_token"); got != 4 {
		t.Errorf("Grants(refresh_token): got %d, want 4", got)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, RotateRefreshTokens: true})
	first := mustTokens(t, srv, authParams(srv))
	second := postForm(t, srv, "/token", refreshForm(first.str("refresh_token")), true)
	if second.status != http.StatusOK || second.str("refresh_token") == "" || second.str("refresh_token") == first.str("refresh_token") {
		t.Fatalf("got %d %v, want a new refresh token", second.status, second.body)
	}
	wantOAuthError(t, postForm(t, srv, "/token", refreshForm(first.str("refresh_token")), true), http.StatusBadRequest, "invalid_grant")
	third := postForm(t, srv, "/token", refreshForm(second.str("refresh_token")), true)
	if third.status != http.StatusOK {
		t.Errorf("refresh with the new token: got %d %v, want 200", third.status, third.body)
	}
}

func TestRefreshScope(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	rt := mustTokens(t, srv, with(authParams(srv), "scope", "openid email")).str("refresh_token")
	narrow := postForm(t, srv, "/token", refreshForm(rt, "scope", "email"), true)
	if narrow.status != http.StatusOK || narrow.str("scope") != "email" || narrow.str("id_token") != "" {
		t.Errorf("narrowed refresh: got %d %v, want scope email without ID token", narrow.status, narrow.body)
	}
	wantOAuthError(t, postForm(t, srv, "/token", refreshForm(rt, "scope", "openid profile"), true), http.StatusBadRequest, "invalid_scope")
	full := postForm(t, srv, "/token", refreshForm(rt), true)
	if full.str("scope") != "openid email" {
		t.Errorf("refresh without scope: got scope %q, want the original %q", full.str("scope"), "openid email")
	}
}
