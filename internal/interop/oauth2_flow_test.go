package interop_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
)

func TestInteropOAuth2FullFlow(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{})
	appURL := appTS.URL
	b := newInteropBrowser(t)

	// Login route: a redirect to the server's authorize endpoint.
	resp, body := b.get(appURL + "/login/o2?next=/done")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: got status %d (%s), want 302", resp.StatusCode, body)
	}
	authURL, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := authURL.Scheme+"://"+authURL.Host+authURL.Path, p.ts.URL+"/authorize"; got != want {
		t.Errorf("authorize endpoint: got %v, want %v", got, want)
	}
	q := authURL.Query()
	for name, want := range map[string]string{
		"response_type":         "code",
		"client_id":             interopClientID,
		"redirect_uri":          appURL + "/login/o2/authorized",
		"scope":                 "read write",
		"code_challenge_method": "S256",
	} {
		if got := q.Get(name); got != want {
			t.Errorf("authorize %s: got %q, want %q", name, got, want)
		}
	}
	state := q.Get("state")
	if len(state) < 22 {
		t.Errorf("state: got %d characters, want at least 22 (128 bits)", len(state))
	}
	if got := len(q.Get("code_challenge")); got != 43 {
		t.Errorf("code_challenge: got %d characters, want 43 (base64url SHA-256)", got)
	}
	if q.Has("client_secret") || q.Has("code_verifier") {
		t.Errorf("authorize URL carries client_secret or code_verifier, want neither")
	}

	// The server approves and redirects back with a code and our state.
	cb := b.redirect(authURL.String())
	if got, want := cb.Scheme+"://"+cb.Host+cb.Path, appURL+"/login/o2/authorized"; got != want {
		t.Errorf("callback: got %v, want %v", got, want)
	}
	if got := cb.Query().Get("state"); got != state {
		t.Errorf("callback state: got %q, want the login's state", got)
	}
	if cb.Query().Get("code") == "" {
		t.Fatalf("callback has no code (error=%q)", cb.Query().Get("error"))
	}

	// The callback exchanges the code and sends the browser on to next.
	done := b.redirect(cb.String())
	if got, want := done.Path, "/done"; got != want {
		t.Errorf("after login: got %v, want %v", got, want)
	}
	reqs := p.tokenRequests()
	if len(reqs) != 1 {
		t.Fatalf("token requests: got %d, want 1", len(reqs))
	}
	if r := reqs[0]; r.GrantType != "authorization_code" || !r.HasVerifier || !r.BasicAuth || r.FormSecret {
		t.Errorf("code exchange: got %+v, want authorization_code with code_verifier and HTTP Basic client auth only", r)
	}

	tok := b.token(appURL)
	if !tok.Authorized {
		t.Errorf("Authorized after login: got false, want true")
	}
	if tok.Access == "" || tok.Refresh == "" {
		t.Fatalf("stored token: got access %t refresh %t, want both", tok.Access != "", tok.Refresh != "")
	}
	if got, want := tok.Type, "Bearer"; got != want {
		t.Errorf("token type: got %v, want %v", got, want)
	}
	if got, want := tok.Scopes, []string{"read", "write"}; !slices.Equal(got, want) {
		t.Errorf("scopes: got %v, want %v", got, want)
	}
	if d := time.Until(tok.Expiry); d < 119*time.Minute || d > 2*time.Hour {
		t.Errorf("expiry: got %v from now, want about 2h (expires_in 7200)", d)
	}
	if got, want := tok.Extra["account_tier"], "gold"; got != want {
		t.Errorf("extra account_tier: got %v, want %v", got, want)
	}

	// An API call through bp.Client reaches the protected resource.
	var me map[string]string
	b.getJSON(appURL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID || me["client_id"] != interopClientID || me["scope"] != "read write" {
		t.Errorf("resource: got %v, want user %s, client %s, scope %q", me, interopUserID, interopClientID, "read write")
	}
	if got := p.grants(); len(got) != 1 {
		t.Errorf("grants after a call with a fresh token: got %v, want no refresh", got)
	}

	// Expire the stored token: the next call refreshes transparently.
	if resp, body := b.get(appURL + "/expire"); resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: got status %d (%s)", resp.StatusCode, body)
	}
	b.getJSON(appURL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID {
		t.Errorf("resource after refresh: got %v, want user %s", me, interopUserID)
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v", got, want)
	}
	if r := p.tokenRequests()[1]; !r.BasicAuth || r.FormSecret {
		t.Errorf("refresh request: got %+v, want HTTP Basic client auth only", r)
	}
	fresh := b.token(appURL)
	if fresh.Access == "" || fresh.Access == tok.Access {
		t.Errorf("access token after refresh: got the old one or none, want a new one")
	}
	if fresh.Refresh == "" || fresh.Refresh == tok.Refresh {
		t.Errorf("refresh token after refresh: got the old one or none, want the rotated one")
	}
	if d := time.Until(fresh.Expiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiry after refresh: got %v from now, want about 1h", d)
	}
	if got, want := fresh.Extra["account_tier"], "gold"; got != want {
		t.Errorf("extra after refresh: got %v, want %v", got, want)
	}
	if !slices.Equal(fresh.Scopes, []string{"read", "write"}) {
		t.Errorf("scopes after refresh: got %v, want [read write]", fresh.Scopes)
	}
	// The server retired the old access token and honours the new one.
	if code, body := p.resource(t, tok.Access); code != http.StatusUnauthorized {
		t.Errorf("old access token at the resource: got %d %v, want 401", code, body)
	}
	if code, body := p.resource(t, fresh.Access); code != http.StatusOK {
		t.Errorf("new access token at the resource: got %d %v, want 200", code, body)
	}
	// The next call uses the stored new token without refreshing again.
	b.getJSON(appURL+"/api", http.StatusOK, &me)
	if got := len(p.grants()); got != 2 {
		t.Errorf("token requests after a call with the refreshed token: got %d, want 2", got)
	}

	// Logout: the token is gone and the user is no longer authorized.
	if resp, body := b.get(appURL + "/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: got status %d (%s)", resp.StatusCode, body)
	}
	after := b.token(appURL)
	if after.Authorized || !after.NoToken {
		t.Errorf("after logout: got authorized %t, no token %t, want false, true", after.Authorized, after.NoToken)
	}
	var res interopAPIResult
	b.getJSON(appURL+"/api", http.StatusUnauthorized, &res)
	if !res.NoToken {
		t.Errorf("API call after logout: got %+v, want ErrNoToken", res)
	}
}

