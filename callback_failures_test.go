package ginoauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gsessions "github.com/gorilla/sessions"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/internal/testkit"
)

func TestCallbackFailures(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)

	t.Run("replayed state", func(t *testing.T) {
		b := newBrowser(t)
		cb := b.authorize(b.startLogin(a, ""))
		if p := b.get(cb); p.status != http.StatusFound {
			t.Fatalf("first callback: %d", p.status)
		}
		drain(a)
		p := b.get(cb)
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMissing || p.status != http.StatusBadRequest {
			t.Fatalf("replay: got %d, kind %s; want 400 state_missing", p.status, e.Kind)
		}
	})
	t.Run("mismatched state", func(t *testing.T) {
		b := newBrowser(t)
		cb, _ := url.Parse(b.authorize(b.startLogin(a, "")))
		q := cb.Query()
		q.Set("state", "forged-state-value")
		cb.RawQuery = q.Encode()
		p := b.get(cb.String())
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMismatch || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 state_mismatch", p.status, e.Kind)
		}
	})
	t.Run("callback without login", func(t *testing.T) {
		b := newBrowser(t)
		p := b.get(a.ts.URL + "/login/test/authorized?code=abc&state=xyz")
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMissing || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 state_missing", p.status, e.Kind)
		}
	})
	t.Run("provider denied", func(t *testing.T) {
		b := newBrowser(t)
		state := b.startLogin(a, "").Query().Get("state")
		p := b.get(a.ts.URL + "/login/test/authorized?error=access_denied&error_description=nope&state=" + state)
		e := nextError(t, a)
		if e.Kind != ginoauth.KindProviderDenied || e.Code != "access_denied" || e.Description != "nope" || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, %+v; want 400 provider_denied access_denied", p.status, e)
		}
		if !strings.Contains(p.body, "declined") {
			t.Errorf("page %q does not explain the denial", p.body)
		}
		// The state was consumed: a later callback with it fails.
		b.get(a.ts.URL + "/login/test/authorized?code=x&state=" + state)
		if e := nextError(t, a); e.Kind != ginoauth.KindStateMissing {
			t.Fatalf("state after denial: kind %s, want state_missing", e.Kind)
		}
	})
	t.Run("missing code", func(t *testing.T) {
		b := newBrowser(t)
		state := b.startLogin(a, "").Query().Get("state")
		p := b.get(a.ts.URL + "/login/test/authorized?state=" + state)
		if e := nextError(t, a); e.Kind != ginoauth.KindCodeMissing || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 code_missing", p.status, e.Kind)
		}
	})
	t.Run("expired login", func(t *testing.T) {
		srv2 := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv2.Close()
		var clk ginoauthtest.Clock
		a2 := newApp(t, srv2, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.LoginTimeout, c.Now = time.Minute, clk.Now })
		b := newBrowser(t)
		cb := b.authorize(b.startLogin(a2, ""))
		clk.Advance(time.Minute + time.Second)
		p := b.get(cb)
		if e := nextError(t, a2); e.Kind != ginoauth.KindStateMissing || p.status != http.StatusBadRequest {
			t.Fatalf("got %d, kind %s; want 400 state_missing", p.status, e.Kind)
		}
	})
}

func drain(a *app) { a.DrainErrors() }

func TestExchangeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(srv *ginoauthtest.Server)
		timeout  time.Duration
		wantCode string
	}{
		{"invalid grant", func(s *ginoauthtest.Server) {
			s.FailNext(ginoauthtest.PathToken, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"bad code"}`)
		}, 0, "invalid_grant"},
		{"server error", func(s *ginoauthtest.Server) {
			s.FailNext(ginoauthtest.PathToken, http.StatusInternalServerError, "oops")
		}, 0, ""},
		{"malformed json", func(s *ginoauthtest.Server) {
			s.FailNext(ginoauthtest.PathToken, http.StatusOK, `{"access_token":`)
		}, 0, ""},
		{"slow provider", func(s *ginoauthtest.Server) {
			s.SetLatency(ginoauthtest.PathToken, 5*time.Second)
		}, 200 * time.Millisecond, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
			defer srv.Close()
			a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
				if tt.timeout > 0 {
					c.HTTPClient = &http.Client{Timeout: tt.timeout}
				}
			})
			b := newBrowser(t)
			cb := b.authorize(b.startLogin(a, ""))
			tt.setup(srv)
			start := time.Now()
			p := b.get(cb)
			e := nextError(t, a)
			if e.Kind != ginoauth.KindExchangeFailed || p.status != http.StatusBadGateway || e.Code != tt.wantCode {
				t.Fatalf("got %d, kind %s code %q; want 502 exchange_failed %q", p.status, e.Kind, e.Code, tt.wantCode)
			}
			if tt.timeout > 0 && time.Since(start) > 3*time.Second {
				t.Errorf("slow provider: callback took %v, want about the %v timeout", time.Since(start), tt.timeout)
			}
			if got := b.get(a.ts.URL + "/token"); got.status != http.StatusNotFound {
				t.Errorf("a token was stored after a failed exchange")
			}
		})
	}
}

type failingStorage struct{ ginoauth.Storage }

func (s failingStorage) Ref(c *gin.Context, provider string) (ginoauth.TokenRef, error) {
	ref, err := s.Storage.Ref(c, provider)
	return failingRef{ref}, err
}

type failingRef struct{ ginoauth.TokenRef }

func (failingRef) Swap(context.Context, *ginoauth.Token, *ginoauth.Token) (*ginoauth.Token, error) {
	return nil, errors.New("database is down")
}

func TestStorageFailure(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
		c.Storage = failingStorage{&ginoauth.SessionStorage{}}
	})
	b := newBrowser(t)
	p := b.get(b.authorize(b.startLogin(a, "")))
	e := nextError(t, a)
	if e.Kind != ginoauth.KindStorageFailed || p.status != http.StatusServiceUnavailable {
		t.Fatalf("got %d, kind %s; want 503 storage_failed", p.status, e.Kind)
	}
	if strings.Contains(p.body, "database is down") {
		t.Errorf("page shows the internal error: %q", p.body)
	}
}

func TestMissingSessionMiddleware(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	var got *ginoauth.Error
	bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		Hooks: ginoauth.Hooks{Error: func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { got = err }}})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	bp.Register(r.Group("/login"))
	r.GET("/me", bp.Required(), func(c *gin.Context) { c.String(200, "me") })
	for _, path := range []string{"/login/test", "/login/test/authorized?code=a&state=b"} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusInternalServerError || got == nil || got.Kind != ginoauth.KindConfig || !errors.Is(got, ginoauth.ErrNoSession) {
			t.Fatalf("%s: got %d, %v; want 500 and a KindConfig error wrapping ErrNoSession", path, w.Code, got)
		}
		if !strings.Contains(got.Error(), "sessions.Sessions") {
			t.Errorf("error %q does not say how to fix it", got)
		}
	}
	// A protected route without sessions redirects to login rather than panicking.
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/me", nil))
	if w.Code != http.StatusFound {
		t.Fatalf("Required without sessions: got %d, want 302", w.Code)
	}
}

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

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
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
