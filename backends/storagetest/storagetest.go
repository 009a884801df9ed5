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
	"sync/atomic"
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
	if err == nil && !ginoauth.SameToken(got, tok) {
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

func testSwap(t *testing.T, e *env) {
	old := sample("v1")
	if err := e.set("alice", "github", old); err != nil {
		t.Fatal(err)
	}
	// A swap from the stored token wins.
	got, err := e.swap("alice", "github", sample("v1"), sample("v2"))
	if err != nil || got == nil || got.AccessToken != "v2" {
		t.Fatalf("Swap(v1->v2): got %v, %v; want v2", got, err)
	}
	// A swap from a stale token loses and returns the stored one.
	got, err = e.swap("alice", "github", old, sample("v3"))
	if err != nil || got == nil || got.AccessToken != "v2" {
		t.Fatalf("stale Swap(v1->v3): got %v, %v; want the stored v2", got, err)
	}
	if cur, _ := e.get("alice", "github"); cur == nil || cur.AccessToken != "v2" {
		t.Fatalf("after a stale swap the storage holds %v, want v2", cur)
	}
	// A token with the same access token but another refresh token is not
	// the stored one either.
	other := sample("v2")
	other.RefreshToken = "another"
	if got, err = e.swap("alice", "github", other, sample("v4")); err != nil || got == nil || got.AccessToken != "v2" {
		t.Fatalf("Swap from a token with another refresh token: got %v, %v; want the stored v2", got, err)
	}
	// A swap into an empty slot with an old token stores nothing.
	if got, err = e.swap("bob", "github", old, sample("b2")); err != nil || got != nil {
		t.Fatalf("Swap(old->new) on an empty slot: got %v, %v; want nil, nil", got, err)
	}
	if _, err := e.get("bob", "github"); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Fatalf("a swap from a token that is not there stored one: %v", err)
	}
}

func testSwapDelete(t *testing.T, e *env) {
	if err := e.set("alice", "github", sample("v1")); err != nil {
		t.Fatal(err)
	}
	// Deleting a token that was replaced meanwhile loses.
	got, err := e.swap("alice", "github", sample("v0"), nil)
	if err != nil || got == nil || got.AccessToken != "v1" {
		t.Fatalf("stale Swap(v0->nil): got %v, %v; want the stored v1", got, err)
	}
	if got, err = e.swap("alice", "github", sample("v1"), nil); err != nil || got != nil {
		t.Fatalf("Swap(v1->nil): got %v, %v; want nil, nil", got, err)
	}
	if _, err := e.get("alice", "github"); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Fatalf("Load after Swap(v1->nil): got %v, want ErrNoToken", err)
	}
}

// testConcurrentSwaps races refreshes of one token, in separate requests
// (as app instances would): exactly one swap may win, and every other must
// return the winner's token.
func testConcurrentSwaps(t *testing.T, e *env) {
	if !e.shared {
		t.Skip("SessionScoped: each request swaps its own copy")
	}
	const n = 8
	if err := e.set("alice", "github", sample("v1")); err != nil {
		t.Fatal(err)
	}
	results := make([]*ginoauth.Token, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.swap("alice", "github", sample("v1"), sample(fmt.Sprintf("r%d", i)))
		}()
	}
	wg.Wait()
	stored, err := e.get("alice", "github")
	if err != nil {
		t.Fatal(err)
	}
	wins := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("swap %d: %v", i, errs[i])
		}
		if results[i] == nil || results[i].AccessToken != stored.AccessToken {
			t.Errorf("swap %d returned %v; every swap must return the stored %q", i, results[i], stored.AccessToken)
		}
		if results[i] != nil && results[i].AccessToken == fmt.Sprintf("r%d", i) {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d swaps from the same token won, want exactly 1", wins)
	}
}

