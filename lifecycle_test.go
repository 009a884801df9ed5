package ginoauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// Regression tests of the token lifecycle: load, refresh, save, drop.

// ctxRef is a token slot that, like a database, fails once the context of
// a call has ended.
type ctxRef struct{ ginoauth.TokenRef }

func (r ctxRef) Load(ctx context.Context) (*ginoauth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.TokenRef.Load(ctx)
}

func (r ctxRef) Swap(ctx context.Context, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.TokenRef.Swap(ctx, old, new)
}

type ctxStorage struct{ *memory.Storage }

func (s ctxStorage) Ref(c *gin.Context, provider string) (ginoauth.TokenRef, error) {
	ref, err := s.Storage.Ref(c, provider)
	return ctxRef{ref}, err
}

// disconnecter is the app's HTTP transport to the provider: when armed, it
// cancels the browser's request right after the provider answered a
// refresh, as a browser that goes away at that moment does.
type disconnecter struct {
	armed  atomic.Bool
	cancel atomic.Pointer[context.CancelFunc]
}

func (d *disconnecter) RoundTrip(r *http.Request) (*http.Response, error) {
	refresh := false
	if r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			raw, _ := io.ReadAll(body)
			refresh = strings.Contains(string(raw), "grant_type=refresh_token")
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if refresh && err == nil && d.armed.Load() {
		if cancel := d.cancel.Load(); cancel != nil {
			(*cancel)()
		}
	}
	return resp, err
}

// TestDisconnectAfterRefreshKeepsRotatedToken (item 1): the browser goes
// away right after the provider answered a refresh that rotated the
// refresh token. The new token must still be saved, under a context of its
// own: the next request works without a new login or a second refresh.
func TestDisconnectAfterRefreshKeepsRotatedToken(t *testing.T) {
	t.Parallel()
	clk := &ginoauthtest.Clock{}
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true})
	defer srv.Close()
	srv.SetClock(clk.Now)
	d := &disconnecter{}
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) {
		c.Now = clk.Now
		c.HTTPClient = &http.Client{Transport: d}
		c.Storage = ctxStorage{memory.New(memory.Config{})}
	})
	a.engine.Handlers = append(gin.HandlersChain{func(c *gin.Context) {
		ctx, cancel := context.WithCancel(c.Request.Context())
		defer cancel()
		d.cancel.Store(&cancel)
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}}, a.engine.Handlers...)
	a.engine.GET("/call", func(c *gin.Context) { // the API call runs under the request's context
		client, err := a.bp.Client(c)
		if err != nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		req, _ := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, "whoami", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	b := newBrowser(t)
	if p := b.login(a); p.status != http.StatusOK {
		t.Fatalf("login: got %d", p.status)
	}
	before := b.get(a.ts.URL + "/token").body
	clk.Advance(2 * time.Hour)
	d.armed.Store(true)
	b.get(a.ts.URL + "/call") // canceled mid-way: its answer does not matter
	d.armed.Store(false)
	if got := srv.Grants("refresh_token"); got != 1 {
		t.Fatalf("refresh grants: got %d, want 1", got)
	}
	if after := b.get(a.ts.URL + "/token").body; after == before {
		t.Fatal("the refreshed token was not saved by the request that refreshed it")
	}
	if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusOK {
		t.Fatalf("next request after the disconnect: got %d %q, want 200 (the rotated token was lost)", p.status, p.body)
	}
	if got := srv.Grants("refresh_token"); got != 1 {
		t.Errorf("refresh grants after the next request: got %d, want still 1", got)
	}
}

// TestShortLivedTokenRefreshedOncePerExpiry (item 2): a token that lives
// 2 seconds is not refreshed again right after it was issued: one
// handler's Profile and API call after its expiry cost one refresh and
// one Set-Cookie, and Refresh returns a token that is valid.
func TestShortLivedTokenRefreshedOncePerExpiry(t *testing.T) {
	t.Parallel()
	clk := &ginoauthtest.Clock{}
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true, AccessTokenTTL: 2 * time.Second})
	defer srv.Close()
	srv.SetClock(clk.Now)
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.Now = clk.Now })
	a.engine.GET("/both", func(c *gin.Context) {
		if _, err := a.bp.Profile(c); err != nil {
			c.String(http.StatusBadGateway, "profile: %v", err)
			return
		}
		client, _ := a.bp.Client(c)
		resp, err := client.Get("whoami")
		if err != nil {
			c.String(http.StatusBadGateway, "api: %v", err)
			return
		}
		resp.Body.Close()
		c.Status(resp.StatusCode)
	})
	a.engine.GET("/refresh", func(c *gin.Context) {
		tok, err := a.bp.Refresh(c)
		if err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		c.String(http.StatusOK, "%v", tok.Expiry.After(clk.Now().Add(time.Second)))
	})
	b := newBrowser(t)
	if p := b.login(a); p.status != http.StatusOK {
		t.Fatalf("login: got %d", p.status)
	}
	if p := b.get(a.ts.URL + "/both"); p.status != http.StatusOK {
		t.Fatalf("/both: %d %q", p.status, p.body)
	}
	if got := srv.Grants("refresh_token"); got != 0 {
		t.Fatalf("a just-issued 2 s token was refreshed %d times, want 0", got)
	}
	for i := 1; i <= 3; i++ {
		clk.Advance(1600 * time.Millisecond) // past the 0.5 s early expiry
		resp, err := b.Client().Get(a.ts.URL + "/both")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/both after expiry %d: %d", i, resp.StatusCode)
		}
		if got := srv.Grants("refresh_token"); got != i {
			t.Fatalf("after expiry %d: %d refreshes, want %d (one per expiry)", i, got, i)
		}
		// The session cookie, and the refreshed ID token's own cookie:
		// each once.
		names := map[string]int{}
		for _, c := range resp.Cookies() {
			names[c.Name]++
		}
		if len(names) != 2 || len(resp.Header.Values("Set-Cookie")) != 2 {
			t.Errorf("after expiry %d: Set-Cookie %v, want the session and the ID token once each", i, names)
		}
	}
	if p := b.get(a.ts.URL + "/refresh"); p.body != "true" {
		t.Errorf("Refresh returned a token that expires within a second: %q", p.body)
	}
}

