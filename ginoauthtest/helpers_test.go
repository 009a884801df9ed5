package ginoauthtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// testRedirect is a redirect URI that is never contacted: the tests read
// the Location header instead of following it.
const testRedirect = "http://127.0.0.1:9/callback"

const alice = "1001"

func newServer(t *testing.T, cfg ginoauthtest.Config) *ginoauthtest.Server {
	t.Helper()
	srv := ginoauthtest.NewServer(cfg)
	t.Cleanup(srv.Close)
	return srv
}

// noFollow is a client that returns redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// authParams are the parameters of a plain, valid authorization request.
func authParams(srv *ginoauthtest.Server) url.Values {
	return url.Values{
		"response_type": {"code"},
		"client_id":     {srv.ClientID()},
		"redirect_uri":  {testRedirect},
		"state":         {"st-123"},
	}
}

// with returns a copy of v with the pairs set (an empty value deletes).
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			out.Del(kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out
}

// get sends a GET without following redirects and returns the response
// with its body read.
func get(t *testing.T, rawURL string) (*http.Response, string) {
	t.Helper()
	resp, err := noFollow.Get(rawURL)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// authorize sends an authorization request and returns the response.
func authorize(t *testing.T, srv *ginoauthtest.Server, q url.Values) (*http.Response, string) {
	t.Helper()
	return get(t, srv.URL+"/authorize?"+q.Encode())
}

// redirectParams returns the query parameters of a 302 response's Location.
func redirectParams(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize status: got %d, want %d", resp.StatusCode, http.StatusFound)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	return u.Query()
}

// code runs an auto-approved authorization request and returns the code.
func code(t *testing.T, srv *ginoauthtest.Server, q url.Values) string {
	t.Helper()
	resp, _ := authorize(t, srv, q)
	p := redirectParams(t, resp)
	if p.Get("error") != "" {
		t.Fatalf("authorize: got error %q (%s), want a code", p.Get("error"), p.Get("error_description"))
	}
	if p.Get("code") == "" {
		t.Fatal("authorize: no code in the redirect")
	}
	return p.Get("code")
}

// tokenResult is a decoded token endpoint answer.
type tokenResult struct {
	status int
	header http.Header
	body   map[string]any
}

func (r tokenResult) str(k string) string {
	s, _ := r.body[k].(string)
	return s
}

// postForm posts form to the endpoint path, with HTTP Basic client
// authentication when basic is true.
func postForm(t *testing.T, srv *ginoauthtest.Server, path string, form url.Values, basic bool) tokenResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(srv.ClientID()), url.QueryEscape(srv.ClientSecret()))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	body := readBody(t, resp)
	res := tokenResult{status: resp.StatusCode, header: resp.Header}
	if body != "" {
		if err := json.Unmarshal([]byte(body), &res.body); err != nil {
			t.Fatalf("POST %s: body is not JSON: %v", path, err)
		}
	}
	return res
}

// exchange trades code for tokens with HTTP Basic client authentication.
func exchange(t *testing.T, srv *ginoauthtest.Server, code string, extra ...string) tokenResult {
	t.Helper()
	form := with(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}}, extra...)
	return postForm(t, srv, "/token", form, true)
}

// mustTokens exchanges a fresh auto-approved code and fails unless it
// succeeds.
func mustTokens(t *testing.T, srv *ginoauthtest.Server, q url.Values, extra ...string) tokenResult {
	t.Helper()
	res := exchange(t, srv, code(t, srv, q), extra...)
	if res.status != http.StatusOK {
		t.Fatalf("token: got %d %v, want 200", res.status, res.body)
	}
	return res
}

// wantOAuthError fails unless r is an RFC 6749 error with status and code.
func wantOAuthError(t *testing.T, r tokenResult, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Errorf("got %d %q (%s), want %d %q", r.status, r.str("error"), r.str("error_description"), status, code)
	}
}

// callAPI GETs path with a Bearer token.
func callAPI(t *testing.T, srv *ginoauthtest.Server, path, accessToken string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, readBody(t, resp)
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	v := oauth2.GenerateVerifier()
	return v, oauth2.S256ChallengeFromVerifier(v)
}
