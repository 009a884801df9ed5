package reliability

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// soakFigures are the multi-instance test's counts.
type soakFigures struct {
	flows        atomic.Int64 // logins completed
	crossLogins  atomic.Int64 // of which the callback landed on another instance than the login route
	apiCalls     atomic.Int64 // /api answered 200 for the right user
	loggedOut    atomic.Int64 // /api said the user must log in again
	crossed      atomic.Int64 // /api answered for another user
	otherErrors  atomic.Int64 // any other failure
	loginsFailed atomic.Int64

	mu     sync.Mutex
	errors map[string]int
	took   []time.Duration // /api latencies
}

func (f *soakFigures) fail(kind string) {
	f.mu.Lock()
	f.errors[kind]++
	f.mu.Unlock()
}

// TestMultiInstanceSoak runs 3 app instances, each with its own blueprint,
// its own gormstore.Store (with its own read cache) and its own Redis
// session store, all sharing one PostgreSQL table and one Redis key space,
// behind a round-robin balancer with no sticky sessions. 30 users log in
// (the callback always lands on another instance than the login route)
// and call the provider's API through the app from 3 tabs each; access
// tokens live 2 seconds and every refresh rotates the refresh token, so
// the instances refresh the same users' tokens concurrently. Worker 0 of
// each user logs in again every 5 seconds.
//
// No user may be logged out by a lost rotation, no API answer may be for
// another user, and at the end every user has exactly one row whose token
// still works at the provider.
func TestMultiInstanceSoak(t *testing.T) {
	dsn, redis := needPostgres(t), needRedis(t)
	dur := envDuration(t, "GINOAUTH_SOAK", 8*time.Second)
	const (
		nInstances   = 3
		nUsers       = 30
		tabs         = 3
		tokenLife    = 2 * time.Second
		reloginEvery = 5 * time.Second
	)
	prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true,
		Users:               Users(nUsers),
		AccessTokenTTL:      tokenLife,
		RotateRefreshTokens: true,
	})
	defer prov.Close()
	cl := newCluster(t, prov, clusterConfig{instances: nInstances, dsn: dsn, redis: redis, cacheTTL: 30 * time.Second})

	fig := &soakFigures{errors: map[string]int{}}
	start := time.Now()
	end := start.Add(dur)
	var wg sync.WaitGroup
	users := make([]string, nUsers)
	for i := range nUsers {
		uid := fmt.Sprintf("u%03d", i+1)
		users[i] = uid
		b := cl.lb.NewBrowser()
		ready := make(chan bool, tabs)
		for tab := range tabs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := b.Worker(i+tab, 20*time.Second)
				if tab == 0 {
					ok := soakLogin(t, w, uid, fig)
					for range tabs - 1 {
						ready <- ok
					}
					if !ok {
						return
					}
				} else if !<-ready {
					return
				}
				lastLogin := time.Now()
				for time.Now().Before(end) {
					if tab == 0 && time.Since(lastLogin) > reloginEvery {
						if !soakLogin(t, w, uid, fig) {
							return
						}
						lastLogin = time.Now()
						continue
					}
					res, err := w.API()
					switch {
					case err != nil:
						fig.otherErrors.Add(1)
						fig.fail("transport")
						t.Errorf("%s: /api: %v", uid, err)
						return
					case res.Status == 200 && res.User == uid:
						fig.apiCalls.Add(1)
						fig.mu.Lock()
						fig.took = append(fig.took, res.Took)
						fig.mu.Unlock()
					case res.Status == 200:
						fig.crossed.Add(1)
						t.Errorf("%s: /api on instance %d answered for %s", uid, res.Instance, res.User)
					case res.Kind == "reauth_required" || res.Kind == "login_required":
						fig.loggedOut.Add(1)
						t.Errorf("%s: logged out on instance %d: %d %s", uid, res.Instance, res.Status, res.Kind)
					default:
						fig.otherErrors.Add(1)
						fig.fail(res.Kind)
						t.Errorf("%s: /api on instance %d: %d %s %s", uid, res.Instance, res.Status, res.Kind, res.Detail)
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Every token survived, in one row per user.
	rep := cl.checkRows(users)
	st := cl.stats()
	tc := prov.TokenCounts()
	t.Logf("soak: %d instances, %d users x %d tabs, %v (token life %v, rotating refresh tokens)", nInstances, nUsers, tabs, elapsed.Round(time.Millisecond), tokenLife)
	t.Logf("flows completed: %d (callback on another instance: %d), failed logins: %d", fig.flows.Load(), fig.crossLogins.Load(), fig.loginsFailed.Load())
	t.Logf("API calls: %d ok (%.0f/s, p50 %v, p99 %v); other errors: %d (%s)", fig.apiCalls.Load(), float64(fig.apiCalls.Load())/elapsed.Seconds(),
		Percentile(fig.took, 50), Percentile(fig.took, 99), fig.otherErrors.Load(), kinds(fig.errors))
	t.Logf("refreshes saved (TokenRefreshed): %d; provider refresh grants: %d ok, %d refused", st.Refreshed, tc.RefreshOK, tc.RefreshFailed)
	t.Logf("users logged out by a lost rotation: %d; answers for another user: %d", fig.loggedOut.Load(), fig.crossed.Load())
	t.Logf("token rows: %d for %d users; tokens lost: %d %v; users with several rows: %v", rep.rows, nUsers, len(rep.lost), rep.lost, rep.doubled)
	t.Logf("error hook kinds: %s; panics: %d", kinds(st.Errors), st.Panics)

	if got := fig.loggedOut.Load(); got != 0 {
		t.Errorf("users logged out by a lost rotation: got %d, want 0", got)
	}
	if got := fig.crossed.Load() + fig.otherErrors.Load() + fig.loginsFailed.Load(); got != 0 {
		t.Errorf("answers for another user, other errors and failed logins: got %d in all, want 0", got)
	}
	if fig.apiCalls.Load() == 0 {
		t.Error("no API call succeeded")
	}
	if len(rep.lost) != 0 {
		t.Errorf("tokens lost: got %d %v, want 0", len(rep.lost), rep.lost)
	}
	if len(rep.doubled) != 0 || rep.rows != nUsers {
		t.Errorf("token rows: got %d (several for %v), want one per user (%d)", rep.rows, rep.doubled, nUsers)
	}
	if fig.crossLogins.Load() != fig.flows.Load() || fig.flows.Load() < nUsers {
		t.Errorf("flows: got %d, %d of them across instances; want at least %d, all across instances", fig.flows.Load(), fig.crossLogins.Load(), nUsers)
	}
	if st.Refreshed == 0 || tc.RefreshOK == 0 {
		t.Errorf("refreshes: got %d saved, %d granted; want some", st.Refreshed, tc.RefreshOK)
	}
	if st.Panics != 0 {
		t.Errorf("panics: got %d, want 0", st.Panics)
	}
}

// soakLogin logs uid in through w and counts the outcome.
func soakLogin(t *testing.T, w *Worker, uid string, fig *soakFigures) bool {
	t.Helper()
	res, err := w.Login(uid)
	if err != nil || !res.OK {
		fig.loginsFailed.Add(1)
		t.Errorf("%s: login: %v, status %d kind %q", uid, err, res.Status, res.Kind)
		return false
	}
	fig.flows.Add(1)
	if res.StartInstance != res.EndInstance && res.StartInstance >= 0 && res.EndInstance >= 0 {
		fig.crossLogins.Add(1)
	}
	return true
}