// revokedApp is an app whose provider's API answers every request with
// status and header once revoked is set.
func revokedApp(t *testing.T, status int, header string, forbiddenMeansRevoked bool) (*app, *ginoauthtest.Server, *atomic.Bool) {
	t.Helper()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	t.Cleanup(srv.Close)
	var revoked atomic.Bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if revoked.Load() {
			if header != "" {
				w.Header().Set("WWW-Authenticate", header)
			}
			w.WriteHeader(status)
			return
		}
		resp, err := srv.Client().Get(srv.URL + "/api/whoami?" + url.Values{"access_token": {strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}}.Encode())
		if err == nil {
			resp.Body.Close()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(api.Close)
	a := newApp(t, srv, func(_ *ginoauth.Config, p *ginoauth.Provider) {
		p.APIBaseURL = api.URL
		p.ForbiddenMeansRevoked = forbiddenMeansRevoked
	})
	return a, srv, &revoked
}

// TestRevokedTokenEndsInReauth (item 3): an API answer that says the token
// is dead gets one refresh; when the provider refuses it, the call fails
// with KindReauthRequired, the token is dropped and Required sends the
// user to log in. A 403 counts only with WWW-Authenticate invalid_token
// or for a provider that says so.
func TestRevokedTokenEndsInReauth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		status    int
		header    string
		forbidden bool
		dead      bool
	}{
		{"401", http.StatusUnauthorized, "", false, true},
		{"403 invalid_token", http.StatusForbidden, `Bearer error="invalid_token"`, false, true},
		{"403 ForbiddenMeansRevoked", http.StatusForbidden, "", true, true},
		{"403 insufficient_scope", http.StatusForbidden, `Bearer error="insufficient_scope"`, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, srv, revoked := revokedApp(t, tc.status, tc.header, tc.forbidden)
			b := newBrowser(t)
			if p := b.login(a); p.status != http.StatusOK {
				t.Fatalf("login: got %d", p.status)
			}
			srv.RevokeAll()
			revoked.Store(true)
			p := b.get(a.ts.URL + "/whoami")
			if !tc.dead {
				if p.status != tc.status || srv.Grants("refresh_token") != 0 {
					t.Fatalf("got %d with %d refreshes, want the provider's %d passed through and no refresh", p.status, srv.Grants("refresh_token"), tc.status)
				}
				return
			}
			if p.status != http.StatusUnauthorized || p.body != "reauth" {
				t.Fatalf("API call with a revoked token: got %d %q, want KindReauthRequired", p.status, p.body)
			}
			if got := srv.Grants("refresh_token"); got != 1 {
				t.Errorf("refresh attempts: got %d, want 1", got)
			}
			if p := b.get(a.ts.URL + "/token"); p.status != http.StatusNotFound {
				t.Errorf("the dead token is still stored: %d %q", p.status, p.body)
			}
			if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusFound || !strings.Contains(p.location, "/login/test") {
				t.Errorf("Required after the drop: got %d %q, want a redirect to the login", p.status, p.location)
			}
		})
	}
}

