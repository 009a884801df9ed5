package ginoauthtest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestRevocation(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	status := func(at string) int {
		resp, _ := callAPI(t, srv, "/api/whoami", at)
		return resp.StatusCode
	}

	t.Run("access token", func(t *testing.T) {
		t.Parallel()
		tok := mustTokens(t, srv, authParams(srv))
		res := postForm(t, srv, "/revoke", url.Values{"token": {tok.str("access_token")}, "token_type_hint": {"access_token"}}, true)
		if res.status != http.StatusOK {
			t.Fatalf("revoke: got %d %v, want 200", res.status, res.body)
		}
		if got := status(tok.str("access_token")); got != http.StatusUnauthorized {
			t.Errorf("revoked access token: got %d, want 401", got)
		}
		again := postForm(t, srv, "/token", refreshForm(tok.str("refresh_token")), true)
		if again.status != http.StatusOK {
			t.Errorf("refresh after revoking only the access token: got %d, want 200", again.status)
		}
	})
	t.Run("refresh token revokes its access tokens", func(t *testing.T) {
		t.Parallel()
		tok := mustTokens(t, srv, authParams(srv))
		refreshed := postForm(t, srv, "/token", refreshForm(tok.str("refresh_token")), true)
		// A misleading hint must not matter (RFC 7009 section 2.1).
		res := postForm(t, srv, "/revoke", url.Values{"token": {tok.str("refresh_token")}, "token_type_hint": {"access_token"}}, true)
		if res.status != http.StatusOK {
			t.Fatalf("revoke: got %d, want 200", res.status)
		}
		for _, at := range []string{tok.str("access_token"), refreshed.str("access_token")} {
			if got := status(at); got != http.StatusUnauthorized {
				t.Errorf("access token of a revoked grant: got %d, want 401", got)
			}
		}
		wantOAuthError(t, postForm(t, srv, "/token", refreshForm(tok.str("refresh_token")), true), http.StatusBadRequest, "invalid_grant")
	})
	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		if res := postForm(t, srv, "/revoke", url.Values{"token": {"never-issued"}}, true); res.status != http.StatusOK {
			t.Errorf("got %d, want 200 (RFC 7009 section 2.2)", res.status)
		}
	})
	t.Run("missing token", func(t *testing.T) {
		t.Parallel()
		wantOAuthError(t, postForm(t, srv, "/revoke", url.Values{}, true), http.StatusBadRequest, "invalid_request")
	})
	t.Run("unauthenticated client", func(t *testing.T) {
		t.Parallel()
		tok := mustTokens(t, srv, authParams(srv))
		wantOAuthError(t, postForm(t, srv, "/revoke", url.Values{"token": {tok.str("access_token")}}, false), http.StatusUnauthorized, "invalid_client")
		if got := status(tok.str("access_token")); got != http.StatusOK {
			t.Errorf("token after a refused revocation: got %d, want 200", got)
		}
	})
}
