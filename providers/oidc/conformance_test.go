package oidc_test

// The OpenID Foundation's relying party test plans (Basic RP, Config RP,
// Form Post RP), one subtest per test ID, against the scripted provider of
// op_test.go. docs/OIDC-CONFORMANCE.md lists every ID with its result.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// confKeys are the conformance cases' own keys, generated once.
var confKeys = sync.OnceValues(func() (k struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	ec2  *ecdsa.PrivateKey
	rsa2 *rsa.PrivateKey
}, err error) {
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return k, err
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return k, err
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return k, err
	}
	k.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k, err
})

// signJWT signs claims with key; kid "" leaves the header without one.
func signJWT(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Errorf("signer: %v", err)
		return ""
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Errorf("sign: %v", err)
		return ""
	}
	raw, _ := obj.CompactSerialize()
	return raw
}

// unsignedJWT is a JWT with "alg": "none" and no signature.
func unsignedJWT(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

// jwksOf is a JSON Web Key Set of the public halves of keys.
func jwksOf(keys ...jose.JSONWebKey) []byte {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.Public())
	}
	b, _ := json.Marshal(set)
	return b
}

// useKey makes op publish key (with kid, alg) and sign ID tokens with
// signer (with signKID in the header) and advertise alg.
func useKey(t *testing.T, op *testOP, alg jose.SignatureAlgorithm, signer any, signKID string, published ...jose.JSONWebKey) {
	op.doc = map[string]any{"id_token_signing_alg_values_supported": []string{string(alg)}}
	op.jwks = jwksOf(published...)
	op.signID = func(c map[string]any) string { return signJWT(t, signer, alg, signKID, c) }
}

// confCase is one conformance case: the provider's scripted behaviour,
// the client's configuration, and what the relying party must do.
type confCase struct {
	id      string
	setup   func(t *testing.T, op *testOP)
	mod     func(cfg *oidc.Config)
	profile bool // read the profile in the Authorized hook
	// refuse is the error the login must fail with (errAny: any
	// KindIDTokenInvalid); nil means the login must succeed.
	refuse error
	check  func(t *testing.T, op *testOP, res *result)
	// formPost also runs the case in the Form Post RP variant.
	formPost bool
}

