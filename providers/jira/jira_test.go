package jira_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/providers/jira"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func key(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pemText(t *testing.T) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key(t))}))
}

func TestProvider(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, base, want string }{
		{"host", "https://jira.example.com", "https://jira.example.com"},
		{"trailing slash", "https://jira.example.com/", "https://jira.example.com"},
		{"context path", "https://example.com/jira/", "https://example.com/jira"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := jira.Provider(tt.base, key(t))
			if err != nil {
				t.Fatal(err)
			}
			for got, want := range map[string]string{
				p.RequestTokenURL: tt.want + "/plugins/servlet/oauth/request-token",
				p.AuthorizeURL:    tt.want + "/plugins/servlet/oauth/authorize",
				p.AccessTokenURL:  tt.want + "/plugins/servlet/oauth/access-token",
				p.APIBaseURL:      tt.want + "/",
			} {
				if got != want {
					t.Errorf("got %q, want %q", got, want)
				}
			}
			if p.Name != "jira" || p.PrivateKey == nil || p.Header.Get("Content-Type") != "application/json" {
				t.Errorf("got name %q key %v content type %q", p.Name, p.PrivateKey != nil, p.Header.Get("Content-Type"))
			}
		})
	}
	for _, bad := range []string{"jira.example.com", "ftp://jira.example.com", "https://jira.example.com/?x=1", "https://u:p@jira.example.com"} {
		if _, err := jira.Provider(bad, key(t)); err == nil {
			t.Errorf("Provider(%q): got nil error", bad)
		}
	}
}

func TestNewConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jira.pem")
	if err := os.WriteFile(path, []byte(pemText(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name           string
		cfg            jira.Config
		envKey, envRSA string
		wantErr        string
	}{
		{"PEM text", jira.Config{BaseURL: "https://j.example", Config: ginoauth.Config{ClientID: "app"}, RSAKey: pemText(t)}, "", "", ""},
		{"PEM file", jira.Config{BaseURL: "https://j.example", Config: ginoauth.Config{ClientID: "app"}, RSAKey: path}, "", "", ""},
		{"parsed key", jira.Config{BaseURL: "https://j.example", Config: ginoauth.Config{ClientID: "app"}, PrivateKey: key(t)}, "", "", ""},
		{"environment", jira.Config{BaseURL: "https://j.example"}, "app", pemText(t), ""},
		{"environment path", jira.Config{BaseURL: "https://j.example"}, "app", path, ""},
		{"no base URL", jira.Config{Config: ginoauth.Config{ClientID: "app"}, RSAKey: path}, "", "", "BaseURL is required"},
		{"bad base URL", jira.Config{BaseURL: "j.example", Config: ginoauth.Config{ClientID: "app"}, RSAKey: path}, "", "", "must be an absolute"},
		{"no consumer key", jira.Config{BaseURL: "https://j.example", RSAKey: path}, "", "", "JIRA_OAUTH_CONSUMER_KEY"},
		{"no RSA key", jira.Config{BaseURL: "https://j.example", Config: ginoauth.Config{ClientID: "app"}}, "", "", "JIRA_OAUTH_RSA_KEY"},
		{"unreadable key file", jira.Config{BaseURL: "https://j.example", Config: ginoauth.Config{ClientID: "app"}, RSAKey: path + ".missing"}, "", "", "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(jira.EnvConsumerKey, tt.envKey)
			t.Setenv(jira.EnvRSAKey, tt.envRSA)
			bp, err := jira.New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || bp.Name() != "jira" {
					t.Fatalf("got %v, want a jira blueprint", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Error("the error shows the key")
			}
		})
	}
}

type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (b *browser) get(u string) (int, string, string) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if l, err := resp.Request.URL.Parse(loc); loc != "" && err == nil {
		loc = l.String()
	}
	return resp.StatusCode, loc, string(body)
}

