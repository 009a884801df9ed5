package providers_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

const (
	envID     = "env-client-id"
	envSecret = "env-client-secret"
	tenantID  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	teamID    = "TEAM123456"
	keyID     = "KEY1234567"
)

// t1TestKeys are generated once: an RSA key for ID tokens and a P-256 key
// standing in for Apple's .p8 key.
var t1TestKeys = sync.OnceValues(func() (*t1KeyPair, error) {
	s, err := oidctest.NewSigner("test-key")
	if err != nil {
		return nil, err
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		return nil, err
	}
	p8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return &t1KeyPair{signer: s, apple: ec, appleP8: string(p8)}, nil
})

type t1KeyPair struct {
	signer  *oidctest.Signer
	apple   *ecdsa.PrivateKey
	appleP8 string
}

func t1Keys(t *testing.T) *t1KeyPair {
	t.Helper()
	k, err := t1TestKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// t1ID describes an OpenID preset's ID token and keys.
type t1ID struct {
	jwks      string                            // the key set URL the preset uses
	discovery map[string]any                    // a discovery document to serve, if the preset reads one
	claims    func(nonce string) map[string]any // ID token claims for a login's nonce
}

// t1Option is one option and its effect.
type t1Option struct {
	name    string
	newBP   func(cfg ginoauth.Config) (*ginoauth.Blueprint, error)
	want    map[string]string // authorization URL parameters with these values
	absent  []string          // parameters that must not be there
	host    string            // authorization URL host, if it moves
	path    string            // authorization URL path, if it moves
	token   string            // token URL, if it moves
	api     string            // API base URL, if it moves
	refresh *bool             // whether refresh is enabled, if the option changes it
}

type t1Case struct {
	name       string
	env        string
	provider   func() ginoauth.Provider
	newBP      func(cfg ginoauth.Config) (*ginoauth.Blueprint, error)
	scope      string // the scope parameter as sent; "" for none
	pkce       bool
	style      oauth2.AuthStyle
	authURL    string // scheme, host and path of the authorization endpoint
	tokenURL   string
	apiBase    string
	params     map[string]string // extra authorization parameters sent by default
	refresh    bool              // refresh enabled with the default options
	id         *t1ID             // nil for plain OAuth 2
	tokenExtra map[string]any    // extra fields in the token response
	options    []t1Option
}

func t1Ptr[T any](v T) *T { return &v }

func t1Claims(iss, aud string) func(string) map[string]any {
	return func(nonce string) map[string]any {
		return map[string]any{
			"iss": iss, "aud": aud, "sub": "user-1", "nonce": nonce,
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
			"email": "ada@example.com", "email_verified": true,
		}
	}
}
