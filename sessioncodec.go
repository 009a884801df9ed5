package ginoauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The session storage's encoding of a token. A session-held token rides in
// a cookie to and from every request, so its encoding is compact and quick
// to read: "t1", then each field as <length>:<bytes> (a netstring without
// its comma), in this order: access token, token type, refresh token,
// expiry (Unix nanoseconds, empty for none), lifetime in seconds, granted
// scopes joined by spaces (a scope never holds one, RFC 6749 section 3.3),
// ID token, OAuth 1 secret, and Extra as a JSON object (empty for none;
// the verified ID token claims are marked, as in MarshalJSON). An ID token
// kept apart (see cookieCell.apart) is "@", the key of the cookie holding
// it ("" for none), a space and its subject, in place of the token: a JWT
// never starts with "@". A session
// written by an earlier version holds MarshalJSON's JSON, which still
// reads.
const sessionCodecV1 = "t1"

const sessionCodecFields = 9

// encodeSessionToken encodes t for a session.
func encodeSessionToken(t *Token) ([]byte, error) { return encodeToken(t, t.IDToken) }

// idApartMark starts the ID token field of a token whose ID token is kept
// apart; the subject follows it.
const idApartMark = "@"

// encodeToken encodes t with idField in place of its ID token.
func encodeToken(t *Token, idField string) ([]byte, error) {
	var extra []byte
	if len(t.Extra) > 0 {
		var err error
		if extra, err = json.Marshal(markClaims(t.Extra, t.IDToken)); err != nil {
			return nil, fmt.Errorf("ginoauth: encode token: %w", err)
		}
	}
	var expiry, life string
	if !t.Expiry.IsZero() {
		expiry = strconv.FormatInt(t.Expiry.UnixNano(), 10)
	}
	if t.ExpiresIn != 0 {
		life = strconv.FormatInt(t.ExpiresIn, 10)
	}
	fields := [sessionCodecFields]string{t.AccessToken, t.TokenType, t.RefreshToken, expiry, life,
		strings.Join(t.Scopes, " "), idField, t.Secret, string(extra)}
	n := len(sessionCodecV1)
	for _, f := range fields {
		n += len(f) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, sessionCodecV1...)
	for _, f := range fields {
		b = appendField(b, f)
	}
	return b, nil
}

// appendField appends f as <length>:<bytes>, a netstring without its comma.
func appendField(b []byte, f string) []byte {
	b = strconv.AppendInt(b, int64(len(f)), 10)
	b = append(b, ':')
	return append(b, f...)
}

// readField reads one appendField field from the front of rest.
func readField(rest string) (field, after string, ok bool) {
	colon := strings.IndexByte(rest, ':')
	if colon <= 0 || colon > 10 {
		return "", "", false
	}
	n, err := strconv.Atoi(rest[:colon])
	if err != nil || n < 0 || n > len(rest)-colon-1 {
		return "", "", false
	}
	return rest[colon+1 : colon+1+n], rest[colon+1+n:], true
}

var errSessionToken = errors.New("ginoauth: decode token: corrupt session value")

// decodeSessionToken decodes what encodeSessionToken wrote, or the JSON of
// MarshalJSON.
func decodeSessionToken(b []byte) (*Token, error) { return decodeToken(b, nil) }

// decodeToken is decodeSessionToken for a cell that may keep the ID token
// apart: idToken returns the one sealed with key, or "" when this request
// does not carry it.
func decodeToken(b []byte, idToken func(key string) string) (*Token, error) {
	rest, ok := strings.CutPrefix(string(b), sessionCodecV1)
	if !ok {
		return unmarshalToken(b)
	}
	var f [sessionCodecFields]string
	for i := range f {
		if f[i], rest, ok = readField(rest); !ok {
			return nil, errSessionToken
		}
	}
	if rest != "" || f[0] == "" {
		return nil, errSessionToken
	}
	t := &Token{AccessToken: f[0], TokenType: f[1], RefreshToken: f[2], IDToken: f[6], Secret: f[7]}
	if rest, ok := strings.CutPrefix(f[6], idApartMark); ok {
		key, sub, _ := strings.Cut(rest, " ")
		t.IDToken, t.apart = "", &idApart{sub: sub, key: key}
		if idToken != nil && key != "" {
			t.IDToken = idToken(key)
		}
	}
	if f[3] != "" {
		ns, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, errSessionToken
		}
		t.Expiry = time.Unix(0, ns).UTC()
	}
	if f[4] != "" {
		life, err := strconv.ParseInt(f[4], 10, 64)
		if err != nil {
			return nil, errSessionToken
		}
		t.ExpiresIn = life
	}
	if f[5] != "" {
		t.Scopes = strings.Split(f[5], " ")
	}
	if f[8] != "" {
		if err := json.Unmarshal([]byte(f[8]), &t.Extra); err != nil || t.Extra == nil {
			return nil, errSessionToken
		}
		unmarkClaims(t.Extra, t.IDToken)
	}
	return t, nil
}
