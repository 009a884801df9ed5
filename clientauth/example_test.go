package clientauth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/clientauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// A client that authenticates with private_key_jwt. The key would come
// from a file or a secret store; its public half is registered with the
// provider (or served at a URL the provider reads: Assertion is an
// http.Handler).
func ExamplePrivateKeyJWT() {
	pemBytes := examplePEM()

	key, err := clientauth.ParseKey(pemBytes, "2026-12")
	if err != nil {
		log.Fatal(err)
	}
	a, err := clientauth.PrivateKeyJWT("my-client", key, clientauth.Options{})
	if err != nil {
		log.Fatal(err)
	}
	cfg := oidc.Config{
		Issuer: "https://id.example.com",
		Config: ginoauth.Config{ClientID: "my-client", ClientAssertion: a.Sign},
	}
	_ = cfg // oidc.New(ctx, cfg)
	fmt.Println(key.ID(), key.Algorithm())
	// Output: 2026-12 ES256
}

func examplePEM() []byte {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		log.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
