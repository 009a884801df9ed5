package ginoauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"
)

func testProvider() Provider {
	return Provider{
		Name:       "test",
		Endpoint:   oauth2.Endpoint{AuthURL: "https://provider.example/authorize", TokenURL: "https://provider.example/token"},
		APIBaseURL: "https://api.provider.example/v3",
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		next string
		want bool
	}{
		{"/", true},
		{"/dashboard", true},
		{"/repos?sort=new#top", true},
		{"/a%20b", true},
		{"/%E2%9C%93", true},
		{"", false},
		{"dashboard", false},
		{"//evil.com", false},
		{"///evil.com", false},
		{"/\\evil.com", false},
		{"\\\\evil.com", false},
		{"https://evil.com", false},
		{"http://evil.com/", false},
		{"javascript:alert(1)", false},
		{"/%2fevil.com", false},
		{"/%2Fevil.com", false},
		{"/%5cevil.com", false},
		{"/%5Cevil.com", false},
		{"/%252fevil.com", false},
		{"/%25252fevil.com", false},
		{"%2f%2fevil.com", false},
		{"/\tevil", false},
		{"/\r\nLocation: https://evil.com", false},
		{"/%0d%0aSet-Cookie:x=y", false},
		{"/ok/%2F/still-path", true},
		{"/%", false},
		{"/" + strings.Repeat("a", 3000), false},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %v, want %v", tt.next, got, tt.want)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       Provider
		cfg     Config
		wantErr string
	}{
		{"ok", testProvider(), Config{ClientID: "id"}, ""},
		{"no client id", testProvider(), Config{}, "ClientID is required"},
		{"no endpoint", Provider{Name: "x"}, Config{ClientID: "id"}, "AuthURL and TokenURL"},
		{"no name", Provider{Endpoint: testProvider().Endpoint}, Config{ClientID: "id"}, "Name"},
		{"bad name", testProvider(), Config{ClientID: "id", Name: "a/b"}, "single path segment"},
		{"relative redirect", testProvider(), Config{ClientID: "id", RedirectURL: "/cb"}, "absolute URL"},
		{"bad proxy", testProvider(), Config{ClientID: "id", TrustedProxies: []string{"nope"}}, "TrustedProxies"},
		{"bad login path", testProvider(), Config{ClientID: "id", LoginPath: "x"}, "must start with /"},
		{"same paths", testProvider(), Config{ClientID: "id", LoginPath: "/a", AuthorizedPath: "/a"}, "must differ"},
		{"bad api base", Provider{Name: "x", Endpoint: testProvider().Endpoint, APIBaseURL: "api"}, Config{ClientID: "id"}, "APIBaseURL"},
		{"relative after-login", testProvider(), Config{ClientID: "id", AfterLogin: "dashboard"}, "AfterLogin"},
		{"scheme-relative after-login", testProvider(), Config{ClientID: "id", AfterLogin: "//evil.example"}, "AfterLogin"},
		{"javascript after-login", testProvider(), Config{ClientID: "id", AfterLogin: "javascript:alert(1)"}, "AfterLogin"},
		{"absolute after-login", testProvider(), Config{ClientID: "id", AfterLogin: "https://app.example/home"}, ""},
		{"root after-login", testProvider(), Config{ClientID: "id", AfterLogin: "/dashboard"}, ""},
		{"relative failure URL", testProvider(), Config{ClientID: "id", FailureURL: "oops"}, "FailureURL"},
		{"assertion and secret func", testProvider(), Config{ClientID: "id", ClientAssertion: noAssertion,
			ClientSecretFunc: func(context.Context) (string, error) { return "", nil }}, "ClientAssertion and ClientSecretFunc"},
		{"assertion", testProvider(), Config{ClientID: "id", ClientSecret: "not sent", ClientAssertion: noAssertion}, ""},
		{"private_key_jwt only", withMethods("private_key_jwt"), Config{ClientID: "id", ClientSecret: "s"}, "set ClientAssertion"},
		{"private_key_jwt only, with assertion", withMethods("private_key_jwt"), Config{ClientID: "id", ClientAssertion: noAssertion}, ""},
		{"client_secret_jwt, short secret", withMethods("client_secret_jwt"), Config{ClientID: "id", ClientSecret: "short"}, "32 bytes"},
		{"client_secret_jwt", withMethods("client_secret_jwt"), Config{ClientID: "id", ClientSecret: strings.Repeat("s", 32)}, ""},
		{"basic among others", withMethods("private_key_jwt", "client_secret_basic"), Config{ClientID: "id", ClientSecret: "s"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.p, tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr != "" && !errors.Is(err, KindConfig):
				t.Fatalf("got %v, want an *Error of kind KindConfig", err)
			}
		})
	}
}

