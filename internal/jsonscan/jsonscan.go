// Package jsonscan reads JSON objects in one pass, without reflection,
// into exactly what encoding/json would decode: plain values (a string of
// printable ASCII without escapes, an integer, true, false) are taken as
// they are, and any other value is handed, as its own slice, to
// encoding/json. Its functions report false on anything they do not take
// as it is (a syntax error, a value encoding/json refuses), and the caller
// then decodes with encoding/json alone. The fuzz targets that use it
// compare the two on every input.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
)

// Scanner walks a JSON text.
type Scanner struct {
	b []byte
	i int
}

// Space skips white space.
func (s *Scanner) Space() {
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
func (s *Scanner) next(c byte) bool {
	s.Space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// Value is a value's text; Plain marks a string of printable ASCII
// without escapes, whose contents are Text without its quotes.
type Value struct {
	Text  []byte
	Plain bool
}

// Contents returns a plain string's contents.
func (v Value) Contents() []byte { return v.Text[1 : len(v.Text)-1] }

// Object walks an object, calling f with each key and its value.
func (s *Scanner) Object(f func(key []byte, v Value) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		s.Space()
		key, ok := s.key()
		if !ok || !s.next(':') {
			return false
		}
		s.Space()
		start := s.i
		_, isPlain := s.plainString()
		v, ok := s.b[start:s.i], isPlain
		if !ok {
			v, ok = s.value()
		}
		if !ok || !f(key, Value{v, isPlain}) {
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
func (s *Scanner) key() ([]byte, bool) {
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
func (s *Scanner) plainString() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	n := bytes.IndexByte(s.b[s.i+1:], '"')
	if n < 0 || !plain(s.b[s.i+1:s.i+1+n]) {
		return nil, false // an escaped quote fails here too, on its backslash
	}
	v := s.b[s.i+1 : s.i+1+n]
	s.i += n + 2
	return v, true
}

// plain reports whether b is printable ASCII without a backslash, eight
// bytes at a time.
func plain(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		bs := w ^ (ones * '\\') // a zero byte where b has a backslash
		if (w|(w-ones*0x20)|(bs-ones)&^bs)&highs != 0 {
			return false // a byte >= 0x80, < 0x20 or a backslash
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// value consumes one value and returns its text. It finds where the value
// ends; whoever decodes the text checks it.
func (s *Scanner) value() ([]byte, bool) {
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

// PlainInt parses an integer in JSON's syntax, without a fraction or an
// exponent, of at most 18 digits.
func PlainInt(v []byte) (int64, bool) {
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

// Strings decodes an array of strings into dst.
func Strings(v []byte, dst *[]string) bool {
	if len(v) == 0 || v[0] != '[' {
		return json.Unmarshal(v, dst) == nil
	}
	sub := Scanner{b: v[1:]}
	out := (*dst)[:0]
	if out == nil {
		out = []string{}
	}
	if sub.next(']') {
		*dst = out
		return sub.i == len(sub.b)
	}
	for {
		sub.Space()
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

// Map decodes an object into dst, adding to the map that is there as
// encoding/json does. name makes each key's string (nil: a copy).
func Map(v []byte, dst *map[string]any, name func([]byte) string) bool {
	if len(v) == 0 || v[0] != '{' {
		return json.Unmarshal(v, dst) == nil
	}
	if name == nil {
		name = func(k []byte) string { return string(k) }
	}
	m := *dst
	if m == nil {
		m = make(map[string]any)
	}
	sub := Scanner{b: v}
	ok := sub.Object(func(key []byte, val Value) bool {
		switch n, isInt := PlainInt(val.Text); {
		case val.Plain:
			m[name(key)] = string(val.Contents())
		case string(val.Text) == "true":
			m[name(key)] = true
		case string(val.Text) == "false":
			m[name(key)] = false
		case isInt && (n != 0 || val.Text[0] != '-'):
			// As encoding/json's float64: exact, or rounded to the
			// nearest as strconv.ParseFloat rounds (-0 goes below).
			m[name(key)] = float64(n)
		default:
			var x any
			if json.Unmarshal(val.Text, &x) != nil {
				return false
			}
			m[name(key)] = x
		}
		return true
	})
	if !ok || sub.i != len(v) {
		return false
	}
	*dst = m
	return true
}

// New returns a Scanner of b.
func New(b []byte) Scanner { return Scanner{b: b} }

// Done reports whether only white space is left.
func (s *Scanner) Done() bool {
	s.Space()
	return s.i == len(s.b)
}
