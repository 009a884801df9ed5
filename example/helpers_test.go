package main

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	gin.DefaultWriter = io.Discard // no request log in test output
	os.Exit(m.Run())
}

// startApp serves a fresh app on a loopback port. edit, if not nil, changes
// the config first.
func startApp(t *testing.T, edit func(*config)) (*app, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil) // listening, so the URL is known
	cfg := config{
		BaseURL:    "http://" + ts.Listener.Addr().String(),
		DBPath:     filepath.Join(t.TempDir(), "example.db"),
		SessionKey: []byte(rand.Text()),
		TokenKey:   randomKey(),
	}
	if edit != nil {
		edit(&cfg)
	}
	a, err := newApp(context.Background(), cfg)
	if err != nil {
		ts.Close()
		t.Fatalf("newApp: %v", err)
	}
	ts.Config.Handler = a.Engine
	ts.Start()
	t.Cleanup(func() { ts.Close(); a.Close() })
	return a, ts
}

// visitor is a browser without JavaScript: a cookie jar that does not
// follow redirects by itself.
type visitor struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newVisitor(t *testing.T, ts *httptest.Server) *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: t, base: ts.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Status   int
	Location string
	Body     string
}

func (v *visitor) do(method, target string, form url.Values) page {
	v.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = v.base + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, target, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header.Get("Location"), string(b)}
}

func (v *visitor) get(target string) page { return v.do(http.MethodGet, target, nil) }

func (v *visitor) post(target string, form url.Values) page {
	return v.do(http.MethodPost, target, form)
}

// follow GETs target and every redirect after it, and returns the last page.
func (v *visitor) follow(target string) page {
	v.t.Helper()
	for range 10 {
		p := v.get(target)
		if p.Location == "" {
			return p
		}
		target = p.Location
	}
	v.t.Fatalf("too many redirects from %s", target)
	return page{}
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf reads the session's CSRF token from the home page.
func (v *visitor) csrf() string {
	v.t.Helper()
	m := csrfRE.FindStringSubmatch(v.get("/").Body)
	if m == nil {
		v.t.Fatal("no csrf_token on the home page")
	}
	return m[1]
}

// startLogin posts the login form and returns the provider's chooser page.
func (v *visitor) startLogin(provider string) page {
	v.t.Helper()
	p := v.post("/login/"+provider, url.Values{"csrf_token": {v.csrf()}})
	if p.Status != http.StatusFound || !strings.Contains(p.Location, "/"+provider+"-provider/authorize") {
		v.t.Fatalf("POST /login/%s: got %d to %q, want 302 to the provider", provider, p.Status, p.Location)
	}
	return v.get(p.Location)
}

var requestRE = regexp.MustCompile(`name="request" value="([^"]+)"`)

// answer submits the chooser page: a user ID, or "" to deny. It follows the
// redirects back into the app and returns the final page.
func (v *visitor) answer(chooser page, provider, userID string) page {
	v.t.Helper()
	m := requestRE.FindStringSubmatch(chooser.Body)
	if m == nil {
		v.t.Fatalf("no chooser form in the provider's page (status %d)", chooser.Status)
	}
	form := url.Values{"request": {m[1]}, "user": {userID}}
	if userID == "" {
		form = url.Values{"request": {m[1]}, "deny": {"1"}}
	}
	p := v.post("/"+provider+"-provider/authorize", form)
	if p.Location == "" {
		v.t.Fatalf("the provider did not redirect back (status %d)", p.Status)
	}
	return v.follow(p.Location)
}

// login logs in (or connects) provider as userID and returns the final page.
func (v *visitor) login(provider, userID string) page {
	v.t.Helper()
	return v.answer(v.startLogin(provider), provider, userID)
}

var userIDRE = regexp.MustCompile(`id="user-id">#(\d+)<`)

// localUser is the local user ID the home page shows, or "".
func (v *visitor) localUser() string {
	v.t.Helper()
	if m := userIDRE.FindStringSubmatch(v.get("/").Body); m != nil {
		return m[1]
	}
	return ""
}
