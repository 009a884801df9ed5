package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/ginoauth/ginoauth/internal/jsonscan"
)

// Errors the verifier returns. The callback wraps them in a
// *ginoauth.Error of kind KindIDTokenInvalid; compare with errors.Is.
var (
	// ErrNonceMismatch means the ID token's nonce is not the one this login
	// sent: the token was issued for another login (a replay).
	ErrNonceMismatch = errors.New("oidc: id token nonce does not match this login")
	// ErrNonceMissing means the ID token has no nonce claim although the
	// login sent one.
	ErrNonceMissing = errors.New("oidc: id token has no nonce")
	// ErrNoClientID means the verifier was built without a client ID, so it
	// cannot check the audience.
	ErrNoClientID = errors.New("oidc: no client ID configured to check the id token audience")
)

// VerifierConfig configures [NewVerifier].
type VerifierConfig struct {
	// Issuer is the expected "iss" claim and, when JWKSURL is empty, where
	// the discovery document is. Required.
	Issuer string
	// JWKSURL is the provider's JSON Web Key Set. Optional. Default: the
	// jwks_uri of Issuer's discovery document, read on first use.
	JWKSURL string
	// ClientID is the expected audience. Optional. Default: the client ID
	// the blueprint passes to the verifier.
	ClientID string
	// SupportedSigningAlgs are the accepted signature algorithms.
	// Optional. Default RS256.
	SupportedSigningAlgs []string
	// SkipIssuerCheck disables the "iss" check; CheckClaims MUST then check
	// the issuer, and without CheckClaims every token is rejected.
	// Optional. Default false.
	SkipIssuerCheck bool
	// AllowMissingNonce accepts a token without a nonce claim (a present
	// nonce must still match). Optional. Default false. See
	// Config.AllowMissingNonce.
	AllowMissingNonce bool
	// CheckClaims runs last, with the verified claims. Optional.
	CheckClaims func(claims map[string]any) error
	// HTTPClient fetches the keys (and the discovery document). Optional.
	// Default http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock for the expiry check. Optional. Default time.Now.
	Now func() time.Time
}

// maxClockSkew is how far in the future an ID token's iat may lie.
const maxClockSkew = 5 * time.Minute

// NewVerifier returns a [ginoauth.Provider.VerifyIDToken] function that accepts an ID token
// only if its signature verifies with the issuer's keys and an allowed
// algorithm, its issuer is the expected one, its audience contains the
// client ID (VerifierConfig.ClientID, or the blueprint's), it names a
// subject, an "azp" claim (required with several audiences) is the client
// ID, it has not expired, it says when it was issued ("iat") and that is
// not in the future (5 minutes of clock skew allowed), and, after a login,
// its nonce claim equals the nonce the login sent (OpenID Connect Core
// section 3.1.3.7). It returns the token's claims.
//
// The blueprint passes an empty nonce for an ID token that comes with a
// refreshed access token; OpenID Connect Core section 12.2 gives such a
// token no new nonce, so the nonce is then not checked (the blueprint
// checks that the subject is unchanged).
//
// NewVerifier does no I/O. The keys are fetched on first use and cached,
// and fetched again when a token names an unknown key; the same verifier
// must therefore be reused, not built per login.
func NewVerifier(vc VerifierConfig) func(ctx context.Context, clientID, rawIDToken, nonce string) (map[string]any, error) {
	return newJWTVerifier(vc).idToken
}

// jwtVerifier checks the JWTs an OpenID provider signs: ID tokens, logout
// tokens and signed userinfo answers, with one key set.
type jwtVerifier struct {
	v            *gooidc.IDTokenVerifier
	keys         gooidc.KeySet
	issuer       string
	configured   string
	allowMissing bool
	check        func(map[string]any) error
	skipIss      bool
	now          func() time.Time
	seen         replayCache
	hc           *http.Client // claims sources

	claimsProviders map[string]string // issuer: JWKS URL
	mu              sync.Mutex
	sourceKeySets   map[string]gooidc.KeySet
}

func newJWTVerifier(vc VerifierConfig) *jwtVerifier {
	hc := boundedClient(httpClient(vc.HTTPClient), timeout(httpClient(vc.HTTPClient).Timeout))
	var keys gooidc.KeySet
	if vc.JWKSURL != "" {
		// The context is go-oidc's bag of values for the background fetch
		// (its cancellation is ignored); the client's Timeout bounds it.
		keys = gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), hc), vc.JWKSURL)
	} else {
		keys = &discoveredKeys{issuer: vc.Issuer, client: hc, timeout: timeout(httpClient(vc.HTTPClient).Timeout)}
	}
	j := &jwtVerifier{
		v: gooidc.NewVerifier(vc.Issuer, keys, &gooidc.Config{
			// The audience is checked below, against the client ID the
			// blueprint passes (or VerifierConfig.ClientID).
			SkipClientIDCheck:    true,
			SupportedSigningAlgs: slices.Clone(vc.SupportedSigningAlgs),
			SkipIssuerCheck:      vc.SkipIssuerCheck,
			Now:                  vc.Now,
		}),
		keys:         keys,
		issuer:       vc.Issuer,
		configured:   vc.ClientID,
		allowMissing: vc.AllowMissingNonce,
		check:        vc.CheckClaims,
		skipIss:      vc.SkipIssuerCheck,
		now:          vc.Now,
		hc:           hc,
	}
	if j.now == nil {
		j.now = time.Now
	}
	return j
}

