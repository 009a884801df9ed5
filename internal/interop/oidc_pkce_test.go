package interop_test

import (
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
)

// TestInteropOIDCPKCEVerifiedByServer: the provider refuses the code
// without the verifier ginoauth keeps in the session, or with another one,
// and then accepts it from ginoauth (this provider does not spend a code on
// a failed attempt).
func TestInteropOIDCPKCEVerifiedByServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		verifier  string // "" sends none
		wantError string
	}{
		{name: "no verifier", wantError: "invalid_request"},
		{name: "wrong verifier", verifier: oauth2.GenerateVerifier(), wantError: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, appTS, _ := interopOIDCSetup(t, "")
			b := newInteropBrowser(t)
			authURL := b.redirect(appTS.URL + "/login/oidc")
			cb := b.redirect(b.redirect(b.redirect(authURL.String()).String()).String())
			form := url.Values{
				"grant_type":   {"authorization_code"},
				"code":         {cb.Query().Get("code")},
				"redirect_uri": {appTS.URL + "/login/oidc/authorized"},
			}
			if tt.verifier != "" {
				form.Set("code_verifier", tt.verifier)
			}
			status, tr := postTokenForm(t, p.disc.Token, form, interopOIDCClient, interopOIDCSecret)
			if status != http.StatusBadRequest || tr["error"] != tt.wantError {
				t.Errorf("direct exchange: got %d %v, want 400 %s", status, tr["error"], tt.wantError)
			}
			if _, ok := tr["access_token"]; ok {
				t.Errorf("direct exchange: got an access token, want none")
			}
			cbResp, cbBody := b.get(cb.String())
			if cbResp.StatusCode != http.StatusFound {
				t.Fatalf("callback: got status %d (%s), want 302", cbResp.StatusCode, cbBody)
			}
			if tok := b.oidcToken(appTS.URL); !tok.Authorized || tok.IDToken == "" {
				t.Errorf("after ginoauth's exchange: got authorized %t, want a stored token with an ID token", tok.Authorized)
			}
		})
	}
}
