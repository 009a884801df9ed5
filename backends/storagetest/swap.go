package storagetest

// The cases of concurrent use: compare-and-swap, the refresh race,
// concurrent users.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
)

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
				if !cur.Same(seen) {
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
