package ginoauth

// A token response's fields, JSON or form-encoded: the standard ones into
// their own Token fields, every other kept in Extra.

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ginoauth/ginoauth/internal/jsonscan"
)

// standard token response fields, which have their own Token fields, and
// the Extra keys the library derives itself (a response cannot set them).
var standardFields = map[string]bool{
	"access_token": true, "token_type": true, "refresh_token": true,
	"expires_in": true, "id_token": true, "scope": true,
	claimsKey: true,
}

// claimsKey is the Extra key of the verified ID token's claims.
const claimsKey = "id_token_claims"

// tokenFields are a token answer's fields: a JSON object's values, or the
// first value of each field of a form, kept as strings so that reading the
// standard ones makes no interface value.
type tokenFields struct {
	json map[string]any
	form map[string]string
}

// str returns field k if it is a string.
func (f tokenFields) str(k string) string {
	if f.form != nil {
		return f.form[k]
	}
	s, _ := f.json[k].(string)
	return s
}

// all returns every field.
func (f tokenFields) all() map[string]any {
	if f.form == nil {
		return f.json
	}
	m := make(map[string]any, len(f.form))
	for k, v := range f.form {
		m[k] = v
	}
	return m
}

// tokenFromFields builds a Token from a token response's fields (JSON or
// form-encoded, see parseTokenBody), received at now: the standard fields
// have their own Token fields, every other is kept in Extra.
func tokenFromFields(fields tokenFields, now time.Time) *Token {
	t := &Token{}
	var expiresAt int64
	if fields.form != nil {
		setTokenFields(t, fields.form)
		expiresAt = seconds(fields.form["expires_at"])
	} else {
		setTokenFields(t, fields.json)
		expiresAt = seconds(fields.json["expires_at"])
	}
	if t.ExpiresIn > 0 {
		// By the blueprint's clock, which tests may move; to the
		// millisecond below, which is shorter to store and shortens no
		// lifetime noticeably.
		t.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second).Truncate(time.Millisecond)
	} else if at := expiresAt; at > 0 {
		// A provider that gives only an absolute expiry (Unix seconds).
		t.Expiry = time.Unix(at, 0)
		t.ExpiresIn = max(at-now.Unix(), 1)
	}
	return t
}

// setTokenFields sets t's fields from a token answer's: the standard ones
// in their own fields, every other in Extra.
func setTokenFields[V string | any](t *Token, fields map[string]V) {
	for k, v := range fields {
		switch k {
		case "access_token":
			t.AccessToken, _ = any(v).(string)
		case "token_type":
			t.TokenType = tokenType(v)
		case "refresh_token":
			t.RefreshToken, _ = any(v).(string)
		case "expires_in":
			t.ExpiresIn = seconds(v)
		case "id_token":
			t.IDToken, _ = any(v).(string)
		case "scope":
			t.Scopes = splitScopes(v)
		default:
			if !standardFields[k] {
				if t.Extra == nil {
					t.Extra = make(map[string]any, len(fields))
				}
				t.Extra[k] = v
			}
		}
	}
}

// tokenType spells the common token types as RFC 6749 does (Bearer,
// MAC, Basic), whatever case the provider used; others are kept as sent.
func tokenType(v any) string {
	s, _ := v.(string)
	for _, std := range [...]string{"Bearer", "MAC", "Basic"} {
		if strings.EqualFold(s, std) {
			return std
		}
	}
	return s
}

// seconds reads a count of seconds sent as a JSON number or as text; 0
// when it is neither, or not positive.
func seconds(v any) int64 {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case float64:
		if x < math.MaxInt64 {
			n = int64(x)
		}
	case string:
		n, _ = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return max(n, 0)
}

func parseTokenBody(body []byte) tokenFields {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return tokenFields{}
	}
	if body[0] == '{' {
		if m, ok := tokenBodyJSON(body); ok {
			return tokenFields{json: m}
		}
		return tokenFields{json: tokenBodyJSONDecoder(body)}
	}
	// Form-encoded (GitHub's default): the first value of each field.
	m := make(map[string]string, bytes.Count(body, []byte("&"))+1)
	ok := formFields(string(body), func(k, v string) {
		// A field whose name is not UTF-8 could not be stored as JSON
		// without turning into another name.
		if _, seen := m[k]; seen || k == "" || !utf8.ValidString(k) {
			return
		}
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		m[k] = v
	})
	if !ok {
		return tokenFields{}
	}
	return tokenFields{form: m}
}

// tokenBodyJSON reads a JSON token answer in one pass (see jsonscan):
// plain strings and integers as they are, any other value by
// encoding/json. It reports false for what it does not take as it is,
// which tokenBodyJSONDecoder then reads; FuzzTokenResponse compares the
// two.
func tokenBodyJSON(body []byte) (map[string]any, bool) {
	m := make(map[string]any, 8)
	s := jsonscan.New(body)
	ok := s.Object(func(key []byte, v jsonscan.Value) bool {
		if v.Plain {
			m[fieldName(key)] = string(v.Contents())
			return true
		}
		if n, ok := jsonscan.PlainInt(v.Text); ok {
			m[fieldName(key)] = n
			return true
		}
		var x any
		d := json.NewDecoder(bytes.NewReader(v.Text))
		d.UseNumber()
		if d.Decode(&x) != nil || len(bytes.TrimSpace(v.Text[d.InputOffset():])) != 0 {
			return false
		}
		m[fieldName(key)] = topNumber(x)
		return true
	})
	return m, ok && s.Done()
}

// tokenBodyJSONDecoder reads a JSON token answer with encoding/json.
// Numbers become int64, or float64 if they have a fraction.
func tokenBodyJSONDecoder(body []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return nil
	}
	for k, v := range m {
		m[k] = topNumber(v)
	}
	return m
}

// topNumber turns a top-level json.Number into an int64 or a float64.
func topNumber(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	// Out of float64's range: kept as text, so that the stored token
	// still decodes.
	return n.String()
}

func splitScopes(v any) []string {
	switch s := v.(type) {
	case string:
		f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
		if len(f) == 0 {
			return nil
		}
		return f
	case []any:
		out := make([]string, 0, len(s))
		for _, x := range s {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}
