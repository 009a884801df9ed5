package reliability

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// stormModes are the two ways a cluster keeps tokens: server-side
// sessions with tokens in PostgreSQL (gormstore's database lock), and
// tokens in the browser's encrypted cookie with refreshes coordinated
// through Redis (backends/redislock).
var stormModes = []struct {
	name string
	cfg  clusterConfig
}{
	{"RedisSessionsPostgresTokens", clusterConfig{}},
	{"CookieSessions", clusterConfig{cookieSessions: true, sessionTokens: true}},
}

// TestConcurrentCallsAcrossInstances: one browser sends 50 API calls at
// once, spread over 3 instances, with an expired token at a provider that
// rotates refresh tokens. Exactly one refresh reaches the provider and
// every call succeeds.
func TestConcurrentCallsAcrossInstances(t *testing.T) {
	dsn, redis := needPostgres(t), needRedis(t)
	for _, mode := range stormModes {
		t.Run(mode.name, func(t *testing.T) {
			prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: Users(1), RotateRefreshTokens: true, AccessTokenTTL: time.Minute})
			defer prov.Close()
			var ahead atomic.Int64
			clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
			prov.SetClock(clock)
			cfg := mode.cfg
			cfg.instances, cfg.dsn, cfg.redis, cfg.now = 3, dsn, redis, clock
			cl := newCluster(t, prov, cfg)
			b := cl.lb.NewBrowser()
			if res, err := b.Worker(0, 20*time.Second).Login("u001"); err != nil || !res.OK {
				t.Fatalf("login: %v, %+v", err, res)
			}
			for round := range 3 {
				ahead.Add(int64(2 * time.Minute)) // the token has expired
				before := prov.TokenCounts()
				var wg sync.WaitGroup
				for i := range 50 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, err := b.Worker(i, 20*time.Second).API()
						if err != nil || res.Status != http.StatusOK || res.User != "u001" {
							t.Errorf("round %d call %d on instance %d: %v, %d %q", round, i, res.Instance, err, res.Status, res.Kind)
						}
					}()
				}
				wg.Wait()
				after := prov.TokenCounts()
				if got := after.RefreshOK - before.RefreshOK; got != 1 || after.RefreshFailed != before.RefreshFailed {
					t.Errorf("round %d: 50 calls over 3 instances made %d refreshes (%d refused), want exactly 1",
						round, got, after.RefreshFailed-before.RefreshFailed)
				}
			}
		})
	}
}

// TestDisconnectStorm runs 3 instances for GINOAUTH_STORM (default 10s;
// CI runs 60s) with access tokens that live 2 seconds at a provider that
// rotates refresh tokens. Each user's two tabs call the API without pause;
// a quarter of the calls give up after 1 to 40 ms (the browser goes away
// at a random point), and a third of the requests that refreshed are cut
// right after the provider answered the refresh, so their answer (and,
// with cookie sessions, the cookie holding the new token) never arrives.
//
// No user may be sent to log in again, no token may be lost (each user's
// last call works, and with PostgreSQL each user has one working row), no
// spent refresh token may reach the provider, and the provider sees at
// most one refresh per user and token expiry.
func TestDisconnectStorm(t *testing.T) {
	dsn, redis := needPostgres(t), needRedis(t)
	dur := envDuration(t, "GINOAUTH_STORM", 10*time.Second)
	for _, mode := range stormModes {
		t.Run(mode.name, func(t *testing.T) { runStorm(t, dsn, redis, dur, mode.cfg) })
	}
}

