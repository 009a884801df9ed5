package ginoauthtest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// idClaims decodes an ID token's claims without checking the signature
// (TestIDTokenVerifiesAgainstJWKS checks signatures).
func idClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse ID token: %v", err)
	}
	var claims map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatalf("ID token claims: %v", err)
	}
	return claims
}

func getJSON(t *testing.T, rawURL string, v any) *http.Response {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", rawURL, err)
	}
	return resp
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       ginoauthtest.Config
		wantPKCE  []string
		wantAuth  []string
		wantIssOK bool
	}{
		{"defaults", ginoauthtest.Config{InsecureAnyRedirectURI: true}, []string{"S256"}, []string{"client_secret_basic", "client_secret_post"}, false},
		{"plain PKCE and issuer", ginoauthtest.Config{InsecureAnyRedirectURI: true, AllowPlainPKCE: true, SendIssuer: true},
			[]string{"S256", "plain"}, []string{"client_secret_basic", "client_secret_post"}, true},
		{"public client", ginoauthtest.Config{InsecureAnyRedirectURI: true, PublicClient: true}, []string{"S256"}, []string{"none"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.cfg)
			var meta struct {
				Issuer                string   `json:"issuer"`
				AuthorizationEndpoint string   `json:"authorization_endpoint"`
				TokenEndpoint         string   `json:"token_endpoint"`
				UserinfoEndpoint      string   `json:"userinfo_endpoint"`
				JWKSURI               string   `json:"jwks_uri"`
				RevocationEndpoint    string   `json:"revocation_endpoint"`
				ResponseTypes         []string `json:"response_types_supported"`
				ResponseModes         []string `json:"response_modes_supported"`
				SubjectTypes          []string `json:"subject_types_supported"`
				Algs                  []string `json:"id_token_signing_alg_values_supported"`
				PKCE                  []string `json:"code_challenge_methods_supported"`
				IssParam              bool     `json:"authorization_response_iss_parameter_supported"`
				Scopes                []string `json:"scopes_supported"`
				AuthMethods           []string `json:"token_endpoint_auth_methods_supported"`
				GrantTypes            []string `json:"grant_types_supported"`
			}
			resp := getJSON(t, srv.URL+"/.well-known/openid-configuration", &meta)
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
			checks := []struct{ name, got, want string }{
				{"issuer", meta.Issuer, srv.URL},
				{"authorization_endpoint", meta.AuthorizationEndpoint, srv.URL + "/authorize"},
				{"token_endpoint", meta.TokenEndpoint, srv.URL + "/token"},
				{"userinfo_endpoint", meta.UserinfoEndpoint, srv.URL + "/userinfo"},
				{"jwks_uri", meta.JWKSURI, srv.URL + "/jwks"},
				{"revocation_endpoint", meta.RevocationEndpoint, srv.URL + "/revoke"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
				}
			}
			lists := []struct {
				name      string
				got, want []string
			}{
				{"response_types_supported", meta.ResponseTypes, []string{"code"}},
				{"response_modes_supported", meta.ResponseModes, []string{"query", "fragment", "form_post"}},
				{"subject_types_supported", meta.SubjectTypes, []string{"public"}},
				{"id_token_signing_alg_values_supported", meta.Algs, []string{"RS256"}},
				{"code_challenge_methods_supported", meta.PKCE, tt.wantPKCE},
				{"scopes_supported", meta.Scopes, []string{"openid", "profile", "email"}},
				{"token_endpoint_auth_methods_supported", meta.AuthMethods, tt.wantAuth},
				{"grant_types_supported", meta.GrantTypes, []string{"authorization_code", "refresh_token"}},
			}
			for _, l := range lists {
				if !slices.Equal(l.got, l.want) {
					t.Errorf("%s: got %v, want %v", l.name, l.got, l.want)
				}
			}
			if meta.IssParam != tt.wantIssOK {
				t.Errorf("authorization_response_iss_parameter_supported: got %v, want %v", meta.IssParam, tt.wantIssOK)
			}
		})
	}
}

