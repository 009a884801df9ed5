package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/clientauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// longSecret is a client secret long enough for client_secret_jwt.
const longSecret = "a-client-secret-of-at-least-32-bytes"

// checkAssertion is the provider's side of client_secret_jwt and
// private_key_jwt (RFC 7523 section 3): the assertion verifies with key,
// names the client as iss and sub and the issuer as aud, is unexpired and
// has a jti not seen before; no secret is sent beside it.
func checkAssertion(op *testOP, key any, alg jose.SignatureAlgorithm, seen *sync.Map) func(r *http.Request) string {
	return func(r *http.Request) string {
		if _, _, ok := r.BasicAuth(); ok || r.PostForm.Has("client_secret") {
			return "a client secret was sent beside the assertion"
		}
		if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return "wrong client_assertion_type"
		}
		jws, err := jose.ParseSignedCompact(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{alg})
		if err != nil {
			return "not a JWS: " + err.Error()
		}
		payload, err := jws.Verify(key)
		if err != nil {
			return "bad signature"
		}
		var c struct {
			Iss, Sub, Aud, Jti string
			Exp                int64
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			return "bad claims"
		}
		switch {
		case c.Iss != clientID || c.Sub != clientID || r.PostForm.Get("client_id") != clientID:
			return "wrong client"
		case c.Aud != op.issuer():
			return "wrong audience " + c.Aud
		case c.Exp <= time.Now().Unix():
			return "expired"
		case c.Jti == "":
			return "no jti"
		}
		if _, dup := seen.LoadOrStore(c.Jti, true); dup {
			return "replayed jti"
		}
		return ""
	}
}

func clientAuthCases(t *testing.T) []confCase {
	k, err := confKeys()
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := clientauth.NewKey(k.ec, "client-key-1")
	if err != nil {
		t.Fatal(err)
	}
	return []confCase{
		{id: "rp-token_endpoint-client_secret_basic",
			setup: func(_ *testing.T, op *testOP) {
				op.authMethods = []string{"client_secret_basic"}
				op.authCheck = func(r *http.Request) string {
					id, secret, ok := r.BasicAuth()
					if !ok || id != clientID || secret != clientSecret || r.PostForm.Has("client_secret") {
						return "want the secret in the Basic header only"
					}
					return ""
				}
			}},
		{id: "rp-token_endpoint-client_secret_post",
			setup: func(_ *testing.T, op *testOP) {
				op.authMethods = []string{"client_secret_post"}
				op.authCheck = func(r *http.Request) string {
					if _, _, ok := r.BasicAuth(); ok || r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != clientSecret {
						return "want the secret in the form only"
					}
					return ""
				}
			}},
		{id: "rp-token_endpoint-client_secret_jwt",
			// Chosen from discovery: the endpoint takes no other method.
			setup: func(_ *testing.T, op *testOP) {
				op.authMethods = []string{"client_secret_jwt"}
				op.authCheck = checkAssertion(op, []byte(longSecret), jose.HS256, &sync.Map{})
			},
			mod: func(cfg *oidc.Config) { cfg.ClientSecret = longSecret }},
		{id: "rp-token_endpoint-private_key_jwt",
			setup: func(_ *testing.T, op *testOP) {
				op.authMethods = []string{"private_key_jwt"}
				op.authCheck = checkAssertion(op, k.ec.Public(), jose.ES256, &sync.Map{})
			},
			mod: func(cfg *oidc.Config) {
				a, err := clientauth.PrivateKeyJWT(clientID, ecKey, clientauth.Options{})
				if err != nil {
					t.Fatal(err)
				}
				cfg.ClientAssertion = a.Sign // the secret, still set, is never sent
			}},
	}
}

