// Package storagetest is the conformance suite for [ginoauth.Storage]
// implementations. Every storage in this module runs it, and so should the
// ones applications write:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storagetest.Harness {
//			return storagetest.Harness{Storage: mystore.New(...)}
//		})
//	}
//
// The suite drives the storage through real Gin requests. Each simulated
// user has its own cookie jar (so session-based storages see one session
// per user) and sends its name, which Harness.Middleware can turn into
// whatever the storage uses to identify the local user ([User] reads it).
package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
)

// Harness is one fresh storage under test and what it needs in front of it.
type Harness struct {
	// Storage is the storage under test. Required. Each call of the
	// suite's constructor must return a storage with no tokens in it, or
	// one isolated from the other calls' (a fresh table or key prefix).
	Storage ginoauth.Storage
	// Middleware runs before each request, after the session middleware;
	// it typically identifies the user from User(c). Optional.
	Middleware []gin.HandlerFunc
	// Sessions replaces the default session middleware (a cookie store).
	// Optional.
	Sessions gin.HandlerFunc
	// SessionScoped says the storage keeps the token in the request's
	// session: concurrent requests of one browser each hold their own copy,
	// so a compare-and-swap cannot see the others' writes. The suite then
	// skips the concurrent compare-and-swap test; the refresh race test,
	// which goes through the storage's RefreshLocker, still runs.
	SessionScoped bool
}

const userHeader = "X-Storagetest-User"

// User returns the simulated user of a suite request ("" for none).
func User(c *gin.Context) string { return c.GetHeader(userHeader) }

// Run runs the conformance suite. newHarness is called once per sub-test.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	tests := []struct {
		name string
		fn   func(t *testing.T, h *env)
	}{
		{"Absent", testAbsent},
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"ProviderIsolation", testProviderIsolation},
		{"UserIsolation", testUserIsolation},
		{"ReturnedTokenIsACopy", testCopy},
		{"Swap", testSwap},
		{"SwapDelete", testSwapDelete},
		{"ConcurrentSwapsOneWins", testConcurrentSwaps},
		{"RefreshRace", testRefreshRace},
		{"DetachedFromRequest", testDetached},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if h.Storage == nil {
				t.Fatal("storagetest: Harness.Storage is nil")
			}
			tc.fn(t, newEnv(t, h))
		})
	}
}

// env runs storage calls inside real requests.
type env struct {
	t      *testing.T
	st     ginoauth.Storage
	srv    *httptest.Server
	mu     sync.Mutex
	jars   map[string]http.CookieJar
	calls  sync.Map // id -> func(*gin.Context)
	nextID int
	shared bool // concurrent requests share the slot (not SessionScoped)
}

func newEnv(t *testing.T, h Harness) *env {
	e := &env{t: t, st: h.Storage, jars: map[string]http.CookieJar{}, shared: !h.SessionScoped}
	r := gin.New()
	if h.Sessions != nil {
		r.Use(h.Sessions)
	} else {
		store := cookie.NewStore([]byte("storagetest-authentication-key-0"), []byte("storagetest-encryption-key-01234"))
		r.Use(sessions.Sessions("storagetest", store))
	}
	r.Use(h.Middleware...)
	r.GET("/call/:id", func(c *gin.Context) {
		fn, ok := e.calls.LoadAndDelete(c.Param("id"))
		if !ok {
			c.Status(http.StatusNotFound)
			return
		}
		fn.(func(*gin.Context))(c)
		if !c.Writer.Written() {
			c.Status(http.StatusNoContent)
		}
	})
	e.srv = httptest.NewServer(r)
	t.Cleanup(e.srv.Close)
	return e
}

