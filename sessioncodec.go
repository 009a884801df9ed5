package ginoauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The session storage's encoding of a token. A session-held token rides in
// a cookie to and from every request, so its encoding is compact and quick
// to read: each field as <length>:<bytes> (a netstring without its comma),
// so it starts with a digit, in this order:
//
//   - access token;
//   - token type, empty for "Bearer", "-" for none (and a "-" before a type
//     that starts with one);
//   - refresh token;
//   - expiry: Unix milliseconds in base 36, then "." and the rest of the
//     nanoseconds in base 36 when it is not a whole millisecond (the token
//     endpoint sets whole milliseconds); empty for none;
//   - lifetime in seconds, in base 36;
//   - granted scopes joined by spaces (a scope never holds one, RFC 6749
//     section 3.3);
//   - ID token. One kept apart (see cookieCell.apart) is "@", "!" when its
//     claims were verified, the key of the cookie holding it ("" for none),
//     a space and its subject: a JWT never starts with "@";
//   - OAuth 1 secret;
//   - Extra, empty for none: form-encoded (key=value&...) when every value
//     is a string, as in every form-encoded token response, else a JSON
//     object, which starts with "{" where a form-encoded one cannot. The
//     verified ID token claims are marked, as in MarshalJSON, or, with an
//     ID token kept apart, left out (its field marks them).
//
// Sessions written by earlier versions still read: "t1" and the same
// fields with the type as it is, the expiry in Unix nanoseconds and the
// lifetime in base 10; or MarshalJSON's JSON.
const sessionCodecV1 = "t1"

const sessionCodecFields = 9

// encodeSessionToken encodes t for a session.
func encodeSessionToken(t *Token) (string, error) {
	idField := t.IDToken
	if idField == "" && t.apart != nil {
		idField = t.apart.field()
	}
	return encodeToken(t, idField)
}

// idApartMark starts the ID token field of a token whose ID token is kept
// apart; the subject follows it.
const idApartMark = "@"

// encodeToken encodes t with idField in place of its ID token.
func encodeToken(t *Token, idField string) (string, error) {
	extraFields := markClaims(t.Extra, t.IDToken)
	if strings.HasPrefix(idField, idApartMark) {
		// No ID token here to read the claims back from.
		extraFields = withoutClaims(t.Extra)
	}
	extra, err := encodeExtra(extraFields)
	if err != nil {
		return "", fmt.Errorf("ginoauth: encode token: %w", err)
	}
	var expiry, life string
	if !t.Expiry.IsZero() {
		expiry = strconv.FormatInt(t.Expiry.UnixMilli(), 36)
		if ns := t.Expiry.Nanosecond() % 1e6; ns != 0 {
			expiry += "." + strconv.FormatInt(int64(ns), 36)
		}
	}
	if t.ExpiresIn != 0 {
		life = strconv.FormatInt(t.ExpiresIn, 36)
	}
	tokenType := t.TokenType
	switch {
	case tokenType == "Bearer":
		tokenType = ""
	case tokenType == "" || tokenType[0] == '-':
		tokenType = "-" + tokenType
	}
	fields := [sessionCodecFields]string{t.AccessToken, tokenType, t.RefreshToken, expiry, life,
		strings.Join(t.Scopes, " "), idField, t.Secret, extra}
	n := 0
	for _, f := range fields {
		n += len(f) + 4
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		writeField(&b, f)
	}
	return b.String(), nil
}

// encodeExtra encodes a token's Extra for the session codec.
func encodeExtra(extra map[string]any) (string, error) {
	if len(extra) == 0 {
		return "", nil
	}
	keys := make([]string, 0, len(extra))
	for k, v := range extra {
		if _, ok := v.(string); !ok {
			b, err := json.Marshal(extra)
			return string(b), err
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(extra[k].(string)))
	}
	return b.String(), nil
}