func userinfoCases(t *testing.T) []confCase {
	k, err := confKeys()
	if err != nil {
		t.Fatal(err)
	}
	good, evil := signers(t)
	// A claims provider for aggregated and distributed claims.
	cpJWK := jose.JSONWebKey{Key: k.ec, KeyID: "cp1", Algorithm: "ES256", Use: "sig"}
	var cp *httptest.Server
	cp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/jwks":
			_, _ = w.Write(jwksOf(cpJWK))
		case "/claims":
			if r.Header.Get("Authorization") != "Bearer cp-token" {
				http.Error(w, "no token", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/jwt")
			_, _ = w.Write([]byte(signJWT(t, k.ec, jose.ES256, "cp1", map[string]any{"iss": cp.URL, "payment_info": "Visa"})))
		}
	}))
	t.Cleanup(cp.Close)
	trustCP := func(cfg *oidc.Config) { cfg.ClaimsProviders = map[string]string{cp.URL: cp.URL + "/jwks"} }
	user := map[string]any{"sub": "user-1", "name": "Ada Lovelace", "email": "ada@example.com", "email_verified": true}
	answer := func(check func(r *http.Request) string, body func(op *testOP) (string, any)) func(_ *testing.T, op *testOP) {
		return func(_ *testing.T, op *testOP) {
			op.userinfoFn = func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				if msg := check(r); msg != "" {
					http.Error(w, msg, http.StatusUnauthorized)
					return
				}
				ct, v := body(op)
				w.Header().Set("Content-Type", ct)
				if s, ok := v.(string); ok {
					_, _ = w.Write([]byte(s))
					return
				}
				_ = json.NewEncoder(w).Encode(v)
			}
		}
	}
	header := func(r *http.Request) string {
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer at-1" || r.Form.Has("access_token") {
			return "want GET with the token in the header only"
		}
		return ""
	}
	plain := func(v map[string]any) func(*testOP) (string, any) {
		return func(*testOP) (string, any) { return "application/json", v }
	}
	signed := func(s interface {
		Sign(map[string]any) (string, error)
	}, iss, aud string) func(*testOP) (string, any) {
		return func(op *testOP) (string, any) {
			c := map[string]any{"iss": strings.ReplaceAll(iss, "{issuer}", op.issuer()), "aud": aud}
			for k, v := range user {
				c[k] = v
			}
			raw, _ := s.Sign(c)
			return "application/jwt", raw
		}
	}
	wantProfile := func(t *testing.T, _ *testOP, res *result) {
		if res.profileErr != nil || res.profile == nil || res.profile.ID != "user-1" || res.profile.Name != "Ada Lovelace" || !res.profile.EmailVerified {
			t.Errorf("profile %+v, %v: want user-1, Ada Lovelace, verified email", res.profile, res.profileErr)
		}
	}
	profileFails := func(want string) func(t *testing.T, _ *testOP, res *result) {
		return func(t *testing.T, _ *testOP, res *result) {
			if res.profileErr == nil || !strings.Contains(res.profileErr.Error(), want) {
				t.Errorf("profile error %v, want one mentioning %q", res.profileErr, want)
			}
		}
	}
	rawClaims := func(t *testing.T, res *result) map[string]any {
		var m map[string]any
		if res.profile == nil || json.Unmarshal(res.profile.Raw, &m) != nil {
			t.Fatalf("profile %+v, %v: want one with JSON claims", res.profile, res.profileErr)
		}
		return m
	}
	return []confCase{
		{id: "rp-scope-userinfo-claims", profile: true, setup: answer(header, plain(user)),
			check: func(t *testing.T, op *testOP, res *result) {
				if got := strings.Fields(res.auth.Query().Get("scope")); !slices.Contains(got, "profile") || !slices.Contains(got, "email") {
					t.Errorf("scope %v: want profile and email", got)
				}
				wantProfile(t, op, res)
			}},
		{id: "rp-userinfo-bearer-header", profile: true, setup: answer(header, plain(user)), check: wantProfile},
		{id: "rp-userinfo-bearer-body", profile: true,
			mod: func(cfg *oidc.Config) { cfg.UserInfoTokenInBody = true },
			setup: answer(func(r *http.Request) string {
				if r.Method != http.MethodPost || r.Header.Get("Authorization") != "" || r.PostForm.Get("access_token") != "at-1" {
					return "want POST with the token in the body only"
				}
				return ""
			}, plain(user)), check: wantProfile},
		{id: "rp-userinfo-bad-sub-claim", profile: true,
			setup: answer(header, plain(map[string]any{"sub": "someone-else", "name": "Mallory"})),
			check: profileFails("sub differs")},
		{id: "rp-userinfo-sig", profile: true, setup: answer(header, signed(good, "{issuer}", clientID)), check: wantProfile},
		{id: "rp-userinfo-sig/forged", profile: true, setup: answer(header, signed(evil, "{issuer}", clientID)), check: profileFails("signature")},
		{id: "rp-userinfo-sig/other-issuer", profile: true, setup: answer(header, signed(good, "https://evil.example", clientID)), check: profileFails("another issuer")},
		{id: "rp-userinfo-sig/other-audience", profile: true, setup: answer(header, signed(good, "{issuer}", "other-client")), check: profileFails("another audience")},
		{id: "rp-claims-aggregated", profile: true, mod: trustCP,
			setup: answer(header, func(op *testOP) (string, any) {
				return "application/json", map[string]any{
					"sub":          "user-1",
					"_claim_names": map[string]string{"shoe_size": "src1", "untrusted": "src2"},
					"_claim_sources": map[string]any{
						"src1": map[string]string{"JWT": signJWT(t, k.ec, jose.ES256, "cp1", map[string]any{"iss": cp.URL, "shoe_size": 44})},
						"src2": map[string]string{"JWT": signJWT(t, k.ec2, jose.ES256, "x", map[string]any{"iss": "https://unknown.example", "untrusted": "x"})},
					},
				}
			}),
			check: func(t *testing.T, _ *testOP, res *result) {
				m := rawClaims(t, res)
				names, _ := m["_claim_names"].(map[string]any)
				if m["shoe_size"] != float64(44) || m["untrusted"] != nil || names["untrusted"] != "src2" || names["shoe_size"] != nil {
					t.Errorf("claims %v: want shoe_size resolved and the untrusted source left as a reference", m)
				}
			}},
		{id: "rp-claims-distributed", profile: true, mod: trustCP,
			setup: answer(header, func(*testOP) (string, any) {
				return "application/json", map[string]any{
					"sub":            "user-1",
					"_claim_names":   map[string]string{"payment_info": "src1"},
					"_claim_sources": map[string]any{"src1": map[string]string{"endpoint": cp.URL + "/claims", "access_token": "cp-token"}},
				}
			}),
			check: func(t *testing.T, _ *testOP, res *result) {
				if m := rawClaims(t, res); m["payment_info"] != "Visa" || m["_claim_sources"] != nil {
					t.Errorf("claims %v: want payment_info fetched and the references gone", m)
				}
			}},
	}
}