func noAssertion(context.Context, string, string) (string, error) { return "", nil }

func withMethods(m ...string) Provider {
	p := testProvider()
	p.TokenEndpointAuthMethods = m
	return p
}

func TestNewCopiesConfig(t *testing.T) {
	t.Parallel()
	scopes := []string{"a", "b"}
	params := map[string]string{"prompt": "consent"}
	bp, err := New(testProvider(), Config{ClientID: "id", Scopes: scopes, AuthParams: params})
	if err != nil {
		t.Fatal(err)
	}
	scopes[0] = "changed"
	params["prompt"] = "changed"
	if bp.oauth.Scopes[0] != "a" || bp.cfg.AuthParams["prompt"] != "consent" {
		t.Fatalf("blueprint follows the caller's later changes: scopes %v, params %v", bp.oauth.Scopes, bp.cfg.AuthParams)
	}
}

func TestResolveKeepsBasePath(t *testing.T) {
	t.Parallel()
	bp := must(New(testProvider(), Config{ClientID: "id"}))
	tests := []struct{ ref, want string }{
		{"user", "https://api.provider.example/v3/user"},
		{"/user", "https://api.provider.example/v3/user"},
		{"user/repos?page=2", "https://api.provider.example/v3/user/repos?page=2"},
		{"https://other.example/x", "https://other.example/x"},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.ref)
		got, err := bp.resolve(u)
		if err != nil || got.String() != tt.want {
			t.Errorf("resolve(%q) = %v, %v; want %s", tt.ref, got, err, tt.want)
		}
	}
	noBase := must(New(Provider{Name: "n", Endpoint: testProvider().Endpoint}, Config{ClientID: "id"}))
	if _, err := noBase.resolve(&url.URL{Path: "user"}); err == nil {
		t.Error("relative URL without APIBaseURL: got nil error")
	}
}

func TestTokenStringHidesSecrets(t *testing.T) {
	t.Parallel()
	tok := &Token{AccessToken: "AT-secret", RefreshToken: "RT-secret", IDToken: "ID-secret", Secret: "S-secret",
		TokenType: "Bearer", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Scopes: []string{"repo"}}
	for _, s := range []string{tok.String(), fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprint(tok)} {
		if strings.Contains(s, "secret") {
			t.Errorf("formatted token shows a secret: %s", s)
		}
	}
	if !strings.Contains(tok.String(), "refreshable") || !strings.Contains(tok.String(), "repo") {
		t.Errorf("String() = %s, want type, expiry, refreshable and scopes", tok)
	}
}

