package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
	"golang.org/x/oauth2"
)

func TestInteropOIDCFullFlow(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopOIDCSetup(t, "")
	appURL := appTS.URL

	// What providers/oidc takes from the discovery document.
	prov, err := oidc.Discover(context.Background(), p.issuer, oidc.Config{Config: ginoauth.Config{ClientID: interopOIDCClient}})
	if err != nil {
		t.Fatal(err)
	}
	// And what it hands the app of the rest.
	m, err := oidc.FetchMetadata(context.Background(), p.issuer, oidc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if m.EndSessionURL == "" || m.EndSessionURL != p.disc.EndSession || m.UserInfoURL != p.disc.UserInfo ||
		strings.Join(m.CodeChallengeMethods, " ") != strings.Join(p.disc.CodeChallenges, " ") {
		t.Errorf("FetchMetadata: got end session %q, userinfo %q, PKCE %v; want the document's %+v", m.EndSessionURL, m.UserInfoURL, m.CodeChallengeMethods, p.disc)
	}
	if prov.RevocationURL != p.disc.Revocation || prov.RevocationURL == "" {
		t.Errorf("RevocationURL: got %q, want %q", prov.RevocationURL, p.disc.Revocation)
	}
	if !prov.OpenID || prov.VerifyIDToken == nil || prov.Profile == nil {
		t.Errorf("provider: got OpenID %t, verifier %t, profile %t, want all", prov.OpenID, prov.VerifyIDToken != nil, prov.Profile != nil)
	}
	if got, want := prov.Endpoint.TokenURL, p.disc.Token; got != want {
		t.Errorf("TokenURL: got %v, want %v", got, want)
	}
	if !slices.Contains(p.disc.CodeChallenges, "S256") || !slices.Contains(p.disc.AuthMethods, "client_secret_basic") {
		t.Fatalf("discovery: got PKCE %v, auth methods %v, want S256 and client_secret_basic", p.disc.CodeChallenges, p.disc.AuthMethods)
	}
	if got, want := prov.Endpoint.AuthStyle, oauth2.AuthStyleInHeader; got != want {
		t.Errorf("AuthStyle: got %v, want %v (client_secret_basic)", got, want)
	}

	b := newInteropBrowser(t)
	authURL, cbResp, cbBody := interopOIDCLogin(t, b, appURL)
	q := authURL.Query()
	if got, want := authURL.Scheme+"://"+authURL.Host+authURL.Path, p.disc.Authorization; got != want {
		t.Errorf("authorize endpoint: got %v, want %v", got, want)
	}
	for name, want := range map[string]string{
		"client_id":             interopOIDCClient,
		"response_type":         "code",
		"scope":                 strings.Join(interopOIDCScopes, " "),
		"redirect_uri":          appURL + "/login/oidc/authorized",
		"code_challenge_method": "S256",
	} {
		if got := q.Get(name); got != want {
			t.Errorf("authorize %s: got %q, want %q", name, got, want)
		}
	}
	nonce := q.Get("nonce")
	if len(nonce) < 22 || q.Get("state") == "" || q.Get("state") == nonce {
		t.Errorf("authorize: want a fresh state and a distinct 128-bit nonce")
	}
	if cbResp.StatusCode != http.StatusFound {
		t.Fatalf("callback: got status %d (%s), want 302", cbResp.StatusCode, cbBody)
	}
	if loc, _ := cbResp.Location(); loc == nil || loc.Path != "/done" {
		t.Errorf("after login: got %v, want /done", loc)
	}

	// The ID token was verified and its claims kept.
	tok := b.oidcToken(appURL)
	if !tok.Authorized || tok.Access == "" || tok.Refresh == "" || tok.IDToken == "" {
		t.Fatalf("stored token: got authorized %t, access %t, refresh %t, id token %t, want all",
			tok.Authorized, tok.Access != "", tok.Refresh != "", tok.IDToken != "")
	}
	claims, ok := tok.Extra["id_token_claims"].(map[string]any)
	if !ok {
		t.Fatalf("id_token_claims: got %T, want a claims object", tok.Extra["id_token_claims"])
	}
	if claims["iss"] != p.issuer || claims["sub"] != "id1" || claims["nonce"] != nonce {
		t.Errorf("claims: got iss %v sub %v nonce matches %t, want %s id1 true", claims["iss"], claims["sub"], claims["nonce"] == nonce, p.issuer)
	}
	if aud := claims["aud"]; !interopHasAudience(aud, interopOIDCClient) {
		t.Errorf("claims aud: got %v, want it to contain %s", aud, interopOIDCClient)
	}
	grants, basic, _, _ := p.seen()
	if !slices.Equal(grants, []string{"authorization_code"}) || !basic[0] {
		t.Errorf("token requests: got %v (basic %v), want one authorization_code with HTTP Basic", grants, basic)
	}

	// Userinfo through bp.Client, and the normalized profile.
	var ui map[string]any
	b.getJSON(appURL+"/api", http.StatusOK, &ui)
	if ui["sub"] != "id1" || ui["email"] != "test-user@zitadel.ch" {
		t.Errorf("userinfo: got sub %v email %v, want id1 test-user@zitadel.ch", ui["sub"], ui["email"])
	}
	var prof ginoauth.Profile
	b.getJSON(appURL+"/profile", http.StatusOK, &prof)
	wantProf := ginoauth.Profile{ID: "id1", Email: "test-user@zitadel.ch", EmailVerified: true, Name: "Test User",
		Username: "test-user@127.0.0.1"}
	if prof.ID != wantProf.ID || prof.Email != wantProf.Email || prof.EmailVerified != wantProf.EmailVerified ||
		prof.Name != wantProf.Name || prof.Username != wantProf.Username || prof.AvatarURL != "" || len(prof.Raw) == 0 {
		t.Errorf("profile: got %+v, want %+v", prof, wantProf)
	}

	// Refresh, as the next call after the stored token expired.
	if resp, body := b.get(appURL + "/expire"); resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: got status %d (%s)", resp.StatusCode, body)
	}
	b.getJSON(appURL+"/api", http.StatusOK, &ui)
	if ui["sub"] != "id1" {
		t.Errorf("userinfo after refresh: got sub %v, want id1", ui["sub"])
	}
	grants, basic, _, _ = p.seen()
	if !slices.Equal(grants, []string{"authorization_code", "refresh_token"}) || !basic[1] {
		t.Errorf("token requests: got %v (basic %v), want a refresh_token grant with HTTP Basic", grants, basic)
	}
	fresh := b.token(appURL)
	if fresh.Access == tok.Access || fresh.Refresh == tok.Refresh || fresh.Refresh == "" {
		t.Errorf("after refresh: want a new access token and a rotated refresh token")
	}
	if !time.Now().Before(fresh.Expiry) {
		t.Errorf("expiry after refresh: got %v, want in the future", fresh.Expiry)
	}
	if code := p.userinfo(t, tok.Access); !interopRejected(code) {
		t.Errorf("userinfo with the replaced access token: got %d, want 401 or 403", code)
	}

	// Logout revokes the refresh token (RFC 7009) and forgets the token.
	if resp, body := b.get(appURL + "/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: got status %d (%s)", resp.StatusCode, body)
	}
	_, _, revoked, revBasic := p.seen()
	if !slices.Equal(revoked, []string{"refresh_token"}) || !revBasic[0] {
		t.Errorf("revocation requests: got %v (basic %v), want one refresh_token revocation with HTTP Basic", revoked, revBasic)
	}
	if code, errCode := p.refresh(t, fresh.Refresh); code == http.StatusOK || errCode != "invalid_grant" {
		t.Errorf("refresh with the revoked token: got %d %q, want invalid_grant", code, errCode)
	}
	if code := p.userinfo(t, fresh.Access); !interopRejected(code) {
		t.Errorf("userinfo with the access token of the revoked grant: got %d, want 401 or 403", code)
	}
	if after := b.token(appURL); after.Authorized || !after.NoToken {
		t.Errorf("after logout: got authorized %t, no token %t, want false, true", after.Authorized, after.NoToken)
	}
}