func runStorm(t *testing.T, dsn, redis string, dur time.Duration, cfg clusterConfig) {
	const (
		nUsers    = 8
		tabs      = 2
		tokenLife = 2 * time.Second
		// A 2 s token counts as expired a quarter of its life early.
		refreshEvery = tokenLife * 3 / 4
	)
	prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: Users(nUsers), AccessTokenTTL: tokenLife, RotateRefreshTokens: true})
	defer prov.Close()
	cfg.instances, cfg.dsn, cfg.redis = 3, dsn, redis
	cfg.dropAfterRefresh = func() bool { return rand.IntN(3) == 0 }
	cl := newCluster(t, prov, cfg)

	var calls, ok, gaveUp, cut, relogins, other atomic.Int64
	users := userIDs(nUsers)
	browsers := make(map[string]*Browser, nUsers)
	for i, uid := range users {
		browsers[uid] = cl.lb.NewBrowser()
		if res, err := browsers[uid].Worker(i, 20*time.Second).Login(uid); err != nil || !res.OK {
			t.Fatalf("%s: login: %v, %+v", uid, err, res)
		}
	}
	start := time.Now()
	end := start.Add(dur)
	var wg sync.WaitGroup
	for i, uid := range users {
		for tab := range tabs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := browsers[uid].Worker(i+tab, 20*time.Second)
				for time.Now().Before(end) {
					calls.Add(1)
					ctx := context.Background()
					var cancel context.CancelFunc = func() {}
					quit := rand.IntN(4) == 0
					if quit {
						ctx, cancel = context.WithTimeout(ctx, time.Duration(1+rand.IntN(40))*time.Millisecond)
					}
					res, err := w.APIContext(ctx)
					cancel()
					switch {
					case err != nil && quit:
						gaveUp.Add(1)
					case err != nil:
						cut.Add(1) // the instance cut the connection after a refresh
					case res.Status == http.StatusOK && res.User == uid:
						ok.Add(1)
					case res.Kind == "reauth_required" || res.Kind == "login_required":
						relogins.Add(1)
						t.Errorf("%s: sent to log in again by instance %d: %d %s", uid, res.Instance, res.Status, res.Kind)
						return
					default:
						other.Add(1)
						t.Errorf("%s: instance %d: %d %q %s", uid, res.Instance, res.Status, res.Kind, res.Detail)
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	// No token was lost: every user's next call works.
	lost := 0
	for i, uid := range users {
		res, err := browsers[uid].Worker(i, 20*time.Second).API()
		if err != nil || res.Status != http.StatusOK || res.User != uid {
			lost++
			t.Errorf("%s: call after the storm: %v, %d %q", uid, err, res.Status, res.Kind)
		}
	}
	tc, st := prov.TokenCounts(), cl.stats()
	ideal := int64(nUsers) * int64(elapsed/refreshEvery)
	t.Logf("%v, %d users x %d tabs on 3 instances, token life %v, rotating refresh tokens", elapsed.Round(time.Millisecond), nUsers, tabs, tokenLife)
	t.Logf("API calls: %d, %d answered for the right user; %d given up by the client; %d answers cut by the instances right after a refresh (%d surfaced as errors, the HTTP client sent the others again, with the cookie it had); other failures %d",
		calls.Load(), ok.Load(), gaveUp.Load(), st.Dropped, cut.Load(), other.Load())
	t.Logf("forced re-logins: %d; users whose token was lost: %d", relogins.Load(), lost)
	t.Logf("refreshes at the provider: %d granted, %d refused; one per user and expiry would be %d (%.2f per user and expiry)",
		tc.RefreshOK, tc.RefreshFailed, ideal, float64(tc.RefreshOK)/float64(max(ideal, 1)))
	if relogins.Load() != 0 || lost != 0 {
		t.Errorf("forced re-logins %d, lost tokens %d; want 0 and 0", relogins.Load(), lost)
	}
	if tc.RefreshFailed != 0 {
		t.Errorf("%d refreshes spent a refresh token that was already used, want 0", tc.RefreshFailed)
	}
	// Each user refreshes at most once per expiry; the last expiry of the
	// run and the closing call may add one each.
	if limit := ideal + 2*nUsers; tc.RefreshOK > limit {
		t.Errorf("%d refreshes, want at most %d (one per user and token expiry)", tc.RefreshOK, limit)
	}
	if st.Dropped == 0 || gaveUp.Load() == 0 {
		t.Errorf("the storm cut %d answers after refreshes and %d calls were given up: want some of each", st.Dropped, gaveUp.Load())
	}
	if !cfg.sessionTokens {
		if rep := cl.checkRows(users); len(rep.lost) != 0 || len(rep.doubled) != 0 {
			t.Errorf("token rows: lost %v, doubled %v; want one working row per user", rep.lost, rep.doubled)
		}
	}
	if st.Panics != 0 {
		t.Errorf("panics: %d, want 0", st.Panics)
	}
}