func TestTokenJSONRoundTrip(t *testing.T) {
	t.Parallel()
	in := &Token{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: time.Unix(1900000000, 0).UTC(),
		Scopes: []string{"x", "y"}, IDToken: "h.p.s", Extra: map[string]any{"team": map[string]any{"id": "T1"}}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := unmarshalToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if string(a) != string(b) {
		t.Fatalf("round trip: got %s, want %s", b, a)
	}
	for _, bad := range []string{"", "{", `{"token_type":"Bearer"}`, "null", `[]`} {
		if _, err := unmarshalToken([]byte(bad)); err == nil {
			t.Errorf("unmarshalToken(%q): got nil error", bad)
		}
	}
}

func TestTokenFromResponseKeepsEverything(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"access_token":"a","token_type":"bearer","refresh_token":"r","expires_in":3600,
		"scope":"read write","id_token":"h.p.s","team":{"id":"T1"},"ok":true,"n":12}`)
	tok := tokenFromFields(parseTokenBody(body), now)
	if tok.AccessToken != "a" || tok.TokenType != "Bearer" || tok.RefreshToken != "r" || tok.ExpiresIn != 3600 ||
		!tok.Expiry.Equal(now.Add(time.Hour)) || tok.IDToken != "h.p.s" || fmt.Sprint(tok.Scopes) != "[read write]" {
		t.Errorf("got %+v", tok)
	}
	if team, _ := tok.Extra["team"].(map[string]any); team["id"] != "T1" || tok.Extra["ok"] != true || tok.Extra["n"] != int64(12) {
		t.Errorf("extra = %v, want team, ok, n kept", tok.Extra)
	}
	for _, k := range []string{"access_token", "refresh_token", "expires_in", "id_token", "scope", "token_type"} {
		if _, ok := tok.Extra[k]; ok {
			t.Errorf("extra has standard field %q", k)
		}
	}
	form := tokenFromFields(parseTokenBody([]byte("access_token=a&expires_in=60&scope=user%2Crepo&user_id=42&token_type=MAC")), now)
	if fmt.Sprint(form.Scopes) != "[user repo]" || form.Extra["user_id"] != "42" || form.ExpiresIn != 60 || form.TokenType != "MAC" {
		t.Errorf("form body: %+v", form)
	}
	// An absolute expiry only (Unix seconds); a lifetime wins over it.
	at := tokenFromFields(parseTokenBody([]byte(`{"access_token":"a","expires_at":1800000600}`)), now)
	both := tokenFromFields(parseTokenBody([]byte(`{"access_token":"a","expires_in":60,"expires_at":1800000600}`)), now)
	if !at.Expiry.Equal(now.Add(10*time.Minute)) || at.ExpiresIn != 600 || !both.Expiry.Equal(now.Add(time.Minute)) {
		t.Errorf("expires_at: %v %d; with expires_in: %v", at.Expiry, at.ExpiresIn, both.Expiry)
	}
	for _, bad := range []string{`{"access_token":"a","expires_in":-5}`, `{"access_token":"a","expires_in":"soon"}`, `{"access_token":"a","expires_in":1e300}`} {
		if tok := tokenFromFields(parseTokenBody([]byte(bad)), now); !tok.Expiry.IsZero() {
			t.Errorf("%s: expiry %v, want none", bad, tok.Expiry)
		}
	}
}

func TestErrorStatusAndMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind ErrorKind
		want int
	}{
		{KindProviderDenied, 400}, {KindStateMissing, 400}, {KindStateMismatch, 400}, {KindCodeMissing, 400},
		{KindIssuerMismatch, 400}, {KindExchangeFailed, 502}, {KindIDTokenInvalid, 502}, {KindRefreshFailed, 502},
		{KindProfileFailed, 502}, {KindStorageFailed, 503}, {KindHookFailed, 500}, {KindConfig, 500}, {KindReauthRequired, 401},
	}
	for _, tt := range tests {
		e := &Error{Kind: tt.kind}
		if got := e.Status(); got != tt.want {
			t.Errorf("%s: Status() = %d, want %d", tt.kind, got, tt.want)
		}
		if e.Message() == "" {
			t.Errorf("%s: empty Message()", tt.kind)
		}
	}
	e := &Error{Kind: KindReauthRequired, Provider: "github", Err: errNotRefreshable}
	if !errors.Is(e, KindReauthRequired) {
		t.Error("errors.Is(reauth error, KindReauthRequired) = false")
	}
	if got := e.Error(); got != "ginoauth: github: reauth_required: no refresh token" {
		t.Errorf("Error() = %q", got)
	}
}

func TestRevokeRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		accessOnly  bool
		status      int
		wantToken   string
		wantHint    string
		wantFailure bool
	}{
		{"refresh token first", false, 200, "rt", "refresh_token", false},
		{"access token for providers that want it", true, 200, "at", "access_token", false},
		{"204 is success", false, 204, "rt", "refresh_token", false},
		{"error status", false, 503, "rt", "refresh_token", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got url.Values
			var user, pass string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				got = r.PostForm
				user, pass, _ = r.BasicAuth()
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			p := testProvider()
			p.RevocationURL = srv.URL
			p.RevokeAccessToken = tt.accessOnly
			bp := must(New(p, Config{ClientID: "id", ClientSecret: "secret"}))
			err := bp.Revoke(t.Context(), &Token{AccessToken: "at", RefreshToken: "rt"})
			if (err != nil) != tt.wantFailure {
				t.Fatalf("Revoke: got %v, want failure %v", err, tt.wantFailure)
			}
			if got.Get("token") != tt.wantToken || got.Get("token_type_hint") != tt.wantHint || user != "id" || pass != "secret" {
				t.Fatalf("revocation request token=%q hint=%q basic=%s:%s", got.Get("token"), got.Get("token_type_hint"), user, pass)
			}
			if err != nil && strings.Contains(err.Error(), "rt") && strings.Contains(err.Error(), "secret") {
				t.Fatalf("error shows a secret: %v", err)
			}
		})
	}
}

// countingStorage counts reads of a memory-like single-token storage.
type countingStorage struct {
	reads int
	tok   *Token
}

func (s *countingStorage) Ref(*gin.Context, string) (TokenRef, error) { return s, nil }

func (s *countingStorage) Load(context.Context) (*Token, error) {
	s.reads++
	if s.tok == nil {
		return nil, ErrNoToken
	}
	return s.tok, nil
}

func (s *countingStorage) Swap(_ context.Context, old, t *Token) (*Token, error) {
	if old != nil && !sameToken(old, s.tok) {
		return s.tok, nil
	}
	s.tok = t
	return t, nil
}

// TestCookieDedupeEveryWrite: the blueprint's writer keeps the last
// Set-Cookie of each cookie however the handler writes: a cookie added
// after a deferred WriteHeader, or a list replaced by one of the same
// length, is looked at again before the header goes out.
func TestCookieDedupeEveryWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		then func(h http.Header)
		want string
	}{
		{"added after WriteHeader", func(h http.Header) { h.Add("Set-Cookie", "a=3; Path=/") }, "a=3; Path=/ c=1; Path=/ d=1; Path=/"},
		{"replaced, same length", func(h http.Header) {
			h.Del("Set-Cookie")
			h.Add("Set-Cookie", "b=1; Path=/")
			h.Add("Set-Cookie", "b=2; Path=/")
			h.Add("Set-Cookie", "e=1; Path=/")
		}, "b=2; Path=/ e=1; Path=/"},
	} {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		w := dedupeCookies(c)
		h := w.Header()
		h.Add("Set-Cookie", "a=1; Path=/")
		h.Add("Set-Cookie", "a=2; Path=/")
		w.WriteHeader(http.StatusOK) // gin defers it to the first write
		h.Add("Set-Cookie", "c=1; Path=/")
		w.WriteHeader(http.StatusOK)
		h.Add("Set-Cookie", "d=1; Path=/") // the list grows with room to spare
		w.WriteHeader(http.StatusOK)
		tc.then(h)
		if _, err := w.WriteString("ok"); err != nil {
			t.Fatal(err)
		}
		got := rec.Header().Values("Set-Cookie")
		slices.Sort(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: Set-Cookie = %q, want %s", tc.name, got, tc.want)
		}
	}
}