// TestInteropOIDCRevokedToken: the user's grant is revoked at the
// independent provider (RFC 7009, as the user would from the provider's
// account page). The next API call through bp.Client fails with
// KindReauthRequired after one refused refresh, the dead token is dropped,
// and Required sends the user to log in. zitadel answers a revoked token
// with 403, which Provider.ForbiddenMeansRevoked declares.
func TestInteropOIDCRevokedToken(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopOIDCSetup(t, "", func(prov *ginoauth.Provider) { prov.ForbiddenMeansRevoked = true })
	appURL := appTS.URL
	b := newInteropBrowser(t)
	if _, cbResp, cbBody := interopOIDCLogin(t, b, appURL); cbResp.StatusCode != http.StatusFound {
		t.Fatalf("callback: got %d (%s)", cbResp.StatusCode, cbBody)
	}
	var ui map[string]any
	b.getJSON(appURL+"/api", http.StatusOK, &ui)
	tok := b.token(appURL)
	p.revoke(t, tok.Refresh)
	if code := p.userinfo(t, tok.Access); !interopRejected(code) {
		t.Fatalf("setup: the provider still accepts the revoked grant's access token (%d)", code)
	}

	var res interopAPIResult
	b.getJSON(appURL+"/api", http.StatusUnauthorized, &res)
	if !res.Reauth || res.Kind != string(ginoauth.KindReauthRequired) {
		t.Errorf("API call after the revocation: got %+v, want KindReauthRequired", res)
	}
	grants, _, _, _ := p.seen()
	if !slices.Equal(grants, []string{"authorization_code", "refresh_token"}) {
		t.Errorf("token requests: got %v, want the code exchange and one refused refresh", grants)
	}
	if after := b.token(appURL); after.Authorized || !after.NoToken {
		t.Errorf("after the refused refresh: got authorized %t, no token %t; want the token dropped", after.Authorized, after.NoToken)
	}
	resp, _ := b.get(appURL + "/required")
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc == nil || loc.Path != "/login/oidc" {
		t.Errorf("Required after the drop: got %d to %v, want a redirect to /login/oidc", resp.StatusCode, loc)
	}
}

