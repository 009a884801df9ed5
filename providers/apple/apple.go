// Package apple is the "Sign in with Apple" preset for web sites.
//
// Apple differs from other providers in three ways, all handled here:
//
//   - The client secret is a short-lived JWT signed (ES256) with the app's
//     private key (the .p8 file from the developer account). Give TeamID,
//     KeyID and PrivateKey or PrivateKeyFile; New builds the secret for
//     each token request, reusing it until shortly before it expires.
//   - When the login asks for the name or email scope, Apple returns to
//     the callback with a cross-site form POST (response_mode=form_post).
//     The blueprint accepts it without weakening the session cookie's
//     SameSite setting (see ginoauth.Provider.FormPostCallback).
//   - Apple has no userinfo endpoint. The user's ID and email come from the
//     ID token, which is verified against Apple's published keys (issuer,
//     audience, expiry, nonce) before the token is stored; Profile maps its
//     claims. The user's name is sent only once, on the first
//     authorization, in the callback's "user" field: read it with
//     [CallbackUser] in a Hooks.Authorized function and keep it.
//
// Logout revokes the token at Apple. ClientID is the Services ID
// (APPLE_OAUTH_CLIENT_ID by default). New reads the key file but does no
// network I/O; Apple's signing keys are fetched on the first login and
// cached.
package apple

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name      = "apple"
	env       = "APPLE"
	issuer    = "https://appleid.apple.com"
	jwksURL   = "https://appleid.apple.com/auth/keys"
	revokeURL = "https://appleid.apple.com/auth/revoke"

	// maxSecretTTL is the longest client secret lifetime Apple accepts
	// (15777000 seconds, six months).
	maxSecretTTL     = 15777000 * time.Second
	defaultSecretTTL = time.Hour
)

// Config configures the Apple blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID is the Services ID
	// and defaults to APPLE_OAUTH_CLIENT_ID. ClientSecret is not needed
	// when a private key is given; without one it must be a client secret
	// JWT made elsewhere (default APPLE_OAUTH_CLIENT_SECRET). Scopes
	// default to name and email.
	ginoauth.Config

	// TeamID is the Apple developer team ID, the client secret's issuer.
	// Required with a private key.
	TeamID string
	// KeyID is the private key's ID. Required with a private key.
	KeyID string
	// PrivateKey is the content of the .p8 key file (PEM). Optional: set
	// it or PrivateKeyFile.
	PrivateKey string
	// PrivateKeyFile is the path of the .p8 key file, read by New.
	// Optional: set it or PrivateKey.
	PrivateKeyFile string
	// ClientSecretTTL is the lifetime of each client secret JWT. Optional.
	// Default 1 hour; at most 6 months, as Apple requires.
	ClientSecretTTL time.Duration
}

// Provider returns the Apple provider. It needs no key: New adds the client
// secret. The ID token verifier checks the audience against cfg.ClientID,
// or APPLE_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	ep := endpoints.Apple
	ep.AuthStyle = oauth2.AuthStyleInParams
	return ginoauth.Provider{
		Name:          name,
		Endpoint:      ep,
		RevocationURL: revokeURL,
		Scopes:        []string{"name", "email"},
		AuthParams:    map[string]string{"response_mode": "form_post"},
		Issuer:        issuer,
		// Apple returns an ID token whatever the scopes.
		OpenID: true,
		VerifyIDToken: oidc.NewVerifier(oidc.VerifierConfig{
			Issuer:               issuer,
			JWKSURL:              jwksURL,
			ClientID:             cfg.ClientID,
			SupportedSigningAlgs: []string{"RS256"},
			HTTPClient:           cfg.HTTPClient,
		}),
		FormPostCallback: true,
		CallbackParams:   []string{"user"}, // the name, sent on the first login only
		Profile:          profile,
	}
}

// New returns the Apple blueprint. It reads and checks the private key and
// sets Config.ClientSecretFunc to sign client secrets with it.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if cfg.PrivateKey != "" || cfg.PrivateKeyFile != "" {
		if cfg.ClientID == "" {
			cfg.ClientID = os.Getenv(env + "_OAUTH_CLIENT_ID")
		}
		src, err := newSecretSource(cfg)
		if err != nil {
			return nil, fmt.Errorf("ginoauth: %s: config: %w", name, err)
		}
		cfg.ClientSecret = ""
		cfg.ClientSecretFunc = src.secret
	}
	provutil.FillCredentials(&cfg.Config, env)
	if cfg.ClientSecret == "" && cfg.ClientSecretFunc == nil {
		return nil, fmt.Errorf("ginoauth: %s: config: set PrivateKey or PrivateKeyFile (with TeamID and KeyID), or a ClientSecret", name)
	}
	return provutil.New(Provider(cfg), cfg.Config, env)
}