// do runs fn in a request made as user.
func (e *env) do(user string, fn func(c *gin.Context)) {
	e.t.Helper()
	e.mu.Lock()
	jar, ok := e.jars[user]
	if !ok {
		jar, _ = cookiejar.New(nil)
		e.jars[user] = jar
	}
	e.nextID++
	id := fmt.Sprint(e.nextID)
	e.mu.Unlock()
	done := make(chan struct{})
	e.calls.Store(id, func(c *gin.Context) { defer close(done); fn(c) })
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/call/"+url.PathEscape(id), nil)
	if user != "" {
		req.Header.Set(userHeader, user)
	}
	resp, err := (&http.Client{Jar: jar}).Do(req)
	if err != nil {
		e.t.Errorf("storagetest: request: %v", err)
		return
	}
	resp.Body.Close()
	<-done
}

// withRef runs fn with user's token slot for provider, in a request.
func (e *env) withRef(user, provider string, fn func(ctx context.Context, ref ginoauth.TokenRef) error) error {
	var err error
	e.do(user, func(c *gin.Context) {
		ref, rerr := e.st.Ref(c, provider)
		if rerr != nil {
			err = fmt.Errorf("storage Ref: %w", rerr)
			return
		}
		err = fn(c.Request.Context(), ref)
	})
	return err
}

func (e *env) get(user, provider string) (*ginoauth.Token, error) {
	var t *ginoauth.Token
	err := e.withRef(user, provider, func(ctx context.Context, ref ginoauth.TokenRef) error {
		var err error
		t, err = ref.Load(ctx)
		return err
	})
	return t, err
}

func (e *env) swap(user, provider string, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	var got *ginoauth.Token
	err := e.withRef(user, provider, func(ctx context.Context, ref ginoauth.TokenRef) error {
		var err error
		got, err = ref.Swap(ctx, old, new)
		return err
	})
	return got, err
}

func (e *env) set(user, provider string, tok *ginoauth.Token) error {
	got, err := e.swap(user, provider, nil, tok)
	if err == nil && !got.Same(tok) {
		return fmt.Errorf("Swap(nil, %q) returned %v, want the new token", tok.AccessToken, got)
	}
	return err
}

func (e *env) del(user, provider string) error {
	got, err := e.swap(user, provider, nil, nil)
	if err == nil && got != nil {
		return fmt.Errorf("Swap(nil, nil) returned %v, want nil", got)
	}
	return err
}

// sample is a token with every field set.
func sample(access string) *ginoauth.Token {
	return &ginoauth.Token{
		AccessToken:  access,
		TokenType:    "Bearer",
		RefreshToken: "refresh-" + access,
		Expiry:       time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC),
		Scopes:       []string{"read:user", "user:email"},
		IDToken:      "header.payload.signature",
		Secret:       "oauth1-secret",
		Extra: map[string]any{
			"team":   map[string]any{"id": "T123", "name": "Example"},
			"count":  float64(3),
			"active": true,
		},
	}
}

// sameToken compares two tokens field by field (times by instant, Extra by
// its JSON form, since storages round-trip it through JSON).
func sameToken(got, want *ginoauth.Token) error {
	if got == nil {
		return errors.New("got nil token")
	}
	if got.AccessToken != want.AccessToken || got.TokenType != want.TokenType ||
		got.RefreshToken != want.RefreshToken || got.IDToken != want.IDToken || got.Secret != want.Secret {
		return fmt.Errorf("got %v (access %q), want %v (access %q)", got, got.AccessToken, want, want.AccessToken)
	}
	if !got.Expiry.Equal(want.Expiry) {
		return fmt.Errorf("got expiry %v, want %v", got.Expiry, want.Expiry)
	}
	if fmt.Sprint(got.Scopes) != fmt.Sprint(want.Scopes) {
		return fmt.Errorf("got scopes %v, want %v", got.Scopes, want.Scopes)
	}
	gj, _ := json.Marshal(got.Extra)
	wj, _ := json.Marshal(want.Extra)
	if string(gj) != string(wj) {
		return fmt.Errorf("got extra %s, want %s", gj, wj)
	}
	return nil
}