// interopErrSays matches errors whose message contains s, for causes the
// verifier reports without a sentinel.
func interopErrSays(s string) func(error) bool {
	return func(err error) bool { return strings.Contains(err.Error(), s) }
}

// interopRejected reports whether the userinfo endpoint refused a token.
// RFC 6750 says 401; this provider answers an unknown token with 403.
func interopRejected(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

func interopHasAudience(aud any, client string) bool {
	switch a := aud.(type) {
	case string:
		return a == client
	case []any:
		return slices.Contains(a, any(client))
	}
	return false
}

// TestInteropOIDCWrongAudience: the provider issues the ID token to "web",
// but the blueprint's verifier expects the other registered client.
func TestInteropOIDCWrongAudience(t *testing.T) {
	t.Parallel()
	_, appTS, _ := interopOIDCSetup(t, interopOIDCOtherClient)
	b := newInteropBrowser(t)
	_, cbResp, cbBody := interopOIDCLogin(t, b, appTS.URL)
	if cbResp.StatusCode != http.StatusBadGateway {
		t.Fatalf("callback: got status %d (%s), want 502", cbResp.StatusCode, cbBody)
	}
	var got struct{ Kind string }
	if err := json.Unmarshal(cbBody, &got); err != nil {
		t.Fatalf("callback body %q: %v", cbBody, err)
	}
	if got.Kind != string(ginoauth.KindIDTokenInvalid) {
		t.Errorf("callback error kind: got %v, want %v", got.Kind, ginoauth.KindIDTokenInvalid)
	}
	if tok := b.token(appTS.URL); tok.Authorized || !tok.NoToken {
		t.Errorf("after a rejected ID token: got authorized %t, want no token", tok.Authorized)
	}
}

// TestInteropOIDCVerifier checks providers/oidc's verifier on a real ID
// token from the provider.
func TestInteropOIDCVerifier(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopOIDCSetup(t, "")
	b := newInteropBrowser(t)
	authURL, cbResp, _ := interopOIDCLogin(t, b, appTS.URL)
	if cbResp.StatusCode != http.StatusFound {
		t.Fatalf("callback: got status %d, want 302", cbResp.StatusCode)
	}
	nonce := authURL.Query().Get("nonce")
	raw := b.oidcToken(appTS.URL).IDToken
	if raw == "" {
		t.Fatal("no ID token stored")
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token: got %d parts, want 3", len(parts))
	}
	// Flip one bit-carrying character of the signature.
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)

	base := oidc.VerifierConfig{Issuer: p.issuer, ClientID: interopOIDCClient}
	tests := []struct {
		name    string
		cfg     func(oidc.VerifierConfig) oidc.VerifierConfig
		token   string
		nonce   string
		wantErr error            // matched with errors.Is
		isErr   func(error) bool // or this
		wantOK  bool
	}{
		{name: "valid", token: raw, nonce: nonce, wantOK: true},
		{name: "other nonce", token: raw, nonce: "another-login-nonce", wantErr: oidc.ErrNonceMismatch},
		// After a refresh the core passes no nonce: the token's own nonce is
		// then not compared (OpenID Connect Core 12.2).
		{name: "refresh (no nonce expected)", token: raw, nonce: "", wantOK: true},
		{name: "other audience", token: raw, nonce: nonce,
			cfg: func(c oidc.VerifierConfig) oidc.VerifierConfig { c.ClientID = interopOIDCOtherClient; return c }},
		{name: "other issuer", token: raw, nonce: nonce,
			cfg: func(c oidc.VerifierConfig) oidc.VerifierConfig {
				c.Issuer = p.issuer + "/tenant"
				c.JWKSURL = p.disc.JWKS
				return c
			}},
		{name: "expired", token: raw, nonce: nonce,
			cfg: func(c oidc.VerifierConfig) oidc.VerifierConfig {
				c.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // the client's ID tokens live 1h
				return c
			},
			isErr: func(err error) bool {
				var te *gooidc.TokenExpiredError
				return errors.As(err, &te)
			}},
		{name: "bad signature", token: tampered, nonce: nonce, isErr: interopErrSays("signature")},
		{name: "explicit key set", token: raw, nonce: nonce, wantOK: true,
			cfg: func(c oidc.VerifierConfig) oidc.VerifierConfig { c.JWKSURL = p.disc.JWKS; return c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vc := base
			if tt.cfg != nil {
				vc = tt.cfg(vc)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			claims, err := oidc.NewVerifier(vc)(ctx, "", tt.token, tt.nonce)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if claims["sub"] != "id1" || claims["nonce"] != nonce {
					t.Errorf("claims: got sub %v, want id1 and this login's nonce", claims["sub"])
				}
				return
			}
			if err == nil {
				t.Fatalf("got claims, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got error %v, want %v", err, tt.wantErr)
			}
			if tt.isErr != nil && !tt.isErr(err) {
				t.Errorf("got error %v, want another reason", err)
			}
			if claims != nil {
				t.Errorf("got claims with the error, want none")
			}
		})
	}
}
