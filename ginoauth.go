// Package ginoauth is an OAuth consumer library for the Gin web framework,
// in the manner of Python's Flask-Dance.
//
// An application mounts one [Blueprint] per OAuth provider on a Gin router
// group. The blueprint owns two routes:
//
//   - the login route (default "/{name}") redirects the browser to the
//     provider's authorization page, with a fresh single-use state and a PKCE
//     challenge bound to the user's session;
//   - the authorized route (default "/{name}/authorized") is the callback: it
//     checks the state, exchanges the code for a token, runs the
//     [Hooks.Authorized] hook and stores the token in the blueprint's
//     [Storage].
//
// The application's own handlers then call [Blueprint.Client] for an
// *http.Client that carries the stored token, resolves URLs relative to the
// provider's API base URL, refreshes the token when it expires and saves the
// refreshed token back to the storage.
//
//	bp, err := ginoauth.New(provider, ginoauth.Config{
//		ClientID:     os.Getenv("GITHUB_OAUTH_CLIENT_ID"),
//		ClientSecret: os.Getenv("GITHUB_OAUTH_CLIENT_SECRET"),
//	})
//	r.Use(sessions.Sessions("app", cookie.NewStore(authKey, encryptionKey)))
//	bp.Register(r.Group("/login")) // GET /login/github, GET /login/github/authorized
//	r.GET("/me", bp.Required(), func(c *gin.Context) {
//		client, _ := bp.Client(c)
//		resp, err := client.Get("user") // https://api.github.com/user
//		...
//	})
//
// Pre-configured providers live in the providers/ packages; token storages
// other than the default session storage live in backends/.
//
// # Names for Flask-Dance users
//
//	make_github_blueprint(...)        github.New(github.Config{...})
//	OAuth2ConsumerBlueprint(...)      ginoauth.New(ginoauth.Provider{...}, ginoauth.Config{...})
//	app.register_blueprint(bp, ...)   bp.Register(r.Group("/login"))
//	github.authorized                 bp.Authorized(c)
//	github.get("/user")               client, _ := bp.Client(c); client.Get("user")
//	bp.token / del bp.token           bp.Token(c) / bp.DeleteToken(c), bp.Logout(c)
//	oauth_before_login                Hooks.BeforeLogin
//	oauth_authorized (return False)   Hooks.Authorized (return ErrSkipStore)
//	oauth_error                       Hooks.Error (with a typed *Error)
//	SessionStorage / MemoryStorage    ginoauth.SessionStorage (the default), backends/memory
//	SQLAlchemyStorage                 backends/gormstore
//
// # Security
//
// The state parameter is 128 bits from crypto/rand, kept in the user's
// session, compared in constant time and consumed by the first callback that
// presents it, whatever the outcome. Each login has its own entry, so two
// tabs logging in at once both succeed. PKCE (S256) is on unless the provider
// rejects it. The post-login "next" parameter accepts only same-site relative
// paths. Nothing in this package logs or renders a client secret, token,
// authorization code, state or PKCE verifier; the optional [Config.Logger]
// receives the provider name, the step and the error kind only. Applications
// should keep the callback's query string out of their access logs (gin's
// LoggerConfig.SkipQueryString), since it carries the code and state.
package ginoauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"
)

// Token is a token as the provider issued it. All fields are exported so it
// survives JSON and a database row unchanged; Extra keeps every other field
// of the token response (Slack's team, a granted "scope" string as sent,
// Strava's athlete, ...), which x/oauth2's own Token drops when marshalled.
//
// A Token handed to hooks or returned by storages must be treated as
// read-only; use [Token.Clone] to change a copy.
type Token struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	// ExpiresIn is the lifetime in seconds the provider gave the access
	// token when it issued it (expires_in, or expires_at less the time of
	// the answer); 0 when it gave none. It keeps a short-lived token from
	// counting as expired as soon as it is issued.
	ExpiresIn int64          `json:"expires_in,omitempty"`
	Scopes    []string       `json:"scopes,omitempty"`   // what the provider granted, when it said
	IDToken   string         `json:"id_token,omitempty"` // OpenID Connect
	Secret    string         `json:"secret,omitempty"`   // OAuth 1.0a token secret
	Extra     map[string]any `json:"extra,omitempty"`
}

