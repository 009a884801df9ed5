package redislock_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/redislock"
	"github.com/ginoauth/ginoauth/backends/storagetest"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/gomodule/redigo/redis"
)

// newCoordinator returns a coordinator on its own pool and key prefix, or
// skips the test when no Redis server is configured.
func newCoordinator(t *testing.T, prefix string, cfg redislock.Config) *redislock.Coordinator {
	t.Helper()
	addr := os.Getenv("GINOAUTH_REDIS_ADDR")
	if addr == "" {
		t.Skip("GINOAUTH_REDIS_ADDR is not set: skipping the tests that need a Redis server")
	}
	pool := &redis.Pool{MaxIdle: 4, Dial: func() (redis.Conn, error) { return redis.Dial("tcp", addr) }}
	t.Cleanup(func() { pool.Close() })
	cfg.Prefix = prefix
	return redislock.New(pool, cfg)
}

func uniquePrefix() string { return "redislock-test:" + rand.Text()[:10] + ":" }

func TestConformance(t *testing.T) {
	prefix := uniquePrefix()
	newCoordinator(t, prefix, redislock.Config{}) // skip early without Redis
	storagetest.Run(t, func(t *testing.T) storagetest.Harness {
		return storagetest.Harness{
			Storage:       &ginoauth.SessionStorage{Coordinator: newCoordinator(t, uniquePrefix(), redislock.Config{})},
			SessionScoped: true,
		}
	})
}

// TestLockExcludesAcrossCoordinators: holders on two pools (as two app
// instances) never overlap, and a waiter wakes as soon as the holder
// unlocks, long before the lock would expire.
func TestLockExcludesAcrossCoordinators(t *testing.T) {
	prefix := uniquePrefix()
	cos := []*redislock.Coordinator{
		newCoordinator(t, prefix, redislock.Config{LockTTL: time.Minute}),
		newCoordinator(t, prefix, redislock.Config{LockTTL: time.Minute}),
	}
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			unlock, err := cos[i%2].Lock(ctx, "k")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			time.Sleep(5 * time.Millisecond) // hold the lock for a moment
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if m := maxInside.Load(); m != 1 {
		t.Errorf("%d holders at once, want 1", m)
	}
	// Ten holders of 5 ms each: waiters must have been woken by unlocks,
	// not by the one-minute expiry.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("10 turns took %v: waiters did not wake when the lock was released", took)
	}
}

// TestLockOfADeadHolderExpires: a holder that never unlocks (its process
// died) blocks the others for LockTTL at most.
func TestLockOfADeadHolderExpires(t *testing.T) {
	co := newCoordinator(t, uniquePrefix(), redislock.Config{LockTTL: 300 * time.Millisecond})
	ctx := context.Background()
	if _, err := co.Lock(ctx, "k"); err != nil { // never unlocked
		t.Fatal(err)
	}
	start := time.Now()
	unlock, err := co.Lock(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v to get a dead holder's lock, want about the 300 ms LockTTL", took)
	}
	// A waiter whose context ends first gives up with ErrLockTimeout.
	if _, err := co.Lock(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := co.Lock(short, "k2"); !errors.Is(err, redislock.ErrLockTimeout) {
		t.Errorf("Lock past the context's deadline: got %v, want ErrLockTimeout", err)
	}
}

func TestPutGet(t *testing.T) {
	co := newCoordinator(t, uniquePrefix(), redislock.Config{})
	ctx := context.Background()
	if v, err := co.Get(ctx, "absent"); v != nil || err != nil {
		t.Fatalf("Get of an absent key: %q, %v; want nil, nil", v, err)
	}
	if err := co.Put(ctx, "k", []byte("v"), 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if v, err := co.Get(ctx, "k"); string(v) != "v" || err != nil {
		t.Fatalf("Get: %q, %v; want v", v, err)
	}
}

// TestCookieSessionsAcrossInstances: two app instances share nothing but
// Redis; the token lives in the browser's cookie. One browser sends
// requests to both at once with an expired token, at a provider that
// rotates refresh tokens. Exactly one refresh reaches the provider, every
// request succeeds, and the browser ends up with the live token.
func TestCookieSessionsAcrossInstances(t *testing.T) {
	gin.SetMode(gin.TestMode)
	prefix := uniquePrefix()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true})
	defer srv.Close()
	var clk ginoauthtest.Clock
	srv.SetClock(clk.Now) // the provider and the apps agree on the time
	store := cookie.NewStore([]byte("redislock-test-authentication-k"), []byte("redislock-test-encryption-key-32"))
	var apps []*httptest.Server
	for range 2 {
		bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{
			ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Now: clk.Now,
			Storage: &ginoauth.SessionStorage{Coordinator: newCoordinator(t, prefix, redislock.Config{})},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := gin.New()
		r.Use(sessions.Sessions("app", store))
		bp.Register(r.Group("/login"))
		r.GET("/api", func(c *gin.Context) {
			client, err := bp.Client(c)
			if err != nil {
				c.String(http.StatusUnauthorized, "%v", err)
				return
			}
			resp, err := client.Get("whoami")
			if err != nil {
				c.String(http.StatusBadGateway, "%v", err)
				return
			}
			defer resp.Body.Close()
			c.Status(resp.StatusCode)
		})
		ts := httptest.NewServer(r)
		defer ts.Close()
		apps = append(apps, ts)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	// Log in on instance 0 (the test provider approves at once).
	resp, err := browser.Get(apps[0].URL + "/login/test")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// Both instances share the cookie (one site, two ports in this test).
	for _, c := range jar.Cookies(mustURL(t, apps[0].URL)) {
		jar.SetCookies(mustURL(t, apps[1].URL), []*http.Cookie{c})
	}
	for round := range 3 {
		clk.Advance(2 * time.Hour) // the token has expired
		before := srv.Grants("refresh_token")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := browser.Get(apps[i%2].URL + "/api")
				if err != nil {
					t.Error(err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("round %d request %d: %d %s", round, i, resp.StatusCode, body)
				}
			}()
		}
		wg.Wait()
		if got := srv.Grants("refresh_token") - before; got != 1 {
			t.Errorf("round %d: %d refreshes reached the provider, want 1", round, got)
		}
		for _, c := range jar.Cookies(mustURL(t, apps[0].URL)) {
			jar.SetCookies(mustURL(t, apps[1].URL), []*http.Cookie{c})
		}
	}
	if n := srv.Count(ginoauthtest.PathToken); n == 0 {
		t.Fatal("no token requests")
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