// verify checks what ID tokens and logout tokens share (OpenID Connect
// Core 3.1.3.7, Back-Channel Logout 2.6): signature, algorithm, issuer,
// expiry, audience and azp, and a present iat not in the future. It
// returns the token and its claims.
func (j *jwtVerifier) verify(ctx context.Context, clientID, raw string) (*gooidc.IDToken, map[string]any, error) {
	audience := j.configured
	if audience == "" {
		audience = clientID
	}
	if audience == "" {
		return nil, nil, ErrNoClientID
	}
	if j.skipIss && j.check == nil {
		return nil, nil, errors.New("oidc: SkipIssuerCheck is set but no CheckClaims verifies the issuer")
	}
	idt, err := j.v.Verify(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	// The client must be an audience; with several audiences an azp claim
	// must be present, and any azp must be the client.
	if !slices.Contains(idt.Audience, audience) {
		return nil, nil, fmt.Errorf("expected audience %q got %q", audience, idt.Audience)
	}
	if idt.IssuedAt.IsZero() {
		return nil, nil, errors.New("no iat claim")
	}
	if idt.IssuedAt.After(j.now().Add(maxClockSkew)) {
		return nil, nil, fmt.Errorf("issued in the future (iat %v)", idt.IssuedAt.UTC())
	}
	claims, err := verifiedClaims(idt, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("decode claims: %w", err)
	}
	azp, hasAZP := claims["azp"].(string)
	switch {
	case len(idt.Audience) > 1 && !hasAZP:
		return nil, nil, errors.New("several audiences but no authorized party (azp)")
	case hasAZP && azp != audience:
		return nil, nil, errors.New("the authorized party (azp) is another client")
	}
	return idt, claims, nil
}

// verifiedClaims returns the claims of idt, which Verify checked: from the
// payload of raw, the token it verified, in one pass (see jsonscan), or by
// go-oidc with encoding/json when that pass does not take them as they are.
func verifiedClaims(idt *gooidc.IDToken, raw string) (map[string]any, error) {
	var claims map[string]any
	if first := strings.IndexByte(raw, '.'); first >= 0 {
		if last := strings.LastIndexByte(raw, '.'); last > first {
			payload, err := base64.RawURLEncoding.DecodeString(raw[first+1 : last])
			if err == nil && jsonscan.Map(payload, &claims, nil) {
				return claims, nil
			}
		}
	}
	claims = nil
	if err := idt.Claims(&claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// idToken is the ginoauth.Provider.VerifyIDToken function.
func (j *jwtVerifier) idToken(ctx context.Context, clientID, raw, nonce string) (map[string]any, error) {
	idt, claims, err := j.verify(ctx, clientID, raw)
	if err != nil {
		return nil, fmt.Errorf("oidc: verify id token: %w", err)
	}
	if idt.Subject == "" {
		return nil, errors.New("oidc: verify id token: no sub claim")
	}
	switch {
	case nonce == "":
		// A refreshed ID token: no nonce to compare with.
	case idt.Nonce == "" && !j.allowMissing:
		return nil, ErrNonceMissing
	case idt.Nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1:
		return nil, ErrNonceMismatch
	}
	if j.check != nil {
		if err := j.check(claims); err != nil {
			return nil, fmt.Errorf("oidc: id token claims: %w", err)
		}
	}
	return claims, nil
}

// boundedClient returns hc with a Timeout of at most d, so that go-oidc's
// background key fetch, which ignores cancellation, cannot hang.
func boundedClient(hc *http.Client, d time.Duration) *http.Client {
	if hc.Timeout > 0 && hc.Timeout <= d {
		return hc
	}
	c := *hc
	c.Timeout = d
	return &c
}

// discoveredKeys is a key set whose URL comes from the issuer's discovery
// document, read on first use and cached. A failed read is not cached.
type discoveredKeys struct {
	issuer  string
	client  *http.Client
	timeout time.Duration

	mu   sync.Mutex
	keys *gooidc.RemoteKeySet
}

// VerifySignature implements go-oidc's KeySet.
func (d *discoveredKeys) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	ks, err := d.keySet(ctx)
	if err != nil {
		return nil, err
	}
	return ks.VerifySignature(ctx, jwt)
}

func (d *discoveredKeys) keySet(ctx context.Context) (*gooidc.RemoteKeySet, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.keys != nil {
		return d.keys, nil
	}
	m, err := fetchMetadata(ctx, d.client, d.timeout, d.issuer, false)
	if err != nil {
		return nil, err
	}
	if m.JWKSURL == "" {
		return nil, fmt.Errorf("ginoauth: oidc: discover %s: document has no jwks_uri", d.issuer)
	}
	d.keys = gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), d.client), m.JWKSURL)
	return d.keys, nil
}
