package ginoauth

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// sessionCodecSamples are tokens with every field, empty fields, and
// values that look like the encoding's own syntax.
func sessionCodecSamples() []*Token {
	exp := time.Date(2026, 12, 7, 17, 50, 0, 123456789, time.UTC)
	return []*Token{
		{AccessToken: "a"},
		{AccessToken: "gho_2", TokenType: "Bearer", RefreshToken: "ghr_x", Expiry: exp, ExpiresIn: 28800,
			Scopes: []string{"read:user", "user:email"}, Extra: map[string]any{"refresh_token_expires_in": "15811200"}},
		{AccessToken: "12:34:", TokenType: "t1", RefreshToken: "0:", Secret: "s:3:x", IDToken: "h.p.s",
			Extra: map[string]any{"team": map[string]any{"id": "T1", "name": "ünïcode"}, "n": 1.5, "list": []any{"a", true}}},
		{AccessToken: strings.Repeat("x", 5000), Expiry: exp.Add(-time.Hour), ExpiresIn: -1},
		// Whole-millisecond expiry (no fraction stored), and string extras that
		// look like the form encoding's and JSON's syntax.
		{AccessToken: "b", Expiry: exp.Truncate(time.Millisecond), Extra: map[string]any{
			"": "", "{k": "a=b&c", "%": "ü +", "scope": "x y"}},
	}
}

func TestSessionCodecRoundTrip(t *testing.T) {
	for _, in := range sessionCodecSamples() {
		enc, err := encodeSessionToken(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodeSessionToken(enc)
		if err != nil {
			t.Fatalf("decode %q: %v", enc, err)
		}
		if !out.Expiry.Equal(in.Expiry) {
			t.Errorf("expiry: got %v, want %v", out.Expiry, in.Expiry)
		}
		out.Expiry, in.Expiry = time.Time{}, time.Time{}
		if !reflect.DeepEqual(out, in) {
			t.Errorf("round trip:\n got %#v\nwant %#v", *out, *in)
		}
		// What earlier versions wrote (MarshalJSON's JSON) still reads.
		js, _ := in.MarshalJSON()
		if old, err := decodeSessionToken(string(js)); err != nil || old.AccessToken != in.AccessToken {
			t.Errorf("JSON session value: got %v, %v", old, err)
		}
	}
}

// TestSessionCodecKeepsVerifiedClaims: the verified claims are stored as a
// marker and come back from the ID token, as with MarshalJSON.
// TestSessionCodecReadsV1: a token as the previous version stored it
// ("t1", the expiry in nanoseconds, Extra as JSON) still reads, and is
// written back in the shorter encoding.
func TestSessionCodecReadsV1(t *testing.T) {
	t.Parallel()
	const v1 = `t15:gho_26:Bearer15:ghr_2x7Qe2mWvR419:17967073311459711525:2880020:read:user user:email0:0:39:{"refresh_token_expires_in":"15811200"}`
	tok, err := decodeSessionToken(v1)
	if err != nil {
		t.Fatal(err)
	}
	want := &Token{AccessToken: "gho_2", TokenType: "Bearer", RefreshToken: "ghr_2x7Qe2mWvR4",
		Expiry: time.Unix(0, 1796707331145971152).UTC(), ExpiresIn: 28800, Scopes: []string{"read:user", "user:email"},
		Extra: map[string]any{"refresh_token_expires_in": "15811200"}}
	if !reflect.DeepEqual(tok, want) {
		t.Fatalf("v1 read as %#v, want %#v", tok, want)
	}
	enc, err := encodeSessionToken(tok)
	if err != nil || len(enc) >= len(v1) || enc[0] < '0' || enc[0] > '9' {
		t.Errorf("written back as %q (%d bytes, was %d), want the shorter encoding", enc, len(enc), len(v1))
	}
	for _, typ := range []string{"", "-", "-x", "mac", "Bearer"} {
		in := &Token{AccessToken: "a", TokenType: typ}
		enc, _ := encodeSessionToken(in)
		if out, err := decodeSessionToken(enc); err != nil || out.TokenType != typ {
			t.Errorf("token type %q read back as %q (%v)", typ, out.TokenType, err)
		}
	}
}

func TestSessionCodecKeepsVerifiedClaims(t *testing.T) {
	idToken := "e30." + b64(`{"sub":"u1","email":"a@example.com"}`) + ".sig"
	in := &Token{AccessToken: "a", IDToken: idToken, Extra: map[string]any{claimsKey: map[string]any{"sub": "u1", "email": "a@example.com"}}}
	enc, err := encodeSessionToken(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), "a@example.com") {
		t.Errorf("the claims are stored twice: %q", enc)
	}
	out, err := decodeSessionToken(enc)
	if err != nil {
		t.Fatal(err)
	}
	if claims, _ := out.Extra[claimsKey].(map[string]any); claims["email"] != "a@example.com" {
		t.Errorf("claims: got %v", out.Extra[claimsKey])
	}
	if _, ok := in.Extra[claimsKey].(map[string]any); !ok {
		t.Error("encoding changed the token's own Extra")
	}
}