// testRefreshRace runs the blueprint's refresh protocol in concurrent
// requests of one user: lock, reload, refresh only if nobody replaced the
// token, swap. Exactly one request may refresh, and all must end with its
// token.
func testRefreshRace(t *testing.T, e *env) {
	if _, ok := e.refOf("alice", "github").(ginoauth.RefreshLocker); !ok {
		t.Skip("storage has no ginoauth.RefreshLocker")
	}
	const n = 8
	if err := e.set("alice", "github", sample("v1")); err != nil {
		t.Fatal(err)
	}
	var refreshes atomic.Int32
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.withRef("alice", "github", func(ctx context.Context, ref ginoauth.TokenRef) error {
				seen, err := ref.Load(ctx)
				if err != nil {
					return err
				}
				if seen.AccessToken != "v1" {
					// This request started after a refresh: only v1 is
					// expired.
					results[i] = seen.AccessToken
					return nil
				}
				unlock, err := ref.(ginoauth.RefreshLocker).LockRefresh(ctx, seen)
				if err != nil {
					return err
				}
				defer unlock()
				cur, err := ref.Load(ctx)
				if err != nil {
					return err
				}
				if !ginoauth.SameToken(cur, seen) {
					results[i] = cur.AccessToken
					return nil
				}
				refreshes.Add(1)
				got, err := ref.Swap(ctx, cur, sample(fmt.Sprintf("r%d", i)))
				if err != nil {
					return err
				}
				results[i] = got.AccessToken
				return nil
			})
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if got := refreshes.Load(); got != 1 {
		t.Errorf("%d requests refreshed the token, want 1", got)
	}
	for i := 1; i < n; i++ {
		if results[i] != results[0] {
			t.Fatalf("requests ended with different tokens: %q", results)
		}
	}
	if cur, err := e.get("alice", "github"); err != nil || cur.AccessToken != results[0] {
		t.Errorf("stored after the race: %v, %v; want %q", cur, err, results[0])
	}
}

// refOf returns a slot of user's made in a request, for type checks.
func (e *env) refOf(user, provider string) ginoauth.TokenRef {
	var ref ginoauth.TokenRef
	e.do(user, func(c *gin.Context) { ref, _ = e.st.Ref(c, provider) })
	return ref
}

// testDetached uses a slot after its request's context has ended, as a
// refresh does when the client disconnects mid-request: the slot must not
// depend on the request's context.
func testDetached(t *testing.T, e *env) {
	if err := e.set("alice", "github", sample("v1")); err != nil {
		t.Fatal(err)
	}
	var got *ginoauth.Token
	var err error
	e.do("alice", func(c *gin.Context) {
		ctx, cancel := context.WithCancel(c.Request.Context())
		cancel()
		c.Request = c.Request.WithContext(ctx) // the client went away
		ref, rerr := e.st.Ref(c, "github")
		if rerr != nil {
			err = rerr
			return
		}
		got, err = ref.Swap(context.Background(), sample("v1"), sample("v2"))
	})
	if err != nil || got == nil || got.AccessToken != "v2" {
		t.Fatalf("Swap after the request's context ended: got %v, %v; want v2", got, err)
	}
	if cur, err := e.get("alice", "github"); err != nil || cur.AccessToken != "v2" {
		t.Fatalf("after a detached swap the storage holds %v, %v; want v2", cur, err)
	}
}

func testConcurrent(t *testing.T, e *env) {
	const users, rounds = 8, 5
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("user%d", u)
			for r := range rounds {
				want := sample(fmt.Sprintf("%s-%d", user, r))
				if err := e.set(user, "github", want); err != nil {
					t.Errorf("%s SetToken: %v", user, err)
					return
				}
				got, err := e.get(user, "github")
				if err != nil {
					t.Errorf("%s Token: %v", user, err)
					return
				}
				if got.AccessToken != want.AccessToken {
					t.Errorf("%s read %q, want %q (tokens crossed users)", user, got.AccessToken, want.AccessToken)
				}
			}
		}()
	}
	wg.Wait()
}