// defaultEarlyExpiry is how early a token counts as expired, so that a
// request started just before expiry does not reach the provider with a
// dead token. It matches x/oauth2's default. A token that lives less than
// four times as long counts as expired a quarter of its lifetime early
// instead, so a just-issued short-lived token is never refreshed again.
const defaultEarlyExpiry = 10 * time.Second

// Valid reports whether t has an access token that is not expired (or has no
// expiry), counting it as expired 10 seconds early, or a quarter of its
// lifetime early when that is shorter. OAuth 1.0a tokens have no expiry:
// they are valid until revoked.
func (t *Token) Valid() bool {
	return t.validAt(time.Now(), defaultEarlyExpiry)
}

// validAt reports whether t is usable at now, counting it as expired early
// by early, or by a quarter of its lifetime when that is shorter.
func (t *Token) validAt(now time.Time, early time.Duration) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	if life := time.Duration(t.ExpiresIn) * time.Second; life > 0 {
		early = min(early, life/4)
	}
	return now.Add(early).Before(t.Expiry)
}

// sameToken reports whether a and b are the same issued token. Storages'
// compare-and-swap uses it.
func sameToken(a, b *Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}

// Same reports whether t and u are the same issued token (access and
// refresh token equal), the comparison a [TokenRef.Swap] makes. Two nil
// tokens are the same.
func (t *Token) Same(u *Token) bool { return sameToken(t, u) }

// Clone returns a deep copy of t (Extra is copied one level deep).
func (t *Token) Clone() *Token {
	if t == nil {
		return nil
	}
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	c.Extra = maps.Clone(t.Extra)
	return &c
}

// OAuth2 returns t as a golang.org/x/oauth2 token (Extra and IDToken are
// available through its Extra method).
func (t *Token) OAuth2() *oauth2.Token {
	if t == nil {
		return nil
	}
	ot := &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
		ExpiresIn:    t.ExpiresIn,
	}
	if len(t.Extra) > 0 || t.IDToken != "" {
		raw := make(map[string]any, len(t.Extra)+1)
		maps.Copy(raw, t.Extra)
		if t.IDToken != "" {
			raw["id_token"] = t.IDToken
		}
		ot = ot.WithExtra(raw)
	}
	return ot
}

// String never shows the secrets: it prints the token type, expiry and
// granted scopes only, so a Token in a log line or error is harmless.
func (t *Token) String() string {
	if t == nil {
		return "<nil token>"
	}
	var b strings.Builder
	b.WriteString("ginoauth.Token{type=")
	b.WriteString(t.TokenType)
	if !t.Expiry.IsZero() {
		b.WriteString(" expiry=")
		b.WriteString(t.Expiry.UTC().Format(time.RFC3339))
	}
	if t.RefreshToken != "" {
		b.WriteString(" refreshable")
	}
	if len(t.Scopes) > 0 {
		b.WriteString(" scopes=")
		b.WriteString(strings.Join(t.Scopes, ","))
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v does not print the secrets either.
func (t *Token) GoString() string { return t.String() }

// tokenJSON is Token without its JSON methods.
type tokenJSON Token

// MarshalJSON encodes t for a storage; every backend in this module uses
// this encoding. It stores nothing twice: the verified claims of the ID
// token ("id_token_claims" in Extra) are not written out but marked, and
// UnmarshalJSON reads them back from the ID token itself.
func (t Token) MarshalJSON() ([]byte, error) {
	if _, ok := t.Extra[claimsKey].(map[string]any); ok && t.IDToken != "" {
		t.Extra = maps.Clone(t.Extra)
		t.Extra[claimsKey] = true
	}
	return json.Marshal((*tokenJSON)(&t))
}

// UnmarshalJSON decodes what MarshalJSON produced. It rejects a token
// without an access token, so a corrupt row is never mistaken for a login.
func (t *Token) UnmarshalJSON(data []byte) error {
	var d tokenJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("ginoauth: decode token: %w", err)
	}
	if d.AccessToken == "" {
		return errors.New("ginoauth: decode token: no access token")
	}
	if marked, _ := d.Extra[claimsKey].(bool); marked {
		// The claims were verified before the token was stored.
		if claims := jwtClaims(d.IDToken); claims != nil {
			d.Extra[claimsKey] = claims
		} else {
			delete(d.Extra, claimsKey)
		}
	}
	*t = Token(d)
	return nil
}

// unmarshalToken decodes a stored token.
func unmarshalToken(data []byte) (*Token, error) {
	t := new(Token)
	if err := json.Unmarshal(data, t); err != nil {
		return nil, err
	}
	return t, nil
}

// jwtClaims decodes the payload of a compact JWS without checking it.
func jwtClaims(jwt string) map[string]any {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return nil
	}
	return claims
}