func TestIDTokenVerifiesAgainstJWKS(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	res := mustTokens(t, srv, with(authParams(srv), "nonce", "nonce-42"))
	raw := res.str("id_token")

	var set jose.JSONWebKeySet
	getJSON(t, srv.URL+"/jwks", &set)
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS: got %d keys, want 1", len(set.Keys))
	}
	key := set.Keys[0]
	if !key.IsPublic() || key.Use != "sig" || key.Algorithm != "RS256" || key.KeyID == "" {
		t.Errorf("JWK: got public=%v use=%q alg=%q kid=%q, want a public RS256 signing key with a kid",
			key.IsPublic(), key.Use, key.Algorithm, key.KeyID)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Headers[0].KeyID; got != key.KeyID {
		t.Errorf("kid: got %q, want %q", got, key.KeyID)
	}
	var std jwt.Claims
	var extra struct {
		Nonce             string `json:"nonce"`
		AtHash            string `json:"at_hash"`
		Email             string `json:"email"`
		EmailVerified     bool   `json:"email_verified"`
		Name              string `json:"name"`
		PreferredUsername string `json:"preferred_username"`
		Picture           string `json:"picture"`
		AuthTime          int64  `json:"auth_time"`
	}
	if err := tok.Claims(key, &std, &extra); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: srv.URL, AnyAudience: jwt.Audience{srv.ClientID()}, Time: time.Now()}, 0); err != nil {
		t.Errorf("claims: %v", err)
	}
	if std.Subject != alice || extra.Nonce != "nonce-42" {
		t.Errorf("sub, nonce: got %q, %q, want %q, %q", std.Subject, extra.Nonce, alice, "nonce-42")
	}
	sum := sha256.Sum256([]byte(res.str("access_token")))
	if want := base64.RawURLEncoding.EncodeToString(sum[:16]); extra.AtHash != want {
		t.Errorf("at_hash: got %q, want %q", extra.AtHash, want)
	}
	if extra.Email != "alice@example.com" || !extra.EmailVerified || extra.Name != "Alice Liddell" ||
		extra.PreferredUsername != "alice" || extra.Picture == "" || extra.AuthTime == 0 {
		t.Errorf("user claims: got %+v", extra)
	}
	if exp := std.Expiry.Time().Sub(std.IssuedAt.Time()); exp != time.Hour {
		t.Errorf("lifetime: got %v, want 1h", exp)
	}

	// Another key must not verify it.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Claims(&other.PublicKey, &std); err == nil {
		t.Error("the ID token verified with an unrelated key")
	}
	if pk := srv.PublicKey(); pk.KeyID != key.KeyID {
		t.Errorf("PublicKey kid: got %q, want %q", pk.KeyID, key.KeyID)
	}
}

func TestIDTokenClaimsFollowScopes(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	claims := idClaims(t, mustTokens(t, srv, with(authParams(srv), "scope", "openid")).str("id_token"))
	for _, k := range []string{"email", "name", "preferred_username", "picture"} {
		if _, ok := claims[k]; ok {
			t.Errorf("claim %q present with only the openid scope", k)
		}
	}
	if _, ok := claims["nonce"]; ok {
		t.Error("nonce claim present though the request had none")
	}
}

func TestCustomSigningKey(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, SigningKey: key})
	tok, err := jwt.ParseSigned(mustTokens(t, srv, authParams(srv)).str("id_token"), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := tok.Claims(&key.PublicKey, &c); err != nil {
		t.Errorf("ID token does not verify with the configured key: %v", err)
	}
}

