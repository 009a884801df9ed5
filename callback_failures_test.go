package ginoauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
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

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