// TestClientAssertionEveryEndpoint: private_key_jwt authenticates the
// code exchange, the refresh and the revocation alike, each with a fresh
// assertion.
func TestClientAssertionEveryEndpoint(t *testing.T) {
	t.Parallel()
	k, err := confKeys()
	if err != nil {
		t.Fatal(err)
	}
	key, err := clientauth.NewKey(k.rsa, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := clientauth.PrivateKeyJWT(clientID, key, clientauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	op := newOP(t)
	var failures []string
	op.set(func(op *testOP) {
		op.authMethods = []string{"private_key_jwt"}
		check := checkAssertion(op, k.rsa.Public(), jose.RS256, &sync.Map{})
		op.authCheck = func(r *http.Request) string {
			msg := check(r)
			if msg != "" {
				failures = append(failures, r.URL.Path+": "+msg)
			}
			return msg
		}
	})
	app := newLogoutApp(t, op, func(cfg *oidc.Config) { cfg.ClientAssertion = a.Sign })
	if _, body, _ := app.get("/refresh"); body != "<nil>" {
		t.Errorf("refresh: %s", body)
	}
	app.logout(t)
	op.set(func(*testOP) {
		if len(failures) > 0 {
			t.Errorf("client authentication failed: %v", failures)
		}
	})
	if op.count("/token") != 2 || op.count("/revoke") != 1 {
		t.Errorf("token requests %d, revocations %d: want 2 and 1", op.count("/token"), op.count("/revoke"))
	}
}

// TestRPDiscovery: the Config RP cases.
func TestRPDiscovery(t *testing.T) {
	t.Parallel()
	t.Run("rp-discovery-openid-configuration", func(t *testing.T) {
		t.Parallel()
		op := newOP(t)
		m, err := oidc.FetchMetadata(context.Background(), op.issuer(), oidc.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if m.Issuer != op.issuer() || m.TokenURL != op.issuer()+"/token" || m.UserInfoURL != op.issuer()+"/userinfo" || m.EndSessionURL != op.issuer()+"/logout" {
			t.Errorf("metadata %+v does not match the discovery document", m)
		}
		if op.count("/.well-known/openid-configuration") != 1 {
			t.Errorf("want the document read from /.well-known/openid-configuration")
		}
	})
	t.Run("rp-discovery-jwks_uri-keys", func(t *testing.T) {
		t.Parallel()
		op := newOP(t)
		k, err := confKeys()
		if err != nil {
			t.Fatal(err)
		}
		jwk := jose.JSONWebKey{Key: k.rsa, KeyID: "moved", Algorithm: "RS256", Use: "sig"}
		op.set(func(op *testOP) {
			useKey(t, op, jose.RS256, k.rsa, "moved", jwk)
			op.doc["jwks_uri"] = op.issuer() + "/jwks?from=discovery"
		})
		var res result
		run(t, newBlueprint(t, op, &res, nil), op, "oidc", &res, nil)
		if res.err != nil || op.count("/jwks") != 1 {
			t.Errorf("login: %v, key set reads %d: want success with the keys of jwks_uri", res.err, op.count("/jwks"))
		}
	})
	t.Run("rp-discovery-issuer-not-matching-config", func(t *testing.T) {
		t.Parallel()
		op := newOP(t)
		op.set(func(op *testOP) { op.doc = map[string]any{"issuer": "https://other.example"} })
		_, err := oidc.New(context.Background(), oidc.Config{Issuer: op.issuer(), Config: ginoauthConfig()})
		if err == nil || !strings.Contains(err.Error(), "issuer") {
			t.Errorf("New: %v, want an issuer mismatch", err)
		}
	})
	t.Run("private_key_jwt-only-without-key", func(t *testing.T) {
		t.Parallel()
		op := newOP(t)
		op.set(func(op *testOP) { op.authMethods = []string{"private_key_jwt"} })
		_, err := oidc.New(context.Background(), oidc.Config{Issuer: op.issuer(), Config: ginoauthConfig()})
		if err == nil || !strings.Contains(err.Error(), "ClientAssertion") {
			t.Errorf("New: %v, want an error naming ClientAssertion", err)
		}
	})
}

func ginoauthConfig() ginoauth.Config {
	return ginoauth.Config{ClientID: clientID, ClientSecret: clientSecret}
}