// TestInteropOAuth2PKCEVerifiedByServer shows that the server really checks
// the PKCE verifier ginoauth keeps in the session: a direct exchange of the
// same code without it, or with another verifier, is refused.
func TestInteropOAuth2PKCEVerifiedByServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		verifier   string // "" sends none
		wantStatus int
		wantError  string
		// what ginoauth's own exchange of the same code does afterwards
		wantCallbackStatus int
		wantCallbackKind   string
	}{
		{
			name:       "no verifier",
			wantStatus: http.StatusBadRequest, wantError: "invalid_request",
			// The request was refused before the code was redeemed, so
			// ginoauth's exchange, with the right verifier, succeeds.
			wantCallbackStatus: http.StatusFound,
		},
		{
			name:       "wrong verifier",
			verifier:   oauth2.GenerateVerifier(),
			wantStatus: http.StatusUnauthorized, wantError: "invalid_grant",
			// The server burns a code on a failed redemption.
			wantCallbackStatus: http.StatusBadGateway, wantCallbackKind: string(ginoauth.KindExchangeFailed),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, appTS, _ := interopO2Setup(t, interopO2Options{})
			b := newInteropBrowser(t)
			authURL := b.redirect(appTS.URL + "/login/o2")
			cb := b.redirect(authURL.String())
			code := cb.Query().Get("code")
			if code == "" {
				t.Fatal("callback has no code")
			}

			form := url.Values{
				"grant_type":   {"authorization_code"},
				"code":         {code},
				"redirect_uri": {appTS.URL + "/login/o2/authorized"},
			}
			if tt.verifier != "" {
				form.Set("code_verifier", tt.verifier)
			}
			status, tr := postTokenForm(t, p.ts.URL+"/token", form, interopClientID, interopClientSecret)
			if status != tt.wantStatus || tr["error"] != tt.wantError {
				t.Errorf("direct exchange: got %d %v, want %d %s", status, tr["error"], tt.wantStatus, tt.wantError)
			}
			if _, ok := tr["access_token"]; ok {
				t.Errorf("direct exchange: got an access token, want none")
			}

			cbResp, cbBody := b.get(cb.String())
			if cbResp.StatusCode != tt.wantCallbackStatus {
				t.Fatalf("callback: got status %d (%s), want %d", cbResp.StatusCode, cbBody, tt.wantCallbackStatus)
			}
			tok := b.token(appTS.URL)
			if tt.wantCallbackKind == "" {
				if !tok.Authorized || tok.Access == "" {
					t.Errorf("after callback: got authorized %t, want a stored token", tok.Authorized)
				}
				return
			}
			var got struct{ Kind, Code string }
			if err := json.Unmarshal(cbBody, &got); err != nil {
				t.Fatalf("callback error body %q: %v", cbBody, err)
			}
			if got.Kind != tt.wantCallbackKind || got.Code != "invalid_grant" {
				t.Errorf("callback error: got %s/%s, want %s/invalid_grant", got.Kind, got.Code, tt.wantCallbackKind)
			}
			if tok.Authorized || !tok.NoToken {
				t.Errorf("after failed callback: got authorized %t, want no token", tok.Authorized)
			}
		})
	}
}