func TestSessionCodecRejectsCorruptValues(t *testing.T) {
	good, _ := encodeSessionToken(sessionCodecSamples()[1])
	for _, bad := range []string{
		"t1", "t1x", "t1" + "99:abc", "t1-1:a", string(good) + "1:x", string(good[:len(good)-3]),
		"t10:" + strings.Repeat("0:", 8), // no access token
		"t11:a0:0:3:abc0:0:0:0:0:",       // expiry not a number
		"t11:a0:0:0:0:0:0:0:4:null",      // Extra not an object
		"{", "null",
	} {
		if tok, err := decodeSessionToken(bad); err == nil {
			t.Errorf("decode %q: got %+v, want an error", bad, tok)
		}
	}
}

// FuzzSessionToken checks that decoding a session value never panics and
// that whatever decodes encodes and decodes again to the same token.
func FuzzSessionToken(f *testing.F) {
	for _, tok := range sessionCodecSamples() {
		enc, _ := encodeSessionToken(tok)
		f.Add([]byte(enc))
	}
	f.Add([]byte("t11:a0:0:0:0:0:0:0:0:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := decodeSessionToken(string(data))
		if err != nil {
			return
		}
		enc, err := encodeSessionToken(tok)
		if err != nil {
			t.Fatalf("encode what decoded: %v", err)
		}
		again, err := decodeSessionToken(enc)
		if err != nil {
			t.Fatalf("decode %q: %v", enc, err)
		}
		a, _ := json.Marshal(tok)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("round trip changed the token:\n%s\n%s", a, b)
		}
	})
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestPendingLoginsCodec: the logins in progress round-trip through their
// session encoding, a session of an earlier version (JSON) still reads, and
// a corrupt value reads as none.
func TestPendingLoginsCodec(t *testing.T) {
	t.Parallel()
	all := []pendingLogin{
		{State: "s1", Verifier: "v:1", Nonce: "n1", Next: "/a?b=1:2", Created: 1_800_000_000},
		{State: "s2", Created: 1_800_000_001, ReqToken: "rt", ReqSecret: "rs"},
		{State: strings.Repeat("x", 300), Created: 1},
	}
	got, ok := decodePending(encodePending(all))
	if !ok || !slices.Equal(got, all) {
		t.Fatalf("round trip: %+v, %v", got, ok)
	}
	legacy, _ := json.Marshal(all[:2])
	if got, ok := decodePending(string(legacy)); !ok || !slices.Equal(got, all[:2]) {
		t.Errorf("JSON of an earlier version: %+v, %v", got, ok)
	}
	// As the previous version wrote them: "p1", the time in base 10.
	const p1 = "p126:FRQTUDGMXDU4O6DDNU4BYDU23M43:JcJk4sPpyQrP_ivxYc44nAtB8YroUNkR8KyO-W3ARiQ0:0:10:17966794040:0:"
	if got, ok := decodePending(p1); !ok || len(got) != 1 || got[0].State != "FRQTUDGMXDU4O6DDNU4BYDU23M" || got[0].Created != 1796679404 {
		t.Errorf("p1 of the previous version: %+v, %v", got, ok)
	}
	enc := encodePending(all[:1])
	for _, bad := range []string{"p1", enc[:len(enc)-1], enc + "x", "p12:s1", "p1" + strings.Repeat("1:a", 4) + "1:x1:a1:a", "{", "12:s1"} {
		if got, ok := decodePending(bad); ok && len(got) > 0 {
			t.Errorf("decodePending(%q) = %+v, want none", bad, got)
		}
	}
}
