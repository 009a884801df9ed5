package apple_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/apple"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

// fakeApple answers Apple's token endpoint and key set.
type fakeApple struct {
	t      *testing.T
	signer *oidctest.Signer
	mu     sync.Mutex
	nonce  string
	secret string
}

func (f *fakeApple) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Header.Get("X-Forwarded-Host") + r.URL.Path {
	case "appleid.apple.com/auth/keys":
		f.signer.ServeHTTP(w, r)
	case "appleid.apple.com/auth/token":
		_ = r.ParseForm()
		f.secret = r.PostForm.Get("client_secret")
		raw, err := f.signer.Sign(map[string]any{
			"iss": "https://appleid.apple.com", "aud": "com.example.web", "sub": "001234.abcd.5678",
			"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "nonce": f.nonce,
			"email": "x7k2@privaterelay.appleid.com", "email_verified": "true", "is_private_email": "true",
		})
		if err != nil {
			f.t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
			"refresh_token": "rt", "id_token": raw})
	default:
		f.t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
		http.NotFound(w, r)
	}
}

func p8(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// outcome is what the Authorized hook saw.
type outcome struct {
	user    *apple.User
	hasUser bool
	profile *ginoauth.Profile
	err     error
}

func setup(t *testing.T) (*gin.Engine, *fakeApple, *outcome) {
	t.Helper()
	s, err := oidctest.NewSigner("apple-1")
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeApple{t: t, signer: s}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	out := &outcome{}
	bp, err := apple.New(apple.Config{
		TeamID: "TEAM", KeyID: "KEY", PrivateKey: p8(t),
		Config: ginoauth.Config{
			ClientID:   "com.example.web",
			HTTPClient: oidctest.Client(srv.URL),
			Hooks: ginoauth.Hooks{
				Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
					out.user, out.hasUser = apple.CallbackUser(c, tok)
					out.profile, out.err = bp.Profile(c)
					return nil
				},
				Error: func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { t.Errorf("login failed: %v", err) },
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	return r, fake, out
}

func startLogin(t *testing.T, r http.Handler, fake *fakeApple) (url.Values, []*http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login/apple", nil))
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil || w.Code != http.StatusFound {
		t.Fatalf("login: %d %v", w.Code, err)
	}
	q := loc.Query()
	if q.Get("response_mode") != "form_post" || q.Get("scope") != "name email" {
		t.Errorf("got %v, want response_mode=form_post and scope \"name email\"", q)
	}
	fake.mu.Lock()
	fake.nonce = q.Get("nonce")
	fake.mu.Unlock()
	return q, w.Result().Cookies()
}

const userField = `{"name":{"firstName":"Ada","lastName":"Ramos"},"email":"x7k2@privaterelay.appleid.com"}`

func post(r http.Handler, form url.Values, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/login/apple/authorized", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func checkOutcome(t *testing.T, out *outcome, wantUser bool) {
	t.Helper()
	if out.err != nil {
		t.Fatalf("profile: %v", out.err)
	}
	p := out.profile
	if p == nil || p.ID != "001234.abcd.5678" || p.Email != "x7k2@privaterelay.appleid.com" || !p.EmailVerified {
		t.Errorf("got profile %+v, want the ID token's sub and verified email", p)
	}
	if out.hasUser != wantUser {
		t.Fatalf("got CallbackUser ok=%v, want %v", out.hasUser, wantUser)
	}
	if wantUser && out.user.FullName() != "Ada Ramos" {
		t.Errorf("got name %q, want Ada Ramos", out.user.FullName())
	}
}

// TestCrossSitePost is Apple's real case: the callback is a cross-site
// POST, so the browser sends no SameSite=Lax session cookie. The blueprint
// answers with a page that posts the same fields again from this site,
// which carries the cookie and keeps the fields out of any URL.
func TestCrossSitePost(t *testing.T) {
	t.Parallel()
	r, fake, out := setup(t)
	q, cookies := startLogin(t, r, fake)
	form := url.Values{"code": {"c-1"}, "state": {q.Get("state")}, "user": {userField}}
	w := post(r, form, nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `name="_ginoauth_resubmit"`) {
		t.Fatalf("got %d, want 200 with a same-site resubmit page", w.Code)
	}
	again := url.Values{}
	for _, m := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(w.Body.String(), -1) {
		again.Set(m[1], html.UnescapeString(m[2]))
	}
	if again.Get("user") != userField || again.Get("code") != "c-1" {
		t.Fatalf("resubmit page lost fields: %v", again)
	}
	w = post(r, again, cookies)
	if w.Code != http.StatusFound || w.Header().Get("Location") != "/" {
		t.Fatalf("got %d %q, want 302 /", w.Code, w.Header().Get("Location"))
	}
	checkOutcome(t, out, true)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if strings.Count(fake.secret, ".") != 2 {
		t.Errorf("got client_secret %q, want a JWT", fake.secret)
	}
}

// TestSameSitePost covers a POST that carries the session (SameSite=None
// cookies), and a later login, where Apple sends no user field.
func TestSameSitePost(t *testing.T) {
	t.Parallel()
	r, fake, out := setup(t)
	q, cookies := startLogin(t, r, fake)
	w := post(r, url.Values{"code": {"c-1"}, "state": {q.Get("state")}, "user": {userField}}, cookies)
	if w.Code != http.StatusFound {
		t.Fatalf("got %d, want 302", w.Code)
	}
	checkOutcome(t, out, true)

	*out = outcome{}
	q, cookies = startLogin(t, r, fake)
	if w := post(r, url.Values{"code": {"c-2"}, "state": {q.Get("state")}}, cookies); w.Code != http.StatusFound {
		t.Fatalf("second login: got %d, want 302", w.Code)
	}
	checkOutcome(t, out, false)
}

func TestCallbackUserFromToken(t *testing.T) {
	t.Parallel()
	tok := &ginoauth.Token{AccessToken: "a", Extra: map[string]any{"user": userField}}
	u, ok := apple.CallbackUser(nil, tok)
	if !ok || u.FullName() != "Ada Ramos" || u.Email != "x7k2@privaterelay.appleid.com" {
		t.Errorf("got %+v %v, want the user from Token.Extra", u, ok)
	}
	for _, bad := range []any{"", "{", `{"name":{}}`, strings.Repeat("x", 5000), 42} {
		if _, ok := apple.CallbackUser(nil, &ginoauth.Token{Extra: map[string]any{"user": bad}}); ok {
			t.Errorf("CallbackUser accepted %v", bad)
		}
	}
}
