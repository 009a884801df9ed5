package ginoauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ginoauth/ginoauth/internal/jsonscan"
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

	// apart is set on a token stored with its ID token apart (see
	// cookieCell.apart): IDToken is empty where that ID token does not
	// travel.
	apart *idApart
}

// idApart is what the token keeps of an ID token kept apart from it.
type idApart struct {
	sub    string // the ID token's subject
	key    string // the key of the cookie holding it; "" when none does
	claims bool   // its claims were verified (restored with the ID token)
}

// field is the session codec's ID token field for the ID token kept apart:
// "@", "!" if its claims were verified, the cookie's key, a space and the
// subject.
func (a *idApart) field() string {
	mark := idApartMark
	if a.claims {
		mark += "!"
	}
	return mark + a.key + " " + a.sub
}

// idSubject is the subject of t's verified ID token, whether or not the
// ID token itself was read with t.
func (t *Token) idSubject() string {
	if claims, ok := t.Extra[claimsKey].(map[string]any); ok {
		sub, _ := claims["sub"].(string)
		return sub
	}
	if t.apart != nil {
		return t.apart.sub
	}
	return ""
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

// MarshalJSON encodes t for a storage; every backend in this module uses
// this encoding. It stores nothing twice: the verified claims of the ID
// token ("id_token_claims" in Extra) are not written out but marked, and
// UnmarshalJSON reads them back from the ID token itself.
func (t Token) MarshalJSON() ([]byte, error) {
	t.Extra = markClaims(t.Extra, t.IDToken)
	return json.Marshal((*tokenJSON)(&t))
}

// markClaims returns extra with the verified ID token claims replaced by a
// marker, for an encoding; extra itself is not changed.
func markClaims(extra map[string]any, idToken string) map[string]any {
	if _, ok := extra[claimsKey].(map[string]any); ok && idToken != "" {
		extra = maps.Clone(extra)
		extra[claimsKey] = true
	}
	return extra
}

// withoutClaims returns extra without the verified ID token claims; extra
// itself is not changed.
func withoutClaims(extra map[string]any) map[string]any {
	if _, ok := extra[claimsKey]; ok {
		extra = maps.Clone(extra)
		delete(extra, claimsKey)
	}
	return extra
}

// unmarkClaims puts the claims back where markClaims left its marker,
// decoding them from the ID token, which was verified before it was stored.
func unmarkClaims(extra map[string]any, idToken string) {
	if marked, _ := extra[claimsKey].(bool); marked {
		if claims := jwtClaims(idToken); claims != nil {
			extra[claimsKey] = claims
		} else {
			delete(extra, claimsKey)
		}
	}
}

// UnmarshalJSON decodes what MarshalJSON produced. It rejects a token
// without an access token, so a corrupt row is never mistaken for a login.
// JSON null leaves t unchanged, as encoding/json expects.
func (t *Token) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var d tokenJSON
	if !decodeTokenJSON(data, &d) {
		d = tokenJSON{}
		if err := json.Unmarshal(data, &d); err != nil {
			return fmt.Errorf("ginoauth: decode token: %w", err)
		}
	}
	if d.AccessToken == "" {
		return errors.New("ginoauth: decode token: no access token")
	}
	unmarkClaims(d.Extra, d.IDToken)
	*t = Token(d)
	return nil
}

// sameToken reports whether a and b are the same issued token. Storages'
// compare-and-swap uses it.
func sameToken(a, b *Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}

// tokenJSON is Token without its JSON methods.
type tokenJSON Token

// unmarshalToken decodes a stored token in one pass (json.Unmarshal would
// scan the input once more before calling UnmarshalJSON).
func unmarshalToken(data []byte) (*Token, error) {
	t := new(Token)
	if err := t.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	if t.AccessToken == "" { // JSON null
		return nil, errors.New("ginoauth: decode token: no access token")
	}
	return t, nil
}

// jwtClaims decodes the payload of a compact JWS without checking it, in
// one pass (see jsonscan) or, when that pass does not take it as it is, by
// encoding/json.
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
	if jsonscan.Map(payload, &claims, nil) {
		return claims
	}
	claims = nil
	if json.Unmarshal(payload, &claims) != nil {
		return nil
	}
	return claims
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
