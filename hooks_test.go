package ginoauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	gsessions "github.com/gorilla/sessions"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/internal/testkit"
)

func TestHooks(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()

	t.Run("before login sees the provider URL", func(t *testing.T) {
		var seen string
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.BeforeLogin = func(_ *gin.Context, bp *ginoauth.Blueprint, authURL string) error {
				seen = bp.Name() + " " + authURL
				return nil
			}
		})
		u := newBrowser(t).startLogin(a, "")
		if seen != "test "+u.String() {
			t.Fatalf("hook saw %q, want %q", seen, "test "+u.String())
		}
	})
	t.Run("before login error", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.BeforeLogin = func(*gin.Context, *ginoauth.Blueprint, string) error { return errors.New("no") }
		})
		p := newBrowser(t).get(a.ts.URL + "/login/test")
		if e := nextError(t, a); e.Kind != ginoauth.KindHookFailed || p.status != http.StatusInternalServerError {
			t.Fatalf("got %d, %s; want 500 hook_failed", p.status, e.Kind)
		}
	})
	t.Run("skip store", func(t *testing.T) {
		var hookSaw string
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Authorized = func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				// The new token is usable inside the hook before it is stored.
				p, err := bp.Profile(c)
				if err != nil {
					return err
				}
				hookSaw = p.ID
				return ginoauth.ErrSkipStore
			}
		})
		b := newBrowser(t)
		p := b.get(b.authorize(b.startLogin(a, "")))
		if p.status != http.StatusFound || hookSaw != "1001" {
			t.Fatalf("got %d, hook saw profile %q; want 302 and alice", p.status, hookSaw)
		}
		if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
			t.Fatal("token stored despite ErrSkipStore")
		}
	})
	t.Run("response takeover", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Authorized = func(c *gin.Context, _ *ginoauth.Blueprint, _ *ginoauth.Token) error {
				c.String(http.StatusTeapot, "welcome")
				return nil
			}
		})
		b := newBrowser(t)
		cb := b.authorize(b.startLogin(a, ""))
		p := b.get(cb)
		if p.status != http.StatusTeapot || p.body != "welcome" {
			t.Fatalf("got %d %q, want the hook's 418", p.status, p.body)
		}
		if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
			t.Fatal("token stored although the hook answered")
		}
		// The session went out with the hook's answer, its login consumed.
		if again := b.get(cb); again.status != http.StatusBadRequest {
			t.Fatalf("the callback again after the hook answered: got %d, want 400", again.status)
		}
	})
	t.Run("abort without an answer", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Authorized = func(c *gin.Context, _ *ginoauth.Blueprint, _ *ginoauth.Token) error {
				c.Abort()
				return nil
			}
		})
		b := newBrowser(t)
		cb := b.authorize(b.startLogin(a, ""))
		b.get(cb)
		if again := b.get(cb); again.status != http.StatusBadRequest {
			t.Fatalf("the callback again after the hook aborted: got %d, want 400", again.status)
		}
	})
	t.Run("one session save with a hook", func(t *testing.T) {
		store := &countingStore{Store: testkit.CookieStore()}
		p := srv.Provider()
		cfg := ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
			Hooks: ginoauth.Hooks{Authorized: func(c *gin.Context, _ *ginoauth.Blueprint, _ *ginoauth.Token) error {
				sessions.Default(c).Set("seen", "yes")
				return nil
			}}}
		a := testkit.NewApp(t, cfg, func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) { return ginoauth.New(p, cfg) }, store, nil)
		b := testkit.NewBrowser(t, nil)
		cb := testkit.Approve(b, a.StartLogin(b, ""))
		before := store.saves.Load()
		if p := b.Get(cb.String()); p.Status != http.StatusFound {
			t.Fatalf("callback: %d %q", p.Status, p.Body)
		}
		if n := store.saves.Load() - before; n != 1 {
			t.Fatalf("the callback saved the session %d times, want once", n)
		}
	})
	t.Run("authorized error", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Authorized = func(*gin.Context, *ginoauth.Blueprint, *ginoauth.Token) error { return errors.New("rejected") }
		})
		b := newBrowser(t)
		p := b.get(b.authorize(b.startLogin(a, "")))
		if e := nextError(t, a); e.Kind != ginoauth.KindHookFailed || p.status != http.StatusInternalServerError {
			t.Fatalf("got %d %s; want 500 hook_failed", p.status, e.Kind)
		}
		if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
			t.Fatal("token stored although the hook failed")
		}
	})
	t.Run("error hook page", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
			c.Hooks.Error = func(c *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) {
				c.String(http.StatusOK, "custom "+string(err.Kind))
			}
		})
		b := newBrowser(t)
		p := b.get(a.ts.URL + "/login/test/authorized?error=access_denied&state=" + b.startLogin(a, "").Query().Get("state"))
		if p.status != http.StatusOK || p.body != "custom provider_denied" {
			t.Fatalf("got %d %q, want the hook's page", p.status, p.body)
		}
	})
	t.Run("failure url", func(t *testing.T) {
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.FailureURL = "/oops" })
		b := newBrowser(t)
		p := b.get(a.ts.URL + "/login/test/authorized?error=access_denied&state=" + b.startLogin(a, "").Query().Get("state"))
		if p.status != http.StatusFound || p.location != a.ts.URL+"/oops?error=provider_denied" {
			t.Fatalf("got %d to %q, want 302 to /oops?error=provider_denied", p.status, p.location)
		}
	})
	t.Run("shared hooks know their blueprint", func(t *testing.T) {
		var mu sync.Mutex
		var names []string
		shared := ginoauth.Hooks{Authorized: func(_ *gin.Context, bp *ginoauth.Blueprint, _ *ginoauth.Token) error {
			mu.Lock()
			names = append(names, bp.Name())
			mu.Unlock()
			return nil
		}}
		a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.Hooks = shared })
		second, err := ginoauth.New(srv.Provider(), ginoauth.Config{Name: "second", ClientID: srv.ClientID(),
			ClientSecret: srv.ClientSecret(), Hooks: shared})
		if err != nil {
			t.Fatal(err)
		}
		second.Register(a.engine.Group("/login"))
		b := newBrowser(t)
		b.login(a)
		p := b.get(a.ts.URL + "/login/second")
		b.follow(b.authorize(mustParse(t, p.location)))
		if fmt.Sprint(names) != "[test second]" {
			t.Fatalf("hook calls %v, want [test second]", names)
		}
	})
}

// countingStore counts the sessions it saves. Its sessions are its own
// (Get and New), so that their Save comes back to it.
type countingStore struct {
	sessions.Store
	saves atomic.Int32
}

func (s *countingStore) Get(r *http.Request, name string) (*gsessions.Session, error) {
	return gsessions.GetRegistry(r).Get(s, name)
}

func (s *countingStore) New(r *http.Request, name string) (*gsessions.Session, error) {
	inner, err := s.Store.New(r, name)
	sess := gsessions.NewSession(s, name)
	if inner != nil {
		sess.ID, sess.Values, sess.Options, sess.IsNew = inner.ID, inner.Values, inner.Options, inner.IsNew
	}
	return sess, err
}

func (s *countingStore) Save(r *http.Request, w http.ResponseWriter, sess *gsessions.Session) error {
	s.saves.Add(1)
	return s.Store.Save(r, w, sess)
}
