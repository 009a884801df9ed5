package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/providers/oidc"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

// verifierFor returns a verifier for issuer whose keys signer serves, and a
// function that signs claims with the issuer, an expiry and iat filled in.
func verifierFor(t *testing.T, vc oidc.VerifierConfig) (func(ctx context.Context, clientID, raw, nonce string) (map[string]any, error), func(map[string]any) string) {
	t.Helper()
	signer, err := oidctest.NewSigner("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys := httptest.NewServer(signer)
	t.Cleanup(keys.Close)
	const issuer = "https://idp.example"
	vc.Issuer, vc.JWKSURL, vc.HTTPClient = issuer, keys.URL, &http.Client{Timeout: 5 * time.Second}
	sign := func(claims map[string]any) string {
		full := map[string]any{"iss": issuer, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
		for k, v := range claims {
			if v == nil {
				delete(full, k)
			} else {
				full[k] = v
			}
		}
		raw, err := signer.Sign(full)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	return oidc.NewVerifier(vc), sign
}

// A verifier built without a client ID checks the audience against the
// client ID the blueprint passes it.
func TestVerifierTakesClientIDFromBlueprint(t *testing.T) {
	verify, sign := verifierFor(t, oidc.VerifierConfig{})
	raw := sign(map[string]any{"sub": "u1", "aud": "my-client"})
	ctx := context.Background()
	if _, err := verify(ctx, "", raw, ""); !errors.Is(err, oidc.ErrNoClientID) {
		t.Fatalf("no client ID anywhere: got %v, want ErrNoClientID", err)
	}
	claims, err := verify(ctx, "my-client", raw, "")
	if err != nil || claims["sub"] != "u1" {
		t.Fatalf("client ID from the blueprint: got %v, %v", claims, err)
	}
	if _, err := verify(ctx, "someone-else", raw, ""); err == nil {
		t.Fatal("another client's ID accepted the token")
	}
	// The outside review's finding: with the client ID from the blueprint,
	// azp was compared with "", so a valid multi-audience token failed.
	multi := sign(map[string]any{"sub": "u1", "aud": []string{"my-client", "api"}, "azp": "my-client"})
	if _, err := verify(ctx, "my-client", multi, ""); err != nil {
		t.Errorf("multi-audience token with azp = the client: %v, want accepted", err)
	}
}

// TestVerifierClaimRules: the gaps the outside review found, against
// OpenID Connect Core section 3.1.3.7 (rp-id_token-sub, rp-id_token-aud,
// rp-id_token-iat).
func TestVerifierClaimRules(t *testing.T) {
	for _, configured := range []string{"my-client", ""} {
		verify, sign := verifierFor(t, oidc.VerifierConfig{ClientID: configured})
		for _, tc := range []struct {
			name   string
			claims map[string]any
			ok     bool
		}{
			{"valid", map[string]any{"sub": "u1", "aud": "my-client"}, true},
			{"no sub", map[string]any{"aud": "my-client"}, false},
			{"empty sub", map[string]any{"sub": "", "aud": "my-client"}, false},
			{"single audience, foreign azp", map[string]any{"sub": "u1", "aud": "my-client", "azp": "other-client"}, false},
			{"single audience, own azp", map[string]any{"sub": "u1", "aud": "my-client", "azp": "my-client"}, true},
			{"several audiences, no azp", map[string]any{"sub": "u1", "aud": []string{"my-client", "api"}}, false},
			{"several audiences, foreign azp", map[string]any{"sub": "u1", "aud": []string{"my-client", "api"}, "azp": "api"}, false},
			{"issued 300 days ahead", map[string]any{"sub": "u1", "aud": "my-client", "iat": time.Now().Add(300 * 24 * time.Hour).Unix()}, false},
			{"issued a minute ahead (clock skew)", map[string]any{"sub": "u1", "aud": "my-client", "iat": time.Now().Add(time.Minute).Unix()}, true},
		} {
			_, err := verify(context.Background(), "my-client", sign(tc.claims), "")
			if (err == nil) != tc.ok {
				t.Errorf("configured client %q, %s: got %v, want ok=%v", configured, tc.name, err, tc.ok)
			}
		}
	}
}
