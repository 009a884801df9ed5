// Package clientauth authenticates an OAuth client to its provider with a
// signed JWT instead of a client secret sent as is: the client_secret_jwt
// and private_key_jwt methods of OpenID Connect Core section 9, which RFC
// 7523 section 2.2 defines for any OAuth 2 server.
//
// An [Assertion] plugs into ginoauth.Config.ClientAssertion, which uses it
// for the code exchange, every refresh and token revocation:
//
//	key, err := clientauth.ParseKey(pemBytes, "")
//	a, err := clientauth.PrivateKeyJWT("my-client", key, clientauth.Options{})
//	cfg := ginoauth.Config{ClientID: "my-client", ClientAssertion: a.Sign}
//
// With private_key_jwt the provider holds the client's public key: either
// registered with it, or read from a URL the app serves ([Assertion] is an
// http.Handler for that JSON Web Key Set). Keys are rotated without
// downtime in three steps: [Assertion.Publish] the next key (or register
// its public half) while the current one still signs, wait until the
// provider has it, then [Assertion.Rotate] to it. The previous key stays
// in the published set until the next rotation, so assertions in flight
// still verify.
package clientauth

import (
	"context"
	"crypto"
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
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Options tune the assertions. The zero value is what most providers
// expect.
type Options struct {
	// EndpointAudience makes the "aud" claim the URL of the endpoint the
	// assertion is sent to, as Microsoft Entra ID and Okta require.
	// Optional. Default: the provider's issuer identifier, which the
	// OpenID Foundation recommends since assertions naming an endpoint
	// were found open to audience injection; an endpoint URL is used only
	// for a provider that has no issuer (a plain OAuth 2 server).
	EndpointAudience bool
	// Lifetime is how long an assertion is valid. Optional. Default one
	// minute: each is made for one request.
	Lifetime time.Duration
	// Now is the clock for "iat" and "exp". Optional. Default time.Now.
	Now func() time.Time
}

// Assertion makes client assertions for one client. It is safe for
// concurrent use; Rotate and Publish may run while requests sign.
type Assertion struct {
	clientID string
	opt      Options

	mu        sync.RWMutex
	signing   *Key   // private_key_jwt; nil for client_secret_jwt
	secret    []byte // client_secret_jwt
	published []*Key // the public keys served, the signing key first
	previous  *Key   // the key that signed before the last Rotate
}

// SecretJWT returns the client_secret_jwt method: assertions signed with
// HMAC SHA-256 keyed by the client secret, which never leaves the app.
func SecretJWT(clientID, secret string, opt Options) (*Assertion, error) {
	if clientID == "" || secret == "" {
		return nil, errors.New("clientauth: client_secret_jwt needs a client ID and a client secret")
	}
	if len(secret) < 32 {
		// RFC 7518 section 3.2: an HS256 key of at least 256 bits.
		return nil, errors.New("clientauth: client_secret_jwt needs a client secret of at least 32 bytes")
	}
	return &Assertion{clientID: clientID, opt: opt, secret: []byte(secret)}, nil
}

// PrivateKeyJWT returns the private_key_jwt method: assertions signed with
// key, whose public half the provider knows.
func PrivateKeyJWT(clientID string, key *Key, opt Options) (*Assertion, error) {
	if clientID == "" || key == nil {
		return nil, errors.New("clientauth: private_key_jwt needs a client ID and a key")
	}
	return &Assertion{clientID: clientID, opt: opt, signing: key, published: []*Key{key}}, nil
}

// Sign returns a fresh assertion for a request to endpoint of the provider
// whose issuer identifier is issuer ("" when it has none). Its signature
// is that of ginoauth.Config.ClientAssertion. The claims are those of RFC
// 7523 section 3: iss and sub the client ID, aud (see
// Options.EndpointAudience), a random jti, iat and exp.
func (a *Assertion) Sign(_ context.Context, issuer, endpoint string) (string, error) {
	aud := issuer
	if a.opt.EndpointAudience || aud == "" {
		aud = endpoint
	}
	if aud == "" {
		return "", errors.New("clientauth: no audience: neither an issuer nor an endpoint")
	}
	now := time.Now
	if a.opt.Now != nil {
		now = a.opt.Now
	}
	lifetime := a.opt.Lifetime
	if lifetime <= 0 {
		lifetime = time.Minute
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("clientauth: %w", err)
	}
	t := now()
	payload, err := json.Marshal(map[string]any{
		"iss": a.clientID,
		"sub": a.clientID,
		"aud": aud,
		"jti": base64.RawURLEncoding.EncodeToString(jti[:]),
		"iat": t.Unix(),
		"exp": t.Add(lifetime).Unix(),
	})
	if err != nil {
		return "", fmt.Errorf("clientauth: %w", err)
	}
	a.mu.RLock()
	var sk jose.SigningKey
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if a.signing != nil {
		sk = jose.SigningKey{Algorithm: a.signing.alg, Key: a.signing.private}
		opts = opts.WithHeader("kid", a.signing.id)
		if c := a.signing.cert; c != nil {
			// RFC 7515 sections 4.1.7 and 4.1.8: the certificate's
			// thumbprints, by which Microsoft Entra ID finds the key.
			s1, s256 := sha1.Sum(c.Raw), sha256.Sum256(c.Raw)
			opts = opts.WithHeader("x5t", base64.RawURLEncoding.EncodeToString(s1[:])).
				WithHeader("x5t#S256", base64.RawURLEncoding.EncodeToString(s256[:]))
		}
	} else {
		sk = jose.SigningKey{Algorithm: jose.HS256, Key: a.secret}
	}
	a.mu.RUnlock()
	signer, err := jose.NewSigner(sk, opts)
	if err != nil {
		return "", fmt.Errorf("clientauth: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("clientauth: sign: %w", err)
	}
	return obj.CompactSerialize()
}

// Publish adds next's public key to the published key set without signing
// with it yet: the first step of a rotation, for providers that read the
// set from the app. It is an error for client_secret_jwt.
func (a *Assertion) Publish(next *Key) error {
	if next == nil {
		return errors.New("clientauth: Publish: no key")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.signing == nil {
		return errors.New("clientauth: Publish: client_secret_jwt has no keys to publish")
	}
	for _, k := range a.published {
		if k.id == next.id {
			return nil
		}
	}
	a.published = append(a.published, next)
	return nil
}

// Rotate makes next the signing key from now on. The key it replaces stays
// published until the next Rotate; keys published earlier are dropped. It
// is an error for client_secret_jwt.
func (a *Assertion) Rotate(next *Key) error {
	if next == nil {
		return errors.New("clientauth: Rotate: no key")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.signing == nil {
		return errors.New("clientauth: Rotate: client_secret_jwt has no keys to rotate")
	}
	if next.id == a.signing.id {
		return nil
	}
	a.previous, a.signing = a.signing, next
	a.published = []*Key{next, a.previous}
	return nil
}

// JWKS returns the published public keys as a JSON Web Key Set (RFC 7517):
// the signing key, the previous one and any published for the next
// rotation. It is empty for client_secret_jwt.
func (a *Assertion) JWKS() []byte {
	a.mu.RLock()
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(a.published))}
	for _, k := range a.published {
		set.Keys = append(set.Keys, k.Public())
	}
	a.mu.RUnlock()
	b, _ := json.Marshal(set) // public keys of the supported types always encode
	return b
}

// ServeHTTP serves JWKS, for providers that read the client's keys from a
// URL (a client's registered jwks_uri).
func (a *Assertion) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(a.JWKS())
}

// Key is a private signing key with its key ID and algorithm, and the
// certificate of its public key when there is one.
type Key struct {
	id      string
	alg     jose.SignatureAlgorithm
	private crypto.Signer
	cert    *x509.Certificate
}

// ID returns the key ID that assertions name in their "kid" header.
func (k *Key) ID() string { return k.id }

// Algorithm returns the JWS algorithm: RS256 for RSA keys, ES256, ES384
// or ES512 for EC keys by curve, EdDSA for Ed25519.
func (k *Key) Algorithm() string { return string(k.alg) }

// Public returns the public half as a JWK, to register with the provider.
func (k *Key) Public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.private.Public(), KeyID: k.id, Algorithm: string(k.alg), Use: "sig"}
}