// Storage keeps tokens. It is request-scoped, like Flask-Dance's storages:
// Ref is the only step bound to the request, where the *gin.Context tells a
// session storage whose session to use and a database storage which local
// user is logged in. Everything else goes through the [TokenRef] it returns.
//
// Implementations must be safe for concurrent use by multiple goroutines.
// The conformance suite in backends/storagetest checks the contract.
type Storage interface {
	// Ref returns the handle of the request's user's token for provider
	// (the blueprint name). It does not read the token. It fails only when
	// the storage cannot tell whose token it would be (no session
	// middleware, for example).
	Ref(c *gin.Context, provider string) (TokenRef, error)
}

// TokenRef is one user's token slot: the single vocabulary through which
// the blueprint loads, saves, refreshes and drops a token, in a request or
// in a background job ([Blueprint.ClientFor]). Its methods take a context,
// not a request: a refresh saves its token under a context detached from
// the request, so that a client that disconnects never loses a rotated
// refresh token.
//
// Implementations must be safe for concurrent use and must not keep or
// modify the tokens passed in or returned.
type TokenRef interface {
	// Load returns the stored token, or ErrNoToken when there is none.
	Load(ctx context.Context) (*Token, error)
	// Swap is a compare-and-swap: if the stored token is the same as old
	// ([Token.Same]; a nil old matches whatever is stored), it stores new in
	// its place, or deletes the token when new is nil, and returns new.
	// Otherwise it changes nothing and returns the token stored now (nil
	// when there is none), which another request or app instance wrote
	// meanwhile.
	Swap(ctx context.Context, old, new *Token) (*Token, error)
}

// RefreshLocker is an optional [TokenRef] capability for storages that can
// make one refresh of a token wait for another, across app instances (the
// GORM backend's database lock, a session storage's RefreshCoordinator).
// The blueprint holds the lock from just before it reloads an expired token
// until the refreshed token is saved, so an instance that loses the race
// waits and then uses the winner's token instead of spending the same
// refresh token again.
type RefreshLocker interface {
	// LockRefresh blocks until the caller holds the refresh lock of t's
	// slot, or ctx ends. Once it returns, Load sees any token that
	// replaced t. unlock must be called exactly once.
	LockRefresh(ctx context.Context, t *Token) (unlock func(), err error)
}

// Profile is a provider user's profile, normalized across providers.
type Profile struct {
	ID            string          `json:"id"` // the provider's stable user ID
	Email         string          `json:"email,omitempty"`
	EmailVerified bool            `json:"email_verified,omitempty"` // only true when the provider says so
	Name          string          `json:"name,omitempty"`
	Username      string          `json:"username,omitempty"`
	AvatarURL     string          `json:"avatar_url,omitempty"`
	Raw           json.RawMessage `json:"raw,omitempty"` // the provider's own JSON
}