func TestRPConformance(t *testing.T) {
	t.Parallel()
	k, err := confKeys()
	if err != nil {
		t.Fatal(err)
	}
	_, evil := signers(t)
	rsaJWK := jose.JSONWebKey{Key: k.rsa, KeyID: "r1", Algorithm: "RS256", Use: "sig"}
	rsa2JWK := jose.JSONWebKey{Key: k.rsa2, KeyID: "r2", Algorithm: "RS256", Use: "sig"}
	ecJWK := jose.JSONWebKey{Key: k.ec, KeyID: "e1", Algorithm: "ES256", Use: "sig"}
	cases := []confCase{
		{id: "rp-response_type-code", formPost: true, check: func(t *testing.T, _ *testOP, res *result) {
			if got := res.auth.Query().Get("response_type"); got != "code" {
				t.Errorf("response_type %q, want code", got)
			}
		}},
		{id: "rp-nonce-invalid", refuse: oidc.ErrNonceMismatch, formPost: true,
			setup: func(_ *testing.T, op *testOP) { op.mutate = func(c map[string]any) { c["nonce"] = "another-login" } }},
		{id: "rp-nonce-unless-code-flow", refuse: oidc.ErrNonceMissing,
			setup: func(_ *testing.T, op *testOP) { op.mutate = func(c map[string]any) { delete(c, "nonce") } },
			check: func(t *testing.T, _ *testOP, res *result) {
				// The code flow sends a nonce anyway, so its absence from
				// the ID token is an error (Core 3.1.3.7 step 11).
				if len(res.auth.Query().Get("nonce")) < 22 {
					t.Errorf("nonce %q: want a fresh random value", res.auth.Query().Get("nonce"))
				}
			}},
		{id: "rp-id_token-kid-absent-single-jwks", formPost: true,
			setup: func(t *testing.T, op *testOP) { useKey(t, op, jose.RS256, k.rsa, "", rsaJWK) }},
		{id: "rp-id_token-kid-absent-multiple-jwks",
			// The choice: every published key is tried, as go-oidc does.
			setup: func(t *testing.T, op *testOP) { useKey(t, op, jose.RS256, k.rsa2, "", rsaJWK, rsa2JWK) }},
		{id: "rp-id_token-sig-none", refuse: errAny, formPost: true,
			// The choice: an unsigned ID token is never accepted, even
			// from the token endpoint over TLS (Core 3.1.3.7 step 6 allows
			// it only for a client registered for alg none).
			setup: func(_ *testing.T, op *testOP) {
				op.doc = map[string]any{"id_token_signing_alg_values_supported": []string{"none", "RS256"}}
				op.signID = unsignedJWT
			}},
		{id: "rp-id_token-sig-rs256", formPost: true,
			setup: func(t *testing.T, op *testOP) { useKey(t, op, jose.RS256, k.rsa, "r1", rsaJWK) }},
		{id: "rp-id_token-sig-es256", formPost: true,
			setup: func(t *testing.T, op *testOP) { useKey(t, op, jose.ES256, k.ec, "e1", ecJWK) }},
		{id: "rp-id_token-bad-sig-rs256", refuse: errAny, formPost: true,
			setup: func(_ *testing.T, op *testOP) { op.signWith = evil }},
		{id: "rp-id_token-bad-sig-es256", refuse: errAny, formPost: true,
			setup: func(t *testing.T, op *testOP) { useKey(t, op, jose.ES256, k.ec2, "e1", ecJWK) }},
		{id: "rp-id_token-issuer-mismatch", refuse: errAny, formPost: true,
			setup: func(_ *testing.T, op *testOP) {
				op.mutate = func(c map[string]any) { c["iss"] = "https://evil.example" }
			}},
		{id: "rp-id_token-sub", refuse: errAny, formPost: true,
			setup: func(_ *testing.T, op *testOP) { op.mutate = func(c map[string]any) { delete(c, "sub") } }},
		{id: "rp-id_token-aud", refuse: errAny, formPost: true,
			setup: func(_ *testing.T, op *testOP) { op.mutate = func(c map[string]any) { c["aud"] = "someone-else" } }},
		{id: "rp-id_token-iat", refuse: errAny, formPost: true,
			setup: func(_ *testing.T, op *testOP) { op.mutate = func(c map[string]any) { delete(c, "iat") } }},
	}
	cases = append(cases, clientAuthCases(t)...)
	cases = append(cases, userinfoCases(t)...)
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			runConformance(t, tc, false)
		})
		if tc.formPost {
			t.Run("form_post/"+tc.id, func(t *testing.T) {
				t.Parallel()
				runConformance(t, tc, true)
			})
		}
	}
}

// runConformance runs one login through tc's provider and checks the
// outcome. In the Form Post RP variant the provider answers with
// response_mode=form_post: the browser posts the code to the callback.
func runConformance(t *testing.T, tc confCase, formPost bool) {
	op := newOP(t)
	if tc.setup != nil {
		op.set(func(op *testOP) { tc.setup(t, op) })
	}
	res := result{readProfile: tc.profile}
	cfg := oidc.Config{
		Issuer: op.issuer(),
		Config: ginoauth.Config{ClientID: clientID, ClientSecret: clientSecret, Hooks: hooks(&res)},
	}
	if tc.mod != nil {
		tc.mod(&cfg)
	}
	var bp *ginoauth.Blueprint
	var err error
	if formPost {
		cfg.AuthParams = map[string]string{"response_mode": "form_post"}
		var p ginoauth.Provider
		if p, err = oidc.Discover(context.Background(), op.issuer(), cfg); err == nil {
			p.FormPostCallback = true
			bp, err = ginoauth.New(p, cfg.Config)
		}
	} else {
		bp, err = oidc.New(context.Background(), cfg)
	}
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r := engine(bp)
	loc, cookies := login(t, r, "/login/oidc")
	res.auth = loc
	op.set(func(op *testOP) { op.nonce = loc.Query().Get("nonce") })
	q := url.Values{"code": {"code-1"}, "state": {loc.Query().Get("state")}}
	if formPost {
		if got := loc.Query().Get("response_mode"); got != "form_post" {
			t.Fatalf("response_mode %q, want form_post", got)
		}
		req := httptestRequest(http.MethodPost, "/login/oidc/authorized", strings.NewReader(q.Encode()), cookies)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res.w = serve(r, req)
	} else {
		res.w = callback(r, "/login/oidc/authorized", q, cookies)
	}
	switch {
	case tc.refuse == nil:
		if res.err != nil {
			t.Fatalf("got error %v, want success", res.err)
		}
		if res.w.Code != http.StatusFound || res.w.Header().Get("Location") != "/" {
			t.Fatalf("got %d %q, want 302 /", res.w.Code, res.w.Header().Get("Location"))
		}
		if claims, ok := oidc.IDTokenClaims(res.token); !ok || claims["sub"] != "user-1" {
			t.Errorf("got claims %v, want sub user-1", claims)
		}
	case res.err == nil:
		t.Fatalf("got success (status %d), want the login refused", res.w.Code)
	case tc.refuse == errAny:
		if res.err.Kind != ginoauth.KindIDTokenInvalid || res.w.Code != http.StatusBadGateway || res.token != nil {
			t.Errorf("got %v (status %d, token stored %v), want %s, 502 and no token", res.err, res.w.Code, res.token != nil, ginoauth.KindIDTokenInvalid)
		}
	case !errors.Is(res.err, tc.refuse):
		t.Errorf("got %v, want %v", res.err, tc.refuse)
	}
	if tc.check != nil {
		tc.check(t, op, &res)
	}
}