// NewKey wraps an RSA (2048 bits or more), ECDSA (P-256, P-384, P-521)
// or Ed25519 private key. The key ID is kid, or the RFC 7638 thumbprint
// of the public key when kid is "".
func NewKey(private crypto.Signer, kid string) (*Key, error) {
	var alg jose.SignatureAlgorithm
	switch k := private.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("clientauth: an RSA key needs at least 2048 bits")
		}
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		case elliptic.P521():
			alg = jose.ES512
		default:
			return nil, errors.New("clientauth: unsupported EC curve")
		}
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	default:
		return nil, fmt.Errorf("clientauth: unsupported key type %T", private)
	}
	if kid == "" {
		tp, err := (&jose.JSONWebKey{Key: private.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("clientauth: thumbprint: %w", err)
		}
		kid = base64.RawURLEncoding.EncodeToString(tp)
	}
	return &Key{id: kid, alg: alg, private: private}, nil
}

// ParseKey reads a private key from PEM (a PKCS #8, PKCS #1 RSA or SEC 1
// EC block, optionally followed by the CERTIFICATE of its public key, as
// Microsoft Entra ID's certificate credentials are kept) or from a private
// JSON Web Key. The key ID is kid, else the JWK's own "kid", else the
// key's RFC 7638 thumbprint. With a certificate, assertions also carry
// its thumbprints (the "x5t" and "x5t#S256" headers).
func ParseKey(data []byte, kid string) (*Key, error) {
	if block, rest := pem.Decode(data); block != nil {
		var (
			k   any
			err error
		)
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			return nil, fmt.Errorf("clientauth: PEM block %q is not a private key", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("clientauth: parse %s: %w", block.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("clientauth: unsupported key type %T", k)
		}
		key, err := NewKey(s, kid)
		if err != nil {
			return nil, err
		}
		if cb, _ := pem.Decode(rest); cb != nil && cb.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(cb.Bytes)
			if err != nil {
				return nil, fmt.Errorf("clientauth: parse certificate: %w", err)
			}
			if !publicKeyEqual(cert.PublicKey, s.Public()) {
				return nil, errors.New("clientauth: the certificate is not the key's")
			}
			key.cert = cert
		}
		return key, nil
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		return nil, errors.New("clientauth: neither a PEM private key nor a JSON Web Key")
	}
	if jwk.IsPublic() {
		return nil, errors.New("clientauth: the JSON Web Key is a public key")
	}
	s, ok := jwk.Key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("clientauth: unsupported key type %T", jwk.Key)
	}
	if kid == "" {
		kid = jwk.KeyID
	}
	return NewKey(s, kid)
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}