// TestProfileErrorsAreTyped (item 3): a failing profile request is an
// *Error of kind KindProfileFailed with the provider's status; a revoked
// token makes Profile fail with KindReauthRequired.
func TestProfileErrorsAreTyped(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	errs := make(chan error, 2)
	a := newApp(t, srv)
	a.engine.GET("/profile", func(c *gin.Context) {
		_, err := a.bp.Profile(c)
		errs <- err
	})
	b := newBrowser(t)
	b.login(a)
	srv.FailNext(ginoauthtest.PathUserinfo, http.StatusServiceUnavailable, "")
	b.get(a.ts.URL + "/profile")
	err := <-errs
	if e, ok := errors.AsType[*ginoauth.Error](err); !ok || e.Kind != ginoauth.KindProfileFailed || e.HTTPStatus != http.StatusServiceUnavailable {
		t.Errorf("Profile with userinfo down: got %#v, want KindProfileFailed with status 503", err)
	}
	srv.RevokeAll()
	b.get(a.ts.URL + "/profile")
	if err := <-errs; !errors.Is(err, ginoauth.KindReauthRequired) {
		t.Errorf("Profile with a revoked token: got %v, want KindReauthRequired", err)
	}
}

// TestRefreshDropsRefusedToken (item 4): Refresh, like Client, drops a
// token the provider refused.
func TestRefreshDropsRefusedToken(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv)
	errs := make(chan error, 1)
	a.engine.GET("/refresh", func(c *gin.Context) {
		_, err := a.bp.Refresh(c)
		errs <- err
	})
	b := newBrowser(t)
	b.login(a)
	srv.RevokeAll()
	b.get(a.ts.URL + "/refresh")
	if err := <-errs; !errors.Is(err, ginoauth.KindReauthRequired) {
		t.Fatalf("Refresh of a revoked grant: got %v, want KindReauthRequired", err)
	}
	if p := b.get(a.ts.URL + "/token"); p.status != http.StatusNotFound {
		t.Errorf("refused token still stored: %d %q", p.status, p.body)
	}
}

// TestConcurrentCallsRefreshOnce: 50 API calls of one user at once on an
// expired token (in one process; see internal/reliability for several
// instances) cost one refresh.
func TestConcurrentCallsRefreshOnce(t *testing.T) {
	t.Parallel()
	clk := &ginoauthtest.Clock{}
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true})
	defer srv.Close()
	srv.SetClock(clk.Now)
	a := newApp(t, srv, func(c *ginoauth.Config, _ *ginoauth.Provider) { c.Now = clk.Now })
	b := newBrowser(t)
	b.login(a)
	clk.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := b.Client().Get(a.ts.URL + "/whoami")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("got %d, want 200", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if got := srv.Grants("refresh_token"); got != 1 {
		t.Errorf("50 concurrent calls on an expired token: %d refreshes, want 1", got)
	}
}
