package oidc_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

// A verifier built without a client ID checks the audience against the
// blueprint's client ID, which the core puts in the context.
func TestVerifierTakesClientIDFromContext(t *testing.T) {
	signer, err := oidctest.NewSigner("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys := httptest.NewServer(signer)
	defer keys.Close()
	const issuer = "https://idp.example"
	raw, err := signer.Sign(map[string]any{"iss": issuer, "sub": "u1", "aud": "my-client",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()})
	if err != nil {
		t.Fatal(err)
	}
	verify := oidc.NewVerifier(oidc.VerifierConfig{Issuer: issuer, JWKSURL: keys.URL, Timeout: 5 * time.Second})
	ctx := context.Background()
	if _, err := verify(ctx, raw, ""); !errors.Is(err, oidc.ErrNoClientID) {
		t.Fatalf("no client ID anywhere: got %v, want ErrNoClientID", err)
	}
	claims, err := verify(ginoauth.WithClientID(ctx, "my-client"), raw, "")
	if err != nil || claims["sub"] != "u1" {
		t.Fatalf("client ID from the context: got %v, %v", claims, err)
	}
	if _, err := verify(ginoauth.WithClientID(ctx, "someone-else"), raw, ""); err == nil {
		t.Fatal("another client's context accepted the token")
	}
}
