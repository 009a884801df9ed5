package apple

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginoauth/ginoauth"
)

func p8(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func ecKey(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func claimsOf(t *testing.T, tok string, pub *ecdsa.PublicKey) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSecretCache(t *testing.T) {
	t.Parallel()
	key := ecKey(t, elliptic.P256())
	src, err := newSecretSource(Config{TeamID: "T", KeyID: "K", PrivateKey: p8(t, key),
		Config: ginoauth.Config{ClientID: "com.example.web"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	src.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	first, err := src.secret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := claimsOf(t, first, &key.PublicKey)
	if c["iss"] != "T" || c["sub"] != "com.example.web" || c["aud"] != "https://appleid.apple.com" ||
		c["iat"].(float64) != float64(now.Unix()) || c["exp"].(float64) != float64(now.Add(time.Hour).Unix()) {
		t.Errorf("got claims %v, want iss T, sub the client ID, aud Apple, a one-hour lifetime", c)
	}

	// Concurrent callers share the cached secret.
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if s, err := src.secret(t.Context()); err != nil || s != first {
				t.Errorf("got a different secret (%v) while the first is fresh", err)
			}
		})
	}
	wg.Wait()

	advance(54 * time.Minute) // 6 minutes left: still reused
	if s, _ := src.secret(t.Context()); s != first {
		t.Errorf("got a new secret with 6 minutes left, want the cached one")
	}
	advance(2 * time.Minute) // 4 minutes left: renewed
	second, err := src.secret(t.Context())
	if err != nil || second == first {
		t.Fatalf("got the old secret (%v) with 4 minutes left, want a new one", err)
	}
	if c := claimsOf(t, second, &key.PublicKey); c["iat"].(float64) != float64(now.Unix()) {
		t.Errorf("got iat %v, want now", c["iat"])
	}
}

func TestSecretTTLClamp(t *testing.T) {
	t.Parallel()
	key := ecKey(t, elliptic.P256())
	src, err := newSecretSource(Config{TeamID: "T", KeyID: "K", PrivateKey: p8(t, key), ClientSecretTTL: 365 * 24 * time.Hour,
		Config: ginoauth.Config{ClientID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := src.secret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := claimsOf(t, s, &key.PublicKey)
	if got := c["exp"].(float64) - c["iat"].(float64); got != 15777000 {
		t.Errorf("got lifetime %vs, want Apple's maximum 15777000s", got)
	}
}

func TestKeyErrors(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // a wrong key type, only parsed
	if err != nil {
		t.Fatal(err)
	}
	good := p8(t, ecKey(t, elliptic.P256()))
	dir := t.TempDir()
	file := filepath.Join(dir, "AuthKey_K.p8")
	if err := os.WriteFile(file, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ecKey(t, elliptic.P256()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "p8 text", cfg: Config{TeamID: "T", KeyID: "K", PrivateKey: good}},
		{name: "p8 file", cfg: Config{TeamID: "T", KeyID: "K", PrivateKeyFile: file}},
		{name: "sec1", cfg: Config{TeamID: "T", KeyID: "K", PrivateKey: string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))}},
		{name: "missing file", cfg: Config{TeamID: "T", KeyID: "K", PrivateKeyFile: filepath.Join(dir, "nope.p8")}, wantErr: "PrivateKeyFile"},
		{name: "not PEM", cfg: Config{TeamID: "T", KeyID: "K", PrivateKey: "MIGTAgEAMBMGByqGSM49"}, wantErr: "no PEM block"},
		{name: "RSA key", cfg: Config{TeamID: "T", KeyID: "K", PrivateKey: p8(t, rsaKey)}, wantErr: "P-256"},
		{name: "P-384 key", cfg: Config{TeamID: "T", KeyID: "K", PrivateKey: p8(t, ecKey(t, elliptic.P384()))}, wantErr: "P-256"},
		{name: "no team", cfg: Config{KeyID: "K", PrivateKey: good}, wantErr: "TeamID"},
		{name: "no key id", cfg: Config{TeamID: "T", PrivateKey: good}, wantErr: "KeyID"},
		{name: "no secret at all", cfg: Config{}, wantErr: "PrivateKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.ClientID = "com.example.web"
			bp, err := New(cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want a blueprint", err)
				}
				if bp.Name() != "apple" {
					t.Errorf("got name %q", bp.Name())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("the error shows key material: %v", err)
			}
		})
	}
}