// newApp serves a Jira blueprint for srv; errs gets every failed login.
func newApp(t *testing.T, srv *ginoauthtest.OAuth1Server) (*httptest.Server, *browser, chan *ginoauth.Error) {
	t.Helper()
	errs := make(chan *ginoauth.Error, 10)
	bp, err := jira.New(jira.Config{
		BaseURL:    srv.URL,
		Config:     ginoauth.Config{ClientID: srv.ConsumerKey(), Hooks: ginoauth.Hooks{Error: func(_ *gin.Context, _ *ginoauth.Blueprint, e *ginoauth.Error) { errs <- e }}},
		PrivateKey: key(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/me", bp.Required(), func(c *gin.Context) {
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		c.JSON(http.StatusOK, p)
	})
	r.POST("/search", bp.Required(), func(c *gin.Context) {
		client, _ := bp.Client(c)
		resp, err := client.Post("rest/api/2/myself", "", bytes.NewReader([]byte(`{"jql":"project = X"}`)))
		if err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		resp.Body.Close()
		c.Status(resp.StatusCode)
	})
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	return ts, &browser{t: t, base: ts.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, errs
}

// TestFlow logs in against the test provider's Jira dialect (RSA-SHA1),
// and has every request checked by an independent OAuth 1 verifier.
func TestFlow(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{
		AutoApprove: "1001", SignatureMethod: "RSA-SHA1", RSAPublicKey: &key(t).PublicKey,
	})
	defer srv.Close()
	ts, b, errs := newApp(t, srv)

	status, loc, _ := b.get("/me")
	if status != http.StatusFound || loc != ts.URL+"/login/jira?next=%2Fme" {
		t.Fatalf("/me: got %d %q", status, loc)
	}
	status, loc, _ = b.get(loc)
	if status != http.StatusFound || !strings.HasPrefix(loc, srv.URL+ginoauthtest.JiraPathAuthorize+"?oauth_token=") {
		t.Fatalf("login: got %d %q, want Jira's authorize page", status, loc)
	}
	status, loc, _ = b.get(loc)
	if status != http.StatusFound || !strings.HasPrefix(loc, ts.URL+"/login/jira/authorized?") {
		t.Fatalf("authorize: got %d %q", status, loc)
	}
	if status, loc, body := b.get(loc); status != http.StatusFound || loc != ts.URL+"/me" {
		t.Fatalf("callback: got %d %q %q", status, loc, body)
	}
	status, _, body := b.get("/me")
	var p ginoauth.Profile
	if err := json.Unmarshal([]byte(body), &p); err != nil || status != 200 {
		t.Fatalf("/me: got %d %q", status, body)
	}
	if p.ID != "JIRAUSER1001" || p.Username != "alice" || p.Email != "alice@example.com" || p.EmailVerified ||
		p.Name != "Alice Liddell" || p.AvatarURL != "https://avatars.example.com/alice.png" {
		t.Errorf("profile: got %+v", p)
	}
	resp, err := b.c.Post(ts.URL+"/search", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("signed JSON POST: got %d", resp.StatusCode)
	}
	select {
	case e := <-errs:
		t.Fatalf("error hook: %v", e)
	default:
	}

	// Every request passed the provider's RSA-SHA1 signature checks (an
	// independent implementation verifies ginoauth's OAuth 1 signatures in
	// internal/interop).
	checked := 0
	for _, r := range srv.Requests() {
		if r.Problem != "" {
			t.Errorf("%s %s: provider problem %q", r.Method, r.Path, r.Problem)
		}
		if r.Path == ginoauthtest.JiraPathAuthorize {
			continue
		}
		if r.Path == ginoauthtest.JiraPathMyself && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: Content-Type %q, want application/json", r.Method, r.Path, r.Header.Get("Content-Type"))
		}
		checked++
	}
	if checked != 4 { // request token, access token, myself (GET, POST)
		t.Errorf("the provider verified %d requests, want 4", checked)
	}
}

// TestDenied: Jira redirects a denial with oauth_verifier=denied.
func TestDenied(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{SignatureMethod: "RSA-SHA1", RSAPublicKey: &key(t).PublicKey})
	defer srv.Close()
	_, b, errs := newApp(t, srv)
	_, loc, _ := b.get("/login/jira")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := b.c.PostForm(srv.URL+ginoauthtest.JiraPathAuthorize, url.Values{"oauth_token": {u.Query().Get("oauth_token")}, "deny": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	status, _, body := b.get(resp.Header.Get("Location"))
	if status != http.StatusBadRequest || !strings.Contains(body, "You declined") {
		t.Errorf("callback: got %d %q", status, body)
	}
	if e := <-errs; e.Kind != ginoauth.KindProviderDenied || e.Code != "access_denied" {
		t.Errorf("error: got %s %q, want provider_denied access_denied", e.Kind, e.Code)
	}
	if n := srv.Count(ginoauthtest.JiraPathAccessToken); n != 0 {
		t.Errorf("access-token requests after a denial: got %d, want 0", n)
	}
}
