package ginoauth

import (
	"encoding/json"
	"strconv"
)

// decodeTokenJSON decodes the JSON that Token.MarshalJSON writes into d, as
// json.Unmarshal would, without reflection: the token read of every API
// call with a database storage. It walks the object once; plain values (a
// string of printable ASCII without escapes, an integer, true, false) are
// taken as they are, and any other value is handed, as its own slice, to
// json.Unmarshal. It reports false, leaving the decoding to json.Unmarshal
// alone, for anything it does not know: a key of another spelling (which
// encoding/json matches case-insensitively), a syntax error, or a value
// json.Unmarshal refuses. FuzzUnmarshalToken compares the two.
func decodeTokenJSON(data []byte, d *tokenJSON) bool {
	s := jscan{b: data}
	ok := s.object(func(key []byte, v jvalue) bool {
		switch string(key) {
		case "access_token":
			return str(v, &d.AccessToken)
		case "token_type":
			return str(v, &d.TokenType)
		case "refresh_token":
			return str(v, &d.RefreshToken)
		case "id_token":
			return str(v, &d.IDToken)
		case "secret":
			return str(v, &d.Secret)
		case "expiry":
			if v.plain {
				// time.Time's own decoding, as encoding/json calls it.
				return d.Expiry.UnmarshalJSON(v.text) == nil
			}
			return json.Unmarshal(v.text, &d.Expiry) == nil
		case "expires_in":
			if n, ok := plainInt(v.text); ok {
				d.ExpiresIn = n
				return true
			}
			return json.Unmarshal(v.text, &d.ExpiresIn) == nil
		case "scopes":
			return strs(v.text, &d.Scopes)
		case "extra":
			return extra(v.text, &d.Extra)
		}
		return false
	})
	s.space()
	return ok && s.i == len(s.b)
}

// jscan walks a JSON text. Its methods report false on anything they do not
// take as it is; the caller then decodes with encoding/json.
type jscan struct {
	b []byte
	i int
}

func (s *jscan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c.
func (s *jscan) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// jvalue is a value's text; plain marks a string of printable ASCII
// without escapes, whose contents are text without its quotes.
type jvalue struct {
	text  []byte
	plain bool
}

func (v jvalue) contents() []byte { return v.text[1 : len(v.text)-1] }

// object walks an object, calling f with each key and its value.
func (s *jscan) object(f func(key []byte, v jvalue) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		s.space()
		key, ok := s.key()
		if !ok || !s.next(':') {
			return false
		}
		s.space()
		start := s.i
		_, isPlain := s.plainString()
		v, ok := s.b[start:s.i], isPlain
		if !ok {
			v, ok = s.value()
		}
		if !ok || !f(key, jvalue{v, isPlain}) {
			return false
		}
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// key consumes an object's key and returns it decoded.
func (s *jscan) key() ([]byte, bool) {
	if k, ok := s.plainString(); ok {
		return k, true
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	v, ok := s.value()
	var k string
	if !ok || json.Unmarshal(v, &k) != nil {
		return nil, false
	}
	return []byte(k), true
}

// plainString consumes a string of printable ASCII without escapes and
// returns its contents.
func (s *jscan) plainString() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			v := s.b[s.i+1 : j]
			s.i = j + 1
			return v, true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// value consumes one value and returns its text. It finds where the value
// ends; whoever decodes the text checks it.
func (s *jscan) value() ([]byte, bool) {
	start := s.i
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			s.i++
			for s.i < len(s.b) && s.b[s.i] != '"' {
				if s.b[s.i] == '\\' {
					s.i++
				}
				s.i++
			}
			if s.i >= len(s.b) {
				return nil, false
			}
			s.i++
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			if depth == 0 {
				return s.b[start:s.i], s.i > start
			}
			depth--
			s.i++
		case ',':
			if depth == 0 {
				return s.b[start:s.i], s.i > start
			}
			s.i++
		default:
			s.i++
		}
		if depth == 0 && s.i > start && (s.b[start] == '"' || s.b[start] == '{' || s.b[start] == '[') {
			return s.b[start:s.i], true
		}
	}
	return s.b[start:s.i], depth == 0 && s.i > start
}

// str decodes a string value into dst.
func str(v jvalue, dst *string) bool {
	if v.plain {
		*dst = string(v.contents())
		return true
	}
	return json.Unmarshal(v.text, dst) == nil
}

// plainInt parses an integer in JSON's syntax, without a fraction or an
// exponent, of at most 18 digits.
func plainInt(v []byte) (int64, bool) {
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || digits[0] == '0' && len(digits) > 1 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil
}

// strs decodes an array of strings into dst.
func strs(v []byte, dst *[]string) bool {
	if len(v) == 0 || v[0] != '[' {
		return json.Unmarshal(v, dst) == nil
	}
	sub := jscan{b: v[1:]}
	out := (*dst)[:0]
	if out == nil {
		out = []string{}
	}
	if sub.next(']') {
		*dst = out
		return sub.i == len(sub.b)
	}
	for {
		sub.space()
		p, ok := sub.plainString()
		if !ok {
			return json.Unmarshal(v, dst) == nil
		}
		out = append(out, string(p))
		if sub.next(']') {
			*dst = out
			return sub.i == len(sub.b)
		}
		if !sub.next(',') {
			return false
		}
	}
}

// extra decodes an object into dst, adding to the map that is there as
// encoding/json does.
func extra(v []byte, dst *map[string]any) bool {
	if len(v) == 0 || v[0] != '{' {
		return json.Unmarshal(v, dst) == nil
	}
	m := *dst
	if m == nil {
		m = make(map[string]any)
	}
	sub := jscan{b: v}
	ok := sub.object(func(key []byte, val jvalue) bool {
		switch {
		case val.plain:
			m[fieldName(key)] = string(val.contents())
		case string(val.text) == "true":
			m[fieldName(key)] = true
		case string(val.text) == "false":
			m[fieldName(key)] = false
		default:
			var x any
			if json.Unmarshal(val.text, &x) != nil {
				return false
			}
			m[fieldName(key)] = x
		}
		return true
	})
	if !ok || sub.i != len(v) {
		return false
	}
	*dst = m
	return true
}

// fieldName returns key as a string, without an allocation for the names a
// token answer and a stored token's Extra usually have.
func fieldName(key []byte) string {
	switch string(key) {
	case "access_token":
		return "access_token"
	case "token_type":
		return "token_type"
	case "refresh_token":
		return "refresh_token"
	case "expires_in":
		return "expires_in"
	case "id_token":
		return "id_token"
	case "scope":
		return "scope"
	case claimsKey:
		return claimsKey
	case "refresh_token_expires_in":
		return "refresh_token_expires_in"
	}
	return string(key)
}
