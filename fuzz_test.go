package ginoauth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"
)

// FuzzSafeNext checks that whatever safeNext accepts stays on the site when
// a browser resolves it, however many times it is percent-decoded.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/a?b=c#d", "//evil.com", "/\\evil.com", "/%2f%2fevil.com", "/%252f/x",
		"https://evil.com", "/%0d%0a", "/\t/evil.com", "/.%2e/", "/@evil.com", "/;evil.com", "/%5c%5cevil"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://app.example/dir/page")
	f.Fuzz(func(t *testing.T, next string) {
		if !safeNext(next) {
			return
		}
		s := next
		for range 4 {
			u, err := url.Parse(s)
			if err != nil {
				t.Fatalf("safeNext(%q) accepted an unparsable URL: %v", next, err)
			}
			if r := base.ResolveReference(u); r.Host != "app.example" || r.Scheme != "https" {
				t.Fatalf("safeNext(%q) = true, but it resolves to %s", next, r)
			}
			if strings.ContainsAny(s, "\\\r\n\t") {
				t.Fatalf("safeNext(%q) = true with a backslash or control character in %q", next, s)
			}
			d, err := url.PathUnescape(s)
			if err != nil || d == s {
				return
			}
			s = d
		}
	})
}

// FuzzUnmarshalToken checks that decoding a stored token never panics,
// that the reflection-free decoder decodes exactly what encoding/json
// decodes, and that what decodes re-encodes to the same token.
func FuzzUnmarshalToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"a","refresh_token":"r","expiry":"2030-01-01T00:00:00Z","scopes":["x"],"extra":{"k":1}}`))
	f.Add([]byte(`{"access_token":""}`))
	f.Add([]byte(`{"access_token":"a","expiry":"not a time"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(` { "access_token" : "a\u00e9\"" , "expires_in" : -12 , "scopes" : [ ] , "extra" : { "n" : [1,{"x":"}"}] , "b" : false , "z" : null } } `))
	f.Add([]byte(`{"access_token":"a","access_token":"b","Token_Type":"x","secret":null,"scopes":["a","\n"],"extra":{"a":1},"extra":{"b":"2"}}`))
	f.Add([]byte(`{"access_token":"a","expires_in":01,"id_token":"é","expiry":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast tokenJSON
		if decodeTokenJSON(data, &fast) {
			var slow tokenJSON
			if err := json.Unmarshal(data, &slow); err != nil {
				t.Fatalf("decodeTokenJSON accepted %q, which encoding/json refuses: %v", data, err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("decodeTokenJSON(%q) = %+v, encoding/json decodes %+v", data, fast, slow)
			}
		}
		tok, err := unmarshalToken(data)
		if err != nil {
			return
		}
		if tok.AccessToken == "" {
			t.Fatal("decoded a token without an access token")
		}
		raw, err := json.Marshal(tok)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := unmarshalToken(raw)
		if err != nil || again.AccessToken != tok.AccessToken || !again.Expiry.Equal(tok.Expiry) {
			t.Fatalf("round trip changed the token: %v, %v", again, err)
		}
	})
}

// FuzzTokenResponse feeds arbitrary token endpoint bodies to the parser
// that keeps the extra fields.
func FuzzTokenResponse(f *testing.F) {
	f.Add([]byte(`{"access_token":"a","scope":"a b","team":{"id":"T"},"n":1e400}`))
	f.Add([]byte(`access_token=a&scope=x%2Cy&user_id=1`))
	f.Add([]byte(`{"scope":["a",1,null]}`))
	f.Add([]byte(` {"access_token" : "a\u00e9" ,"expires_in": 12345678901234567890, "n":-0, "f":1.5e3, "b":true, "z":null, "o":{"n":2}} `))
	f.Add([]byte(`{"a":1 2}`))
	f.Add([]byte(`{"a":"x","a":"y"} {"b":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// The one-pass reader reads what encoding/json reads.
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
			if fast, ok := tokenBodyJSON(trimmed); ok {
				if slow := tokenBodyJSONDecoder(trimmed); !reflect.DeepEqual(fast, slow) {
					t.Fatalf("tokenBodyJSON(%q) = %#v, encoding/json reads %#v", body, fast, slow)
				}
			}
		}
		tok := tokenFromFields(parseTokenBody(body), time.Now())
		if tok.ExpiresIn < 0 {
			t.Fatalf("negative lifetime %d", tok.ExpiresIn)
		}
		for k := range tok.Extra {
			if standardFields[k] {
				t.Fatalf("standard field %q in Extra", k)
			}
		}
		// Every other field of a JSON answer is kept.
		var fields map[string]any
		if json.Unmarshal(body, &fields) == nil {
			for k := range fields {
				if _, kept := tok.Extra[k]; !standardFields[k] && !kept {
					t.Fatalf("field %q dropped", k)
				}
			}
			if scope, ok := fields["scope"].(string); ok {
				want := strings.FieldsFunc(scope, func(r rune) bool { return r == ' ' || r == ',' })
				if strings.Join(tok.Scopes, " ") != strings.Join(want, " ") {
					t.Fatalf("scope %q parsed as %q", scope, tok.Scopes)
				}
			}
		}
		// What a storage keeps reads back the same (tokenRequest refuses
		// an answer without an access token; give this one).
		if tok.AccessToken == "" {
			tok.AccessToken = "a"
		}
		raw, err := json.Marshal(tok)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		back, err := unmarshalToken(raw)
		if err != nil {
			t.Fatalf("UnmarshalToken: %v", err)
		}
		if len(back.Extra) != len(tok.Extra) || !slices.Equal(back.Scopes, tok.Scopes) {
			t.Fatalf("round trip changed the token: extra %d -> %d, scopes %q -> %q", len(tok.Extra), len(back.Extra), tok.Scopes, back.Scopes)
		}
	})
}

