package oidctest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

func TestSignerAndTransport(t *testing.T) {
	t.Parallel()
	s, err := oidctest.NewSigner("k")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host") != "keys.example.com" || r.Header.Get("X-Forwarded-Proto") != "https" || r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	hc := oidctest.Client(srv.URL)

	resp, err := hc.Get("https://keys.example.com/jwks?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != string(s.JWKS()) {
		t.Fatalf("got %d %s, want the key set through the transport", resp.StatusCode, body)
	}

	// A token from Sign verifies with go-oidc against the served key set.
	keys := gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), hc), "https://keys.example.com/jwks")
	v := gooidc.NewVerifier("https://issuer.example", keys, &gooidc.Config{ClientID: "c"})
	raw, err := s.Sign(map[string]any{"iss": "https://issuer.example", "aud": "c", "sub": "s", "exp": time.Now().Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	idt, err := v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "s" || s.KeyID() != "k" || s.PublicKey() == nil {
		t.Errorf("got subject %q, key ID %q", idt.Subject, s.KeyID())
	}
}

func TestTransportBadTarget(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: &oidctest.Transport{Target: "::bad"}}
	if _, err := hc.Get("https://example.com/"); err == nil {
		t.Error("got nil error for a bad Target")
	}
}