// TestInteropOAuth2RefreshInvalidGrant: the server no longer knows the
// refresh token, so its invalid_grant must reach the app as
// KindReauthRequired.
func TestInteropOAuth2RefreshInvalidGrant(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{})
	b := newInteropBrowser(t)
	if got := interopO2Login(t, b, appTS.URL); got.Path != "/done" {
		t.Fatalf("login: ended at %v, want /done", got.Path)
	}
	tok := b.token(appTS.URL)
	if err := p.mgr.RemoveRefreshToken(context.Background(), tok.Refresh); err != nil {
		t.Fatalf("server-side revocation: %v", err)
	}
	if resp, body := b.get(appTS.URL + "/expire"); resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: got status %d (%s)", resp.StatusCode, body)
	}

	var res interopAPIResult
	b.getJSON(appTS.URL+"/api", http.StatusUnauthorized, &res)
	want := interopAPIResult{Reauth: true, Kind: string(ginoauth.KindReauthRequired), Code: "invalid_grant"}
	if res != want {
		t.Errorf("API call with a dead refresh token: got %+v, want %+v", res, want)
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v", got, want)
	}
}

// TestInteropOAuth2ServerSideExpiry lets the server's short token lifetime
// run out for real, then checks that the app's next call refreshes and
// succeeds.
func TestInteropOAuth2ServerSideExpiry(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{codeAccessExp: time.Second})
	b := newInteropBrowser(t)
	interopO2Login(t, b, appTS.URL)
	tok := b.token(appTS.URL)
	if d := time.Until(tok.Expiry); d > time.Second {
		t.Errorf("expiry: got %v from now, want at most 1s (expires_in 1)", d)
	}

	// Poll the resource directly until the server rejects the token.
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := p.resource(t, tok.Access)
		if code == http.StatusUnauthorized {
			if body["error"] != "expired access token" {
				t.Errorf("resource: got %v, want the expired-token error", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resource still accepts the token after 5s (status %d)", code)
		}
		<-tick.C
	}

	var me map[string]string
	b.getJSON(appTS.URL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID {
		t.Errorf("resource after refresh: got %v, want user %s", me, interopUserID)
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v", got, want)
	}
	if fresh := b.token(appTS.URL); fresh.Access == tok.Access || time.Until(fresh.Expiry) < 59*time.Minute {
		t.Errorf("stored token after refresh: want a new access token valid for about 1h")
	}
}