// FuzzAuthorized sends arbitrary callback queries and form bodies to the
// authorized route of a session with a login in progress. Whatever arrives,
// the answer is a redirect or a clear 4xx/502 page, never a panic or a 500,
// and the page never echoes the input.
func FuzzAuthorized(f *testing.F) {
	f.Add("code=abc&state=STATE", "")
	f.Add("error=access_denied&error_description=%3Cscript%3E&state=STATE", "")
	f.Add("state=STATE", "")
	f.Add("code=abc&state=wrong", "")
	f.Add("code=abc&state=STATE&iss=https%3A%2F%2Fevil", "")
	f.Add("", "code=abc&state=STATE")
	f.Add("code=%ff%fe&state=STATE&state=other", "state=")
	gin.SetMode(gin.ReleaseMode)
	tokenServer := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		body := `{"access_token":"at","token_type":"Bearer"}`
		if r.FormValue("code") != "abc" {
			body = `{"error":"invalid_grant"}`
			return &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})
	p := Provider{Name: "fz", Endpoint: oauth2.Endpoint{AuthURL: "https://idp.example/a", TokenURL: "https://idp.example/t"},
		Issuer: "https://idp.example", FormPostCallback: true}
	bp := must(New(p, Config{ClientID: "id", ClientSecret: "s", HTTPClient: &http.Client{Transport: tokenServer}}))
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r)
	f.Fuzz(func(t *testing.T, query, form string) {
		// A fresh login for each input, so STATE can be the real state.
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/fz", nil))
		loc, _ := url.Parse(w.Header().Get("Location"))
		state := loc.Query().Get("state")
		cookies := w.Result().Cookies()
		query = strings.ReplaceAll(query, "STATE", state)
		form = strings.ReplaceAll(form, "STATE", state)
		method, body := http.MethodGet, io.Reader(nil)
		if form != "" {
			method, body = http.MethodPost, strings.NewReader(form)
		}
		req := httptest.NewRequest(method, "/fz/authorized", body)
		req.URL.RawQuery = query
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		w = httptest.NewRecorder()
		r.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusFound, http.StatusBadRequest, http.StatusBadGateway: // 200: the form_post resubmit page
		default:
			t.Fatalf("query %q form %q: status %d", query, form, w.Code)
		}
		if w.Code == http.StatusBadRequest || w.Code == http.StatusBadGateway {
			for _, v := range []string{query, form} {
				if len(v) > 8 && bytes.Contains(w.Body.Bytes(), []byte(v)) {
					t.Fatalf("error page echoes the input %q", v)
				}
			}
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