// decodeExtra decodes what encodeExtra wrote.
func decodeExtra(s string) (map[string]any, bool) {
	if s[0] == '{' {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil || m == nil {
			return nil, false
		}
		return m, true
	}
	n := strings.Count(s, "&") + 1
	if strings.Count(s, "=") != n {
		return nil, false // every field is name=value, and both are escaped
	}
	m := make(map[string]any, n)
	ok := formFields(s, func(k, v string) { m[k] = v })
	return m, ok
}

// formFields calls f with each field of the form-encoded s, unescaped, in
// order. It reports false, as url.ParseQuery would fail, on a field that
// does not unescape or whose name holds a ";".
func formFields(s string, f func(k, v string)) bool {
	for rest := s; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(rawKey)
		v, err2 := url.QueryUnescape(rawValue)
		if err1 != nil || err2 != nil || strings.Contains(rawKey, ";") {
			return false
		}
		f(k, v)
	}
	return true
}

// writeField writes f as <length>:<bytes>, a netstring without its comma.
func writeField(b *strings.Builder, f string) {
	var n [20]byte
	b.Write(strconv.AppendInt(n[:0], int64(len(f)), 10))
	b.WriteByte(':')
	b.WriteString(f)
}

// readField reads one writeField field from the front of rest.
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
func decodeSessionToken(s string) (*Token, error) { return decodeToken(s, nil) }

// decodeToken is decodeSessionToken for a cell that may keep the ID token
// apart: idToken returns the one sealed with key, or "" when this request
// does not carry it.
func decodeToken(s string, idToken func(key string) string) (*Token, error) {
	rest := s
	v1 := strings.HasPrefix(rest, sessionCodecV1)
	switch {
	case v1:
		rest = rest[len(sessionCodecV1):]
	case rest == "" || rest[0] < '0' || rest[0] > '9':
		return unmarshalToken([]byte(s))
	}
	var f [sessionCodecFields]string
	var ok bool
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
		rest, claims := strings.CutPrefix(rest, "!")
		key, sub, _ := strings.Cut(rest, " ")
		t.IDToken, t.apart = "", &idApart{sub: sub, key: key, claims: claims}
		if idToken != nil && key != "" {
			t.IDToken = idToken(key)
		}
	}
	base := 36
	if v1 {
		base = 10
	} else {
		switch {
		case f[1] == "":
			t.TokenType = "Bearer"
		case f[1][0] == '-':
			t.TokenType = f[1][1:]
		}
	}
	if f[3] != "" {
		var err error
		if t.Expiry, err = decodeExpiry(f[3], v1); err != nil {
			return nil, errSessionToken
		}
	}
	if f[4] != "" {
		life, err := strconv.ParseInt(f[4], base, 64)
		if err != nil {
			return nil, errSessionToken
		}
		t.ExpiresIn = life
	}
	if f[5] != "" {
		t.Scopes = strings.Split(f[5], " ")
	}
	if f[8] != "" {
		if t.Extra, ok = decodeExtra(f[8]); !ok {
			return nil, errSessionToken
		}
		unmarkClaims(t.Extra, t.IDToken)
	}
	if t.apart != nil && t.apart.claims && t.IDToken != "" {
		if claims := jwtClaims(t.IDToken); claims != nil {
			if t.Extra == nil {
				t.Extra = make(map[string]any, 1)
			}
			t.Extra[claimsKey] = claims
		}
	}
	return t, nil
}

// decodeExpiry reads an expiry field: Unix nanoseconds in base 10 (v1), or
// milliseconds in base 36 and any nanoseconds more after a ".".
func decodeExpiry(f string, v1 bool) (time.Time, error) {
	if v1 {
		ns, err := strconv.ParseInt(f, 10, 64)
		return time.Unix(0, ns).UTC(), err
	}
	millis, frac, hasFrac := strings.Cut(f, ".")
	ms, err := strconv.ParseInt(millis, 36, 64)
	if err != nil {
		return time.Time{}, err
	}
	var ns int64
	if hasFrac {
		if ns, err = strconv.ParseInt(frac, 36, 64); err != nil || ns <= 0 || ns >= 1e6 {
			return time.Time{}, errSessionToken
		}
	}
	return time.UnixMilli(ms).Add(time.Duration(ns)).UTC(), nil
}
