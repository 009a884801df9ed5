package ginoauthtest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// TestEndSession: the RP-Initiated Logout endpoint checks its hint, its
// client and the post-logout redirect before sending the browser back.
func TestEndSession(t *testing.T) {
	t.Parallel()
	const back = "https://app.example/logged-out"
	srv := newServer(t, ginoauthtest.Config{RedirectURIs: []string{testRedirect}, PostLogoutRedirectURIs: []string{back}, AutoApprove: "1001"})
	other := newServer(t, ginoauthtest.Config{RedirectURIs: []string{testRedirect}, AutoApprove: "1001", ClientID: "other-client"})
	idToken := mustTokens(t, srv, with(authParams(srv), "scope", "openid")).str("id_token")
	foreign := mustTokens(t, other, with(authParams(other), "scope", "openid")).str("id_token")
	if idToken == "" || foreign == "" {
		t.Fatal("no ID token issued")
	}
	end := func(v url.Values) (int, string) {
		resp, _ := get(t, srv.URL+ginoauthtest.PathEndSession+"?"+v.Encode())
		return resp.StatusCode, resp.Header.Get("Location")
	}
	ok := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {back}, "state": {"s1"}}
	if code, loc := end(ok); code != http.StatusFound || loc != back+"?state=s1" {
		t.Errorf("valid request: %d %q, want a redirect with the state", code, loc)
	}
	if code, _ := end(url.Values{"client_id": {srv.ClientID()}, "post_logout_redirect_uri": {back}}); code != http.StatusFound {
		t.Errorf("client_id instead of a hint: %d, want 302", code)
	}
	if code, _ := end(url.Values{}); code != http.StatusOK {
		t.Errorf("no redirect asked: %d, want the signed-out page", code)
	}
	for name, v := range map[string]url.Values{
		"unregistered redirect": with(ok, "post_logout_redirect_uri", "https://evil.example/"),
		"another client's hint": with(ok, "id_token_hint", foreign),
		"a forged hint":         with(ok, "id_token_hint", idToken[:len(idToken)-4]+"AAAA"),
		"unknown client":        with(ok, "client_id", "someone"),
		"redirect without hint": {"post_logout_redirect_uri": {back}},
	} {
		if code, _ := end(v); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
}
