package ginoauth

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestTokenJSONFastPath: what MarshalJSON writes is decoded without falling
// back to encoding/json, into what encoding/json decodes; input it does not
// take as it is goes to encoding/json (FuzzUnmarshalToken compares the two
// on any input).
func TestTokenJSONFastPath(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 6789, time.UTC)
	for _, tok := range []*Token{
		{AccessToken: "a"},
		{AccessToken: "gho_x", TokenType: "bearer", RefreshToken: "r", Expiry: exp, ExpiresIn: 3600,
			Scopes: []string{"read:user", "user:email"}, Extra: map[string]any{"refresh_token_expires_in": 15811200.0, "scope": "read:user,user:email"}},
		{AccessToken: "a", IDToken: "h.p.s", Secret: "s", Scopes: []string{}, Extra: map[string]any{
			"team": map[string]any{"id": "T1", "ok": true}, "list": []any{"x", 1.5}, "none": nil, "off": false}},
		{AccessToken: "a\u00e9\"\\<", Extra: map[string]any{"k\u00e9": "v\n"}},
	} {
		raw, err := json.Marshal(tok)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow tokenJSON
		if !decodeTokenJSON(raw, &fast) {
			t.Errorf("decodeTokenJSON(%s) fell back to encoding/json", raw)
			continue
		}
		if err := json.Unmarshal(raw, &slow); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("decodeTokenJSON(%s) = %+v, want %+v", raw, fast, slow)
		}
	}
	for _, in := range []string{
		`{"Access_Token":"a"}`, // encoding/json matches keys case-insensitively
		`{"access_token":"a","unknown":1}`,
		`{"access_token":"a"} x`,
		`{"access_token":"a",}`,
		`{"access_token":"a","expires_in":1.5}`,
		`{"access_token":"a","extra":{"k":01}}`,
		`{"access_token":"a","scopes":["x",]}`,
		`[]`,
	} {
		var d tokenJSON
		if decodeTokenJSON([]byte(in), &d) {
			t.Errorf("decodeTokenJSON(%s) took it as it is, want encoding/json", in)
		}
	}
}

// TestTokenBodyJSONFastPath: a usual JSON token answer is read in one pass,
// into what encoding/json reads.
func TestTokenBodyJSONFastPath(t *testing.T) {
	body := []byte(`{"access_token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln","token_type":"Bearer","expires_in":3599,` +
		`"refresh_token":"r-1","scope":"openid profile","id_token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln",` +
		`"ratio":0.5,"team":{"id":"T1","n":7},"ok":true}`)
	fast, ok := tokenBodyJSON(body)
	if !ok {
		t.Fatalf("tokenBodyJSON(%s) fell back to encoding/json", body)
	}
	if slow := tokenBodyJSONDecoder(body); !reflect.DeepEqual(fast, slow) {
		t.Errorf("tokenBodyJSON = %#v, want %#v", fast, slow)
	}
	if fast["expires_in"] != int64(3599) || fast["ratio"] != 0.5 {
		t.Errorf("numbers: expires_in %#v, ratio %#v; want int64 3599 and float64 0.5", fast["expires_in"], fast["ratio"])
	}
}
