package clientauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginoauth/ginoauth/clientauth"
)

var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// claimsOf verifies an assertion with key and returns its header's kid
// and its claims.
func claimsOf(t *testing.T, raw string, key any, alg jose.SignatureAlgorithm) (string, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID, c
}

func TestSign(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	k := ecKey(t)
	key, err := clientauth.NewKey(k, "")
	if err != nil {
		t.Fatal(err)
	}
	a, err := clientauth.PrivateKeyJWT("client-1", key, clientauth.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := a.Sign(context.Background(), "https://id.example", "https://id.example/token")
	if err != nil {
		t.Fatal(err)
	}
	kid, c := claimsOf(t, raw, k.Public(), jose.ES256)
	if kid != key.ID() || len(kid) != 43 {
		t.Errorf("kid %q: want the key's thumbprint %q", kid, key.ID())
	}
	if c["iss"] != "client-1" || c["sub"] != "client-1" || c["aud"] != "https://id.example" ||
		c["iat"] != float64(now.Unix()) || c["exp"] != float64(now.Add(time.Minute).Unix()) || len(c["jti"].(string)) < 20 {
		t.Errorf("claims %v", c)
	}
	raw2, _ := a.Sign(context.Background(), "https://id.example", "https://id.example/token")
	if _, c2 := claimsOf(t, raw2, k.Public(), jose.ES256); c2["jti"] == c["jti"] {
		t.Errorf("two assertions share a jti")
	}
	// The endpoint is the audience when asked for, or with no issuer.
	ep, _ := clientauth.PrivateKeyJWT("client-1", key, clientauth.Options{EndpointAudience: true})
	for _, tc := range []struct {
		a      *clientauth.Assertion
		issuer string
	}{{ep, "https://id.example"}, {a, ""}} {
		raw, err := tc.a.Sign(context.Background(), tc.issuer, "https://id.example/token")
		if err != nil {
			t.Fatal(err)
		}
		if _, c := claimsOf(t, raw, k.Public(), jose.ES256); c["aud"] != "https://id.example/token" {
			t.Errorf("aud %v, want the endpoint", c["aud"])
		}
	}
}

func TestSecretJWT(t *testing.T) {
	if _, err := clientauth.SecretJWT("c", "short", clientauth.Options{}); err == nil {
		t.Error("a secret under 32 bytes was accepted for HS256")
	}
	secret := strings.Repeat("s", 32)
	a, err := clientauth.SecretJWT("c", secret, clientauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := a.Sign(context.Background(), "https://id.example", "https://id.example/token")
	if err != nil {
		t.Fatal(err)
	}
	if _, c := claimsOf(t, raw, []byte(secret), jose.HS256); c["sub"] != "c" {
		t.Errorf("claims %v", c)
	}
	if a.Rotate(nil) == nil || a.Publish(nil) == nil || string(a.JWKS()) != `{"keys":[]}` {
		t.Error("client_secret_jwt has no keys to rotate or publish")
	}
}

// TestRotation: publish, rotate, and the previous key stays published
// until the next rotation, so no assertion in flight fails to verify.
func TestRotation(t *testing.T) {
	k1, k2, k3 := ecKey(t), ecKey(t), ecKey(t)
	key1, _ := clientauth.NewKey(k1, "k1")
	key2, _ := clientauth.NewKey(k2, "k2")
	key3, _ := clientauth.NewKey(k3, "k3")
	a, err := clientauth.PrivateKeyJWT("c", key1, clientauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	published := func() []string {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest("GET", "/jwks", nil))
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, k := range set.Keys {
			if !k.IsPublic() {
				t.Fatalf("the key set publishes a private key")
			}
			ids = append(ids, k.KeyID)
		}
		return ids
	}
	signedBy := func() string {
		raw, err := a.Sign(context.Background(), "https://id.example", "")
		if err != nil {
			t.Fatal(err)
		}
		jws, _ := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.ES256})
		return jws.Signatures[0].Header.KeyID
	}
	steps := []struct {
		do        func() error
		signer    string
		published string
	}{
		{func() error { return nil }, "k1", "k1"},
		{func() error { return a.Publish(key2) }, "k1", "k1 k2"},
		{func() error { return a.Rotate(key2) }, "k2", "k2 k1"},
		{func() error { return a.Rotate(key3) }, "k3", "k3 k2"},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		if got := signedBy(); got != s.signer {
			t.Errorf("step %d: signed by %s, want %s", i, got, s.signer)
		}
		if got := strings.Join(published(), " "); got != s.published {
			t.Errorf("step %d: published %s, want %s", i, got, s.published)
		}
	}
}

func TestParseKey(t *testing.T) {
	rk, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	ek := ecKey(t)
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(ek)
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: ek, KeyID: "from-jwk"})
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: ek.Public(), KeyID: "pub"})
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	tests := []struct {
		name    string
		data    []byte
		kid     string
		wantAlg string
		wantKID string
		wantErr string
	}{
		{name: "pkcs1 rsa", data: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}), kid: "r", wantAlg: "RS256", wantKID: "r"},
		{name: "pkcs8 rsa", data: pkcs8(rk), wantAlg: "RS256"},
		{name: "sec1 ec", data: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), wantAlg: "ES256"},
		{name: "pkcs8 ed25519", data: pkcs8(edk), wantAlg: "EdDSA"},
		{name: "private jwk", data: jwk, wantAlg: "ES256", wantKID: "from-jwk"},
		{name: "jwk with kid override", data: jwk, kid: "mine", wantAlg: "ES256", wantKID: "mine"},
		{name: "public jwk", data: pubJWK, wantErr: "public"},
		{name: "certificate", data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), wantErr: "not a private key"},
		{name: "garbage", data: []byte("nonsense"), wantErr: "neither"},
		{name: "small rsa", data: pkcs8(small), wantErr: "2048"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := clientauth.ParseKey(tt.data, tt.kid)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Algorithm() != tt.wantAlg || (tt.wantKID != "" && k.ID() != tt.wantKID) || k.ID() == "" {
				t.Errorf("got %s %q, want %s %q", k.Algorithm(), k.ID(), tt.wantAlg, tt.wantKID)
			}
			if pub := k.Public(); !pub.IsPublic() || pub.KeyID != k.ID() {
				t.Errorf("Public: %+v", pub)
			}
		})
	}
}

// A key with its certificate (Microsoft Entra ID's certificate
// credentials): assertions name the certificate by its thumbprints.
func TestCertificateThumbprints(t *testing.T) {
	rk, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rk.PublicKey, rk)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	key, err := clientauth.ParseKey(append(keyPEM, certPEM...), "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := clientauth.PrivateKeyJWT("c", key, clientauth.Options{EndpointAudience: true})
	raw, err := a.Sign(context.Background(), "https://login.example/tenant/v2.0", "https://login.example/tenant/oauth2/v2.0/token")
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	h := jws.Signatures[0].Header.ExtraHeaders
	if h["x5t"] != base64.RawURLEncoding.EncodeToString(s1[:]) || h["x5t#S256"] != base64.RawURLEncoding.EncodeToString(s256[:]) {
		t.Errorf("headers %v: want the certificate's thumbprints", h)
	}
	// A certificate of another key is refused.
	other := ecKey(t)
	otherPEM, _ := x509.MarshalECPrivateKey(other)
	if _, err := clientauth.ParseKey(append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: otherPEM}), certPEM...), ""); err == nil {
		t.Error("a certificate of another key was accepted")
	}
}