func testAbsent(t *testing.T, e *env) {
	if tok, err := e.get("alice", "github"); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Fatalf("Token on empty storage: got %v, %v; want ErrNoToken", tok, err)
	}
	if err := e.del("alice", "github"); err != nil {
		t.Fatalf("DeleteToken of an absent token: got %v, want nil", err)
	}
}

func testRoundTrip(t *testing.T, e *env) {
	want := sample("a1")
	if err := e.set("alice", "github", want); err != nil {
		t.Fatalf("SetToken: %v", err)
	}
	got, err := e.get("alice", "github")
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if err := sameToken(got, want); err != nil {
		t.Fatal(err)
	}
	// A minimal token round-trips too.
	min := &ginoauth.Token{AccessToken: "only"}
	if err := e.set("alice", "gitlab", min); err != nil {
		t.Fatalf("SetToken minimal: %v", err)
	}
	got, err = e.get("alice", "gitlab")
	if err != nil {
		t.Fatalf("Token minimal: %v", err)
	}
	if err := sameToken(got, min); err != nil {
		t.Fatal(err)
	}
}

func testOverwrite(t *testing.T, e *env) {
	if err := e.set("alice", "github", sample("first")); err != nil {
		t.Fatal(err)
	}
	want := sample("second")
	want.RefreshToken = ""
	if err := e.set("alice", "github", want); err != nil {
		t.Fatal(err)
	}
	got, err := e.get("alice", "github")
	if err != nil {
		t.Fatal(err)
	}
	if err := sameToken(got, want); err != nil {
		t.Fatalf("after overwrite: %v", err)
	}
}

func testDelete(t *testing.T, e *env) {
	if err := e.set("alice", "github", sample("a1")); err != nil {
		t.Fatal(err)
	}
	if err := e.set("alice", "google", sample("g1")); err != nil {
		t.Fatal(err)
	}
	if err := e.del("alice", "github"); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	if _, err := e.get("alice", "github"); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Fatalf("Token after delete: got err %v, want ErrNoToken", err)
	}
	if got, err := e.get("alice", "google"); err != nil || got.AccessToken != "g1" {
		t.Fatalf("other provider after delete: got %v, %v; want g1", got, err)
	}
	if err := e.del("alice", "github"); err != nil {
		t.Fatalf("second DeleteToken: got %v, want nil", err)
	}
}

func testProviderIsolation(t *testing.T, e *env) {
	for _, p := range []string{"github", "google", "github-enterprise"} {
		if err := e.set("alice", p, sample("tok-"+p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"github", "google", "github-enterprise"} {
		got, err := e.get("alice", p)
		if err != nil || got.AccessToken != "tok-"+p {
			t.Errorf("provider %s: got %v, %v; want tok-%s", p, got, err, p)
		}
	}
}

func testUserIsolation(t *testing.T, e *env) {
	if err := e.set("alice", "github", sample("alice-token")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.get("bob", "github"); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Fatalf("bob sees a token before logging in: err %v", err)
	}
	if err := e.set("bob", "github", sample("bob-token")); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.get("alice", "github"); got == nil || got.AccessToken != "alice-token" {
		t.Fatalf("alice's token after bob's login: got %v, want alice-token", got)
	}
	if err := e.del("bob", "github"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.get("alice", "github"); got == nil || got.AccessToken != "alice-token" {
		t.Fatalf("alice's token after bob's delete: got %v, want alice-token", got)
	}
}

func testCopy(t *testing.T, e *env) {
	in := sample("c1")
	if err := e.set("alice", "github", in); err != nil {
		t.Fatal(err)
	}
	in.Extra["team"] = "changed by caller"
	in.AccessToken = "mutated"
	got, err := e.get("alice", "github")
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != "c1" {
		t.Fatalf("stored token changed with the caller's value: got %q, want c1", got.AccessToken)
	}
	got.Extra["team"] = "changed by reader"
	got.Scopes[0] = "changed"
	again, _ := e.get("alice", "github")
	if err := sameToken(again, sample("c1")); err != nil {
		t.Fatalf("stored token changed through a returned copy: %v", err)
	}
}