// TestRPKeyRotation: rp-key-rotation-op-sign-key. The provider signs
// with a new key, named by a new kid, that only its key set's next
// version has: the verifier fetches the set again and accepts it.
func TestRPKeyRotation(t *testing.T) {
	t.Parallel()
	k, err := confKeys()
	if err != nil {
		t.Fatal(err)
	}
	op := newOP(t)
	a := jose.JSONWebKey{Key: k.rsa, KeyID: "before", Algorithm: "RS256", Use: "sig"}
	b := jose.JSONWebKey{Key: k.rsa2, KeyID: "after", Algorithm: "RS256", Use: "sig"}
	op.set(func(op *testOP) { useKey(t, op, jose.RS256, k.rsa, "before", a) })
	var res result
	r := newBlueprint(t, op, &res, nil)
	for i, key := range []jose.JSONWebKey{a, b} {
		op.set(func(op *testOP) { useKey(t, op, jose.RS256, key.Key, key.KeyID, key) })
		res = result{}
		run(t, r, op, "oidc", &res, nil)
		if res.err != nil {
			t.Fatalf("login %d (kid %q): %v", i+1, key.KeyID, res.err)
		}
	}
	if got := op.count("/jwks"); got != 2 {
		t.Errorf("key set fetched %d times, want 2 (once, then again for the new kid)", got)
	}
	// The old key, no longer published, no longer verifies.
	op.set(func(op *testOP) {
		op.signID = func(c map[string]any) string { return signJWT(t, k.rsa, jose.RS256, "before", c) }
	})
	res = result{}
	run(t, r, op, "oidc", &res, nil)
	if res.err == nil || res.err.Kind != ginoauth.KindIDTokenInvalid {
		t.Errorf("a token signed with the retired key: got %v, want %s", res.err, ginoauth.KindIDTokenInvalid)
	}
}

// The issuer in the authorization response (RFC 9207): required when the
// provider advertises authorization_response_iss_parameter_supported, and
// compared whenever present.
func TestRPIssuerParameter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		issParam bool
		iss      string
		wantKind ginoauth.ErrorKind
	}{
		{name: "required and missing", issParam: true, wantKind: ginoauth.KindIssuerMismatch},
		{name: "required and right", issParam: true, iss: "{issuer}"},
		{name: "optional and wrong", iss: "https://evil.example", wantKind: ginoauth.KindIssuerMismatch},
		{name: "optional and missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newOP(t)
			op.set(func(op *testOP) { op.issParam = tt.issParam })
			var res result
			r := newBlueprint(t, op, &res, nil)
			var extra url.Values
			if tt.iss != "" {
				extra = url.Values{"iss": {strings.ReplaceAll(tt.iss, "{issuer}", op.issuer())}}
			}
			run(t, r, op, "oidc", &res, extra)
			var got ginoauth.ErrorKind
			if res.err != nil {
				got = res.err.Kind
			}
			if got != tt.wantKind {
				t.Errorf("got kind %q, want %q", got, tt.wantKind)
			}
		})
	}
}

// claimsAt is a time for claims that must not have expired.
func claimsAt() (iat, exp int64) {
	now := time.Now()
	return now.Unix(), now.Add(time.Hour).Unix()
}
