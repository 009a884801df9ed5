package ginoauthtest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestAuthorizeMethod(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/authorize", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST" {
		t.Errorf("got %d Allow %q, want 405 with Allow: GET, POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
	// OpenID Connect allows the authorization request as a form POST.
	resp, err = noFollow.PostForm(srv.URL+"/authorize", authParams(srv))
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	if p := redirectParams(t, resp); p.Get("code") == "" {
		t.Errorf("POST authorization request: got %v, want a code", p)
	}
}

// TestRedirectURIsMustBeRegistered: the outside review found the example
// app's built-in providers handing codes to any redirect_uri. Without
// registered redirect URIs, and without the explicit test opt-out, no
// authorization request is answered with a redirect.
func TestRedirectURIsMustBeRegistered(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{AutoApprove: alice})
	defer srv.Close()
	q := url.Values{"client_id": {srv.ClientID()}, "response_type": {"code"}, "state": {"s"},
		"redirect_uri": {"https://evil.example/cb"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + ginoauthtest.PathAuthorize + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(string(body), "registered redirect URIs") {
		t.Errorf("authorize without registered redirect URIs: %d to %q, want a 400 page", resp.StatusCode, resp.Header.Get("Location"))
	}
}
