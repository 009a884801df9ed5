package bench

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFlowsWork runs every benchmarked flow once per implementation and
// checks that it succeeds, and that the checks the benchmarks rely on catch
// a broken flow, so a broken benchmark fails in an ordinary test run.
// The subtests are sequential: goth's provider registry is process-wide.
func TestFlowsWork(t *testing.T) {
	for _, loopback := range []bool{false, true} {
		for _, impl := range Impls {
			name := string(impl) + "/canned"
			if loopback {
				name = string(impl) + "/loopback"
			}
			t.Run(name, func(t *testing.T) {
				opts := Options{Impl: impl, Loopback: loopback, Latency: time.Millisecond}
				t.Run("full", func(t *testing.T) { checkFullFlow(t, opts) })
				t.Run("gorm", func(t *testing.T) {
					o := opts
					o.Storage = GORMStorage
					o.DBPath = filepath.Join(t.TempDir(), "tokens.db")
					checkStoredToken(t, o)
				})
				t.Run("refresh", func(t *testing.T) {
					o := opts
					o.ShortLived = true
					checkRefresh(t, o)
				})
			})
		}
	}
}

func newHarness(t *testing.T, opts Options) *Harness {
	t.Helper()
	h, err := New(opts)
	if opts.Impl == Gothic && (opts.Storage == GORMStorage || opts.ShortLived) {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("New(%+v): got error %v, want ErrUnsupported", opts, err)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	t.Cleanup(h.Close)
	return h
}

func checkFullFlow(t *testing.T, opts Options) {
	h := newHarness(t, opts)
	br := h.NewBrowser()
	authURL, err := br.Login()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Contains(authURL, "code_challenge_method=S256"), opts.Impl != Gothic; got != want {
		t.Errorf("PKCE in the authorization URL: got %v, want %v", got, want)
	}
	cb, err := br.Authorize(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := br.Callback(cb); err != nil {
		t.Fatal(err)
	}
	if err := br.API(); err != nil {
		t.Fatal(err)
	}
	if br.CookieBytes == 0 {
		t.Errorf("got 0 Set-Cookie bytes, want the session cookies counted")
	}
	c := h.Provider.Counts()
	// The callback reads /user, the API call reads it once more.
	if c.Exchanges != 1 || c.APICalls != 2 {
		t.Errorf("provider counts: got %+v, want 1 exchange and 2 API calls", c)
	}

	// A replayed callback must fail: the state is single-use.
	if err := br.Callback(cb); err == nil {
		t.Errorf("replayed callback: got success, want a failure")
	}
	// A visitor who never logged in has no token.
	if err := h.NewBrowser().API(); err == nil {
		t.Errorf("API call without a login: got success, want a failure")
	}
	// FullFlow in one go, in a new browser.
	if err := h.NewBrowser().FullFlow(); err != nil {
		t.Fatal(err)
	}
}

func checkStoredToken(t *testing.T, opts Options) {
	h := newHarness(t, opts)
	if h == nil {
		return
	}
	br := h.NewBrowser()
	if err := br.LogIn(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := br.API(); err != nil {
			t.Fatal(err)
		}
	}
	// Another visitor does not see the first one's token.
	if err := h.NewBrowser().API(); err == nil {
		t.Errorf("API call without a login: got success, want a failure")
	}
}

func checkRefresh(t *testing.T, opts Options) {
	h := newHarness(t, opts)
	if h == nil {
		return
	}
	br := h.NewBrowser()
	if err := br.LogIn(); err != nil {
		t.Fatal(err)
	}
	before := h.Provider.Counts().Refreshes
	for i := range 3 {
		if err := br.RefreshingAPI(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := h.Provider.Counts().Refreshes - before; got != 3 {
		t.Errorf("got %d refreshes, want 3 (one per call, each with the rotated refresh token)", got)
	}
	// An old copy of the session holds a spent refresh token (a browser
	// that never got the answer to the refresh). The provider refuses it,
	// and the check notices; ginoauth's session storage instead picks up
	// the token that replaced it, with no second refresh.
	stale := h.NewBrowser()
	if err := stale.LogIn(); err != nil {
		t.Fatal(err)
	}
	saved := append(stale.cookies[:0:0], stale.cookies...)
	if err := stale.RefreshingAPI(); err != nil {
		t.Fatal(err)
	}
	stale.cookies = saved
	before = h.Provider.Counts().Refreshes
	err := stale.RefreshingAPI()
	switch {
	case opts.Impl != Ginoauth && err == nil:
		t.Errorf("API call with a spent refresh token: got success, want a failure")
	case opts.Impl == Ginoauth && opts.Storage == SessionStorage && err != nil:
		t.Errorf("API call with a session copy from before a refresh: %v, want the refreshed token picked up", err)
	case opts.Impl == Ginoauth && opts.Storage == SessionStorage && h.Provider.Counts().Refreshes != before:
		t.Errorf("the stale session copy cost another refresh")
	}
}
