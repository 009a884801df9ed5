package jsonscan

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzMap: whatever Map takes as it is decodes to what encoding/json
// decodes into a map.
func FuzzMap(f *testing.F) {
	for _, s := range []string{
		`{"sub":"1001","aud":["a","b"],"iat":1700000000,"exp":1700003600,"email_verified":true,"x":false,"n":null}`,
		`{"name":"J\u00e9r\u00f4me","address":{"country":"FR"},"f":1.5,"e":1e3,"neg":-12,"z":-0,"big":123456789012345678}`,
		`{"a":1,"a":"two"}`, `{"a":01}`, `{"a":1 2}`, `{}`, ` { "k" : "v" } `, `{"k":"v",}`, `[1]`, `{"k":"\ud800"}`,
		`{"k\u00e9":9007199254740993}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast map[string]any
		s := New(data)
		s.Space()
		if !Map(data[s.i:], &fast, nil) {
			return
		}
		var slow map[string]any
		if err := json.Unmarshal(data, &slow); err != nil {
			t.Fatalf("Map took %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("Map(%q) = %#v, encoding/json decodes %#v", data, fast, slow)
		}
	})
}

// TestMapPlain: the usual claims are taken as they are (the fuzz target
// compares only what Map takes).
func TestMapPlain(t *testing.T) {
	var m map[string]any
	in := `{"iss":"https://op.example","sub":"1001","aud":["a"],"iat":1700000000,"email_verified":true,"address":{"c":"FR"}}`
	if !Map([]byte(in), &m, nil) {
		t.Fatalf("Map(%s) fell back to encoding/json", in)
	}
	if m["iat"] != 1700000000.0 || m["sub"] != "1001" || m["email_verified"] != true {
		t.Errorf("Map = %#v", m)
	}
}

// TestPlain: the eight-bytes-at-a-time check agrees with a byte-by-byte
// one for every byte at every place of a word and of the tail.
func TestPlain(t *testing.T) {
	ref := func(b []byte) bool {
		for _, c := range b {
			if c < 0x20 || c == '\\' || c >= 0x80 {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 19; n++ {
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				b := []byte("abcdefghijklmnopqrstuvwxyz"[:n])
				b[at] = byte(c)
				if got, want := plain(b), ref(b); got != want {
					t.Fatalf("plain(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
