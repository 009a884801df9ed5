// Package oidctest helps test, offline, code that talks to real OpenID
// providers: a [Signer] issues ID tokens and serves the matching JSON Web
// Key Set, and a [Transport] delivers requests for any URL (the provider's
// real https endpoints) to a local test server, telling it which host was
// meant. It is for tests only.
//
// For a whole fake provider with login, token, userinfo and revocation
// endpoints, see package ginoauthtest.
package oidctest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	jose "github.com/go-jose/go-jose/v4"
)

// Signer signs ID tokens with an RSA key (RS256) and serves its public
// half as a JSON Web Key Set. It is safe for concurrent use.
type Signer struct {
	keyID  string
	key    *rsa.PrivateKey
	signer jose.Signer
}

// NewSigner generates a 2048-bit RSA key with the given key ID. Key
// generation takes tens of milliseconds; share one Signer across tests.
func NewSigner(keyID string) (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("oidctest: generate key: %w", err)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", keyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("oidctest: signer: %w", err)
	}
	return &Signer{keyID: keyID, key: key, signer: signer}, nil
}

// KeyID returns the key ID that tokens name in their "kid" header.
func (s *Signer) KeyID() string { return s.keyID }

// PublicKey returns the public key.
func (s *Signer) PublicKey() crypto.PublicKey { return s.key.Public() }

// Sign returns a compact JWS of claims, signed with RS256.
func (s *Signer) Sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("oidctest: encode claims: %w", err)
	}
	obj, err := s.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("oidctest: sign: %w", err)
	}
	return obj.CompactSerialize()
}

// JWKS returns the JSON Web Key Set document with the public key.
func (s *Signer) JWKS() []byte {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: s.key.Public(), KeyID: s.keyID, Algorithm: string(jose.RS256), Use: "sig",
	}}}
	b, _ := json.Marshal(set) // an RSA public key always encodes
	return b
}

// ServeHTTP serves the key set, so a Signer can be mounted as a handler.
func (s *Signer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.JWKS())
}

// Transport sends every request to Target, whatever host the request
// names, keeping its path and query. The server learns the intended host
// from the X-Forwarded-Host header and the intended scheme from
// X-Forwarded-Proto.
type Transport struct {
	// Target is the base URL of the server that receives every request,
	// such as an httptest.Server's URL. Required.
	Target string
	// Base sends the rewritten requests. Optional. Default
	// http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	target, err := url.Parse(t.Target)
	if err != nil || target.Host == "" {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("oidctest: bad Transport.Target %q", t.Target)
	}
	r := req.Clone(req.Context())
	r.Header.Set("X-Forwarded-Host", req.URL.Host)
	r.Header.Set("X-Forwarded-Proto", req.URL.Scheme)
	r.URL.Scheme = target.Scheme
	r.URL.Host = target.Host
	r.Host = target.Host
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// Client returns an *http.Client whose Transport sends every request to
// target.
func Client(target string) *http.Client {
	return &http.Client{Transport: &Transport{Target: target}}
}
