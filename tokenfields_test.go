package ginoauth_test

// Regression tests of what a token carries: refresh URL and parameters,
// expires_at, decode errors, the early-expiry margin, OAuth 1 secrets.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
	"golang.org/x/oauth2"
)

// tokenEndpoint is a token endpoint that answers with body and records
// the refresh requests' forms and paths.
func tokenEndpoint(t *testing.T, body string) (*httptest.Server, *[]url.Values, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var forms []url.Values
	var paths []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		forms, paths = append(forms, r.PostForm), append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts, &forms, &paths
}

// refreshIn runs bp.Refresh in a request whose session holds tok.
func refreshIn(t *testing.T, bp *ginoauth.Blueprint, tok *ginoauth.Token) (*ginoauth.Token, error) {
	t.Helper()
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	var got *ginoauth.Token
	var err error
	r.GET("/", func(c *gin.Context) {
		if err = bp.SetToken(c, tok); err == nil {
			got, err = bp.Refresh(c)
		}
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	return got, err
}

// TestRefreshURLAndParams (item 7): Flask-Dance's auto_refresh_url and
// auto_refresh_kwargs.
func TestRefreshURLAndParams(t *testing.T) {
	t.Parallel()
	ts, forms, paths := tokenEndpoint(t, `{"access_token":"new","token_type":"Bearer","expires_in":3600}`)
	bp := mustBP(ginoauth.New(ginoauth.Provider{
		Name:          "p",
		Endpoint:      oauth2.Endpoint{AuthURL: ts.URL + "/authorize", TokenURL: ts.URL + "/token"},
		RefreshURL:    ts.URL + "/refresh",
		RefreshParams: map[string]string{"client_id": "id", "scope": "read"},
	}, ginoauth.Config{ClientID: "id", ClientSecret: "secret"}))
	got, err := refreshIn(t, bp, &ginoauth.Token{AccessToken: "old", RefreshToken: "r"})
	if err != nil || got.AccessToken != "new" {
		t.Fatalf("Refresh: got %v, %v", got, err)
	}
	if len(*paths) != 1 || (*paths)[0] != "/refresh" {
		t.Errorf("refresh went to %v, want /refresh", *paths)
	}
	f := (*forms)[0]
	if f.Get("grant_type") != "refresh_token" || f.Get("refresh_token") != "r" || f.Get("client_id") != "id" || f.Get("scope") != "read" {
		t.Errorf("refresh body: got %v, want the grant with client_id and scope added", f)
	}
}

// TestExpiresAtHonoured (item 7): a token response with expires_at and no
// expires_in expires then, not never.
func TestExpiresAtHonoured(t *testing.T) {
	t.Parallel()
	at := time.Now().Add(30 * time.Minute).Unix()
	ts, _, _ := tokenEndpoint(t, `{"access_token":"new","token_type":"Bearer","expires_at":`+strconv.FormatInt(at, 10)+`}`)
	bp := mustBP(ginoauth.New(ginoauth.Provider{
		Name:     "p",
		Endpoint: oauth2.Endpoint{AuthURL: ts.URL + "/authorize", TokenURL: ts.URL + "/token"},
	}, ginoauth.Config{ClientID: "id", ClientSecret: "secret"}))
	got, err := refreshIn(t, bp, &ginoauth.Token{AccessToken: "old", RefreshToken: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Expiry.Unix() != at || got.ExpiresIn < 1790 || got.ExpiresIn > 1800 {
		t.Errorf("got expiry %v (lifetime %d s), want %v (about 1800 s)", got.Expiry, got.ExpiresIn, time.Unix(at, 0))
	}
}

// TestTokenDecodeReportsTheCause (item 7): a decode error says what is
// wrong instead of "%!w(<nil>)".
func TestTokenDecodeReportsTheCause(t *testing.T) {
	t.Parallel()
	err := json.Unmarshal([]byte(`{"access_token":1}`), new(ginoauth.Token))
	if err == nil || strings.Contains(err.Error(), "%!") || !strings.Contains(err.Error(), "cannot unmarshal") {
		t.Errorf("got %v, want the JSON error", err)
	}
}

// TestTokenInJSONDocuments: a Token field of a larger JSON document decodes
// and encodes with the token's own encoding, null leaves it empty, and an
// object without an access token is refused.
func TestTokenInJSONDocuments(t *testing.T) {
	t.Parallel()
	var doc struct {
		Tok  ginoauth.Token  `json:"tok"`
		Next *ginoauth.Token `json:"next"`
	}
	if err := json.Unmarshal([]byte(`{"tok":{"access_token":"a","scopes":["x"]},"next":null}`), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tok.AccessToken != "a" || len(doc.Tok.Scopes) != 1 || doc.Next != nil {
		t.Errorf("got %+v", doc)
	}
	var empty struct{ Tok ginoauth.Token }
	if err := json.Unmarshal([]byte(`{"Tok":null}`), &empty); err != nil || empty.Tok.AccessToken != "" {
		t.Errorf("null: got %+v, %v", empty, err)
	}
	if err := json.Unmarshal([]byte(`{"tok":{"token_type":"Bearer"}}`), &doc); err == nil {
		t.Error("a token without an access token decoded")
	}
	out, err := json.Marshal(doc.Tok)
	if err != nil || !strings.Contains(string(out), `"access_token":"a"`) {
		t.Errorf("encode: got %s, %v", out, err)
	}
}

// TestTokenLifetimeMargin: the early expiry is 10 s, or a quarter of the
// token's lifetime when that is shorter.
func TestTokenLifetimeMargin(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tc := range []struct {
		life, left time.Duration
		valid      bool
	}{
		{time.Hour, 11 * time.Second, true},
		{time.Hour, 9 * time.Second, false},
		{2 * time.Second, 2 * time.Second, true},
		{2 * time.Second, 600 * time.Millisecond, true},
		{2 * time.Second, 400 * time.Millisecond, false},
		{0, 9 * time.Second, false}, // lifetime unknown: 10 s
	} {
		tok := &ginoauth.Token{AccessToken: "a", Expiry: now.Add(tc.left), ExpiresIn: int64(tc.life / time.Second)}
		if got := tok.Valid(); got != tc.valid {
			t.Errorf("life %v, %v left: Valid() = %v, want %v", tc.life, tc.left, got, tc.valid)
		}
	}
}

// TestOAuth1TokenNeedsItsSecret (item 7): an OAuth 1.0a token without its
// secret cannot sign requests, so it does not count as authorized.
func TestOAuth1TokenNeedsItsSecret(t *testing.T) {
	t.Parallel()
	st := memory.New(memory.Config{Owner: func(*gin.Context) (string, bool) { return "u", true }})
	bp := mustBP(ginoauth.NewOAuth1(ginoauth.OAuth1Provider{
		Name:            "o1",
		RequestTokenURL: "https://provider.example/request",
		AuthorizeURL:    "https://provider.example/authorize",
		AccessTokenURL:  "https://provider.example/access",
	}, ginoauth.Config{ClientID: "key", ClientSecret: "secret", Storage: st}))
	for _, tc := range []struct {
		secret string
		want   bool
	}{{"", false}, {"s", true}} {
		if _, err := st.OwnerRef("u", "o1").Swap(context.Background(), nil, &ginoauth.Token{AccessToken: "a", Secret: tc.secret}); err != nil {
			t.Fatal(err)
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		if got := bp.Authorized(c); got != tc.want {
			t.Errorf("secret %q: Authorized = %v, want %v", tc.secret, got, tc.want)
		}
	}
}