// TestGoOIDCInterop checks the server with an independent OpenID Connect
// client: go-oidc discovers it, verifies its ID token and at_hash, and
// reads userinfo, both for NewServer and for a handler under a prefix.
func TestGoOIDCInterop(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.TestMode)
	mounted := func(t *testing.T) *ginoauthtest.Server {
		r := gin.New()
		app := httptest.NewServer(r)
		t.Cleanup(app.Close)
		dev := ginoauthtest.NewHandler(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice}, app.URL+"/dev/provider")
		r.Any("/dev/provider/*path", gin.WrapH(http.StripPrefix("/dev/provider", dev)))
		return dev
	}
	tests := []struct {
		name string
		srv  func(t *testing.T) *ginoauthtest.Server
	}{
		{"NewServer", func(t *testing.T) *ginoauthtest.Server {
			return newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
		}},
		{"NewHandler under a prefix", mounted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := tt.srv(t)
			ctx := context.Background()
			p, err := oidc.NewProvider(ctx, srv.URL)
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}
			if p.Endpoint().TokenURL != srv.URL+"/token" {
				t.Errorf("token URL: got %q, want %q", p.Endpoint().TokenURL, srv.URL+"/token")
			}
			verifier, _ := pkce()
			cfg := oauth2.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoint: p.Endpoint(),
				RedirectURL: testRedirect, Scopes: []string{oidc.ScopeOpenID, "email"}}
			resp, _ := get(t, cfg.AuthCodeURL("s", oidc.Nonce("n-9"), oauth2.S256ChallengeOption(verifier)))
			params := redirectParams(t, resp)
			tok, err := cfg.Exchange(ctx, params.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := p.Verifier(&oidc.Config{ClientID: srv.ClientID()}).Verify(ctx, raw)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if idt.Nonce != "n-9" || idt.Subject != alice {
				t.Errorf("got nonce %q sub %q, want n-9 and %s", idt.Nonce, idt.Subject, alice)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if ui.Subject != alice || ui.Email != "alice@example.com" || !ui.EmailVerified {
				t.Errorf("userinfo: got %+v", ui)
			}
			if got := srv.Count("/authorize"); got != 1 {
				t.Errorf("Count(/authorize): got %d, want 1", got)
			}
		})
	}
}

func TestUserinfo(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1002"}) // bob
	full := mustTokens(t, srv, authParams(srv)).str("access_token")
	openidOnly := mustTokens(t, srv, with(authParams(srv), "scope", "openid")).str("access_token")
	noOpenID := mustTokens(t, srv, with(authParams(srv), "scope", "profile email")).str("access_token")
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantAuth   string // WWW-Authenticate contains
		wantBody   map[string]any
	}{
		{"all scopes", full, 200, "", map[string]any{"sub": "1002", "email": "bob@example.com", "email_verified": false,
			"name": "Bob Builder", "preferred_username": "bob", "picture": "https://avatars.example.com/bob.png"}},
		{"openid only", openidOnly, 200, "", map[string]any{"sub": "1002"}},
		{"no openid scope", noOpenID, 403, `error="insufficient_scope"`, nil},
		{"no token", "", 401, `Bearer realm="test"`, nil},
		{"unknown token", "forged", 401, `error="invalid_token"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := callAPI(t, srv, "/userinfo", tt.token)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d %s, want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, tt.wantAuth) {
				t.Errorf("WWW-Authenticate: got %q, want it to contain %q", got, tt.wantAuth)
			}
			if tt.name == "no token" && strings.Contains(resp.Header.Get("WWW-Authenticate"), "error=") {
				t.Error("a request without a token must get no error code (RFC 6750 section 3.1)")
			}
			if tt.wantBody != nil {
				var got map[string]any
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.wantBody) {
					t.Errorf("claims: got %v, want %v", got, tt.wantBody)
				}
				for k, v := range tt.wantBody {
					if got[k] != v {
						t.Errorf("claim %s: got %v, want %v", k, got[k], v)
					}
				}
			}
		})
	}
	t.Run("POST with form token", func(t *testing.T) {
		t.Parallel()
		resp, err := http.PostForm(srv.URL+"/userinfo", url.Values{"access_token": {full}})
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"sub":"1002"`) {
			t.Errorf("got %d %s, want 200 with sub", resp.StatusCode, body)
		}
	})
}
