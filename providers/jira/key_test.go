package jira

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRSAKey: the consumer key is read from PEM text or a PEM file,
// PKCS #1 or #8, and errors never show key material.
func TestLoadRSAKey(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	der, err2 := x509.MarshalPKCS8PrivateKey(key)
	if err2 != nil {
		t.Fatal(err2)
	}
	pkcs8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	path := filepath.Join(t.TempDir(), "jira.pem")
	if err := os.WriteFile(path, []byte(pkcs8), 0o600); err != nil {
		t.Fatal(err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))
	broken := strings.Replace(pkcs1, pkcs1[40:80], strings.Repeat("A", 40), 1)

	for _, tt := range []struct {
		name, in, wantErr string
	}{
		{"PKCS #1 text", pkcs1, ""},
		{"PKCS #8 text", pkcs8, ""},
		{"PKCS #8 file", path, ""},
		{"file path with spaces around", "  " + path + "\n", ""},
		{"missing file", filepath.Join(t.TempDir(), "none.pem"), "no such file"},
		{"empty", "", "empty"},
		{"EC key", ecPEM, "not RSA"},
		{"public key", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})), "not an unencrypted RSA private key"},
		{"corrupt key", broken, "malformed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadRSAKey(tt.in)
			if tt.wantErr == "" {
				if err != nil || !got.Equal(key) {
					t.Fatalf("got %v, want the key", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "MII") {
				t.Error("the error shows key material")
			}
		})
	}
}