// secretSource makes client secret JWTs and reuses each until shortly
// before it expires. It is safe for concurrent use.
type secretSource struct {
	teamID, keyID, clientID string
	ttl                     time.Duration
	signer                  jose.Signer
	now                     func() time.Time

	mu      sync.Mutex
	current string
	expiry  time.Time
}

func newSecretSource(cfg Config) (*secretSource, error) {
	if cfg.TeamID == "" || cfg.KeyID == "" {
		return nil, errors.New("TeamID and KeyID are required with a private key")
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("ClientID is required (or set %s_OAUTH_CLIENT_ID)", env)
	}
	pemText := []byte(cfg.PrivateKey)
	if len(pemText) == 0 {
		b, err := os.ReadFile(cfg.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("PrivateKeyFile: %w", err)
		}
		pemText = b
	}
	key, err := parseKey(pemText)
	if err != nil {
		return nil, err
	}
	ttl := cfg.ClientSecretTTL
	if ttl <= 0 {
		ttl = defaultSecretTTL
	}
	ttl = min(ttl, maxSecretTTL)
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", cfg.KeyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return &secretSource{
		teamID: cfg.TeamID, keyID: cfg.KeyID, clientID: cfg.ClientID,
		ttl: ttl, signer: signer, now: time.Now,
	}, nil
}

// parseKey reads an ES256 private key: Apple's PKCS #8 .p8 file, or a SEC 1
// "EC PRIVATE KEY".
func parseKey(pemText []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("private key: no PEM block (expected the content of the .p8 file)")
	}
	var key any
	var err error
	if block.Type == "EC PRIVATE KEY" {
		key, err = x509.ParseECPrivateKey(block.Bytes)
	} else {
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("private key: not a P-256 (ES256) key")
	}
	return ec, nil
}

// secret returns a client secret valid for at least a few more minutes.
func (s *secretSource) secret(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	margin := min(5*time.Minute, s.ttl/2)
	if s.current != "" && now.Add(margin).Before(s.expiry) {
		return s.current, nil
	}
	exp := now.Add(s.ttl)
	tok, err := jwt.Signed(s.signer).Claims(jwt.Claims{
		Issuer:   s.teamID,
		Subject:  s.clientID,
		Audience: jwt.Audience{issuer},
		IssuedAt: jwt.NewNumericDate(now),
		Expiry:   jwt.NewNumericDate(exp),
	}).Serialize()
	if err != nil {
		return "", fmt.Errorf("apple: sign client secret: %w", err)
	}
	s.current, s.expiry = tok, exp
	return tok, nil
}

// User is what Apple sends in the callback's "user" field on the first
// authorization only. It is not signed: trust the verified ID token for the
// email, and use this for the name.
type User struct {
	Name struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"name"`
	Email string `json:"email"`
}

// FullName returns the first and last name joined by a space.
func (u *User) FullName() string {
	return strings.TrimSpace(u.Name.FirstName + " " + u.Name.LastName)
}

// CallbackUser returns the user information Apple sent with this login's
// callback, for a Hooks.Authorized function to save; ok is false when there
// is none (every login after the first). It looks in t.Extra["user"] and
// then in the callback request's "user" parameter, where Apple puts it.
func CallbackUser(c *gin.Context, t *ginoauth.Token) (u *User, ok bool) {
	if t != nil {
		if u, ok := decodeUser(t.Extra["user"]); ok {
			return u, true
		}
	}
	if c == nil || c.Request == nil {
		return nil, false
	}
	return decodeUser(c.Request.FormValue("user"))
}

// maxUserField bounds the "user" field, which comes from the browser.
const maxUserField = 4 << 10

func decodeUser(v any) (*User, bool) {
	var raw []byte
	switch x := v.(type) {
	case string:
		raw = []byte(x)
	case map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, false
		}
		raw = b
	default:
		return nil, false
	}
	if len(raw) == 0 || len(raw) > maxUserField {
		return nil, false
	}
	var u User
	if json.Unmarshal(raw, &u) != nil || (u.FullName() == "" && u.Email == "") {
		return nil, false
	}
	return &u, true
}

// profile maps the verified ID token claims (sub, email, email_verified)
// and, when the token carries Apple's "user" field, the name.
func profile(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	p, err := oidc.ClaimsProfile(ctx, client, t)
	if err != nil {
		return nil, err
	}
	if u, ok := decodeUser(t.Extra["user"]); ok && p.Name == "" {
		p.Name = u.FullName()
	}
	return p, nil
}
