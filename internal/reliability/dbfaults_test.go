package reliability

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// untilOK calls /api through w until it answers 200 for userID or the
// deadline passes, and returns how many calls failed first.
func untilOK(t *testing.T, w *Worker, userID string, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	failed := 0
	for {
		res, err := w.API()
		if err == nil && res.Status == http.StatusOK && res.User == userID {
			return failed
		}
		failed++
		if time.Now().After(deadline) {
			t.Fatalf("%s: no successful API call within %v of the recovery (last: %v, %d %q)", userID, within, err, res.Status, res.Kind)
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

// TestPostgresRestart stops a throwaway PostgreSQL server under a
// 2-instance cluster and starts it again. While it is down, API calls fail
// with 503 storage_unavailable and a login fails at the callback with
// storage_failed (503), each within the request timeout; nothing panics.
// When it is back, the app recovers by itself: every user's next calls
// succeed without logging in again, and every token row is whole and
// still works at the provider.
//
// The second half stops the database while a refresh is at the provider:
// the refreshed token cannot be saved (503 storage_failed), and the
// instance that refreshed keeps it in memory, so the user's next request
// to that instance saves it once the database is back.
func TestPostgresRestart(t *testing.T) {
	redis := needRedis(t)
	pg := startTempPostgres(t)
	const requestTimeout = 3 * time.Second
	bound := requestTimeout + time.Second
	prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: Users(6), RotateRefreshTokens: true})
	defer prov.Close()
	cl := newCluster(t, prov, clusterConfig{instances: 2, dsn: pg.DSN, redis: redis, timeout: 2 * time.Second, requestTimeout: requestTimeout})
	users := userIDs(5)
	ws := loginAll(t, cl, users)
	for _, u := range users {
		if n := untilOK(t, ws[u], u, 0); n != 0 {
			t.Fatalf("%s: API call before the fault failed", u)
		}
	}

	pg.Stop()
	for _, u := range users {
		res, err := ws[u].API()
		if err != nil {
			t.Fatalf("%s: API call with the database down: %v", u, err)
		}
		if res.Status != http.StatusServiceUnavailable || res.Kind != "storage_unavailable" {
			t.Errorf("%s: API call with the database down: %d %q, want 503 storage_unavailable", u, res.Status, res.Kind)
		}
		if res.Took > bound {
			t.Errorf("%s: API call with the database down took %v, want at most %v", u, res.Took, bound)
		}
	}
	late := cl.lb.NewBrowser().Worker(0, 30*time.Second)
	lres, err := late.Login("u006")
	if err != nil {
		t.Fatalf("login with the database down: %v", err)
	}
	if lres.OK || lres.Status != http.StatusServiceUnavailable || lres.Kind != "storage_failed" {
		t.Errorf("login with the database down: ok %v, %d %q; want 503 storage_failed", lres.OK, lres.Status, lres.Kind)
	}
	if lres.Took > bound {
		t.Errorf("login with the database down took %v, want at most %v", lres.Took, bound)
	}

	pg.Start()
	failedAfter := 0
	for _, u := range users {
		failedAfter += untilOK(t, ws[u], u, 15*time.Second)
	}
	if res, err := late.Login("u006"); err != nil || !res.OK {
		t.Fatalf("login after the restart: %v, %d %q", err, res.Status, res.Kind)
	}
	t.Logf("database down: API calls answered 503 storage_unavailable, login 503 storage_failed; after the restart %d calls failed before recovery", failedAfter)
	if failedAfter != 0 {
		t.Errorf("after the restart %d calls failed before recovery, want 0 (the pool replaces dead connections)", failedAfter)
	}

	t.Run("stopped during a refresh", func(t *testing.T) {
		u := users[0]
		w := ws[u]
		cl.expireStored(u)
		// Hold the refresh at the provider until the database is down.
		prov.SetLatency(ginoauthtest.PathToken, 1500*time.Millisecond)
		before := prov.Count(ginoauthtest.PathToken)
		var (
			wg  sync.WaitGroup
			res APIResult
			err error
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err = w.API()
		}()
		deadline := time.Now().Add(10 * time.Second)
		for prov.Count(ginoauthtest.PathToken) == before && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // polling with a deadline
		}
		pg.Stop()
		wg.Wait()
		prov.SetLatency(ginoauthtest.PathToken, 0)
		refreshedOn := res.Instance
		if err != nil || res.Status != http.StatusServiceUnavailable || res.Kind != "storage_failed" {
			t.Fatalf("API call whose refresh could not be saved: %v, %d %q; want 503 storage_failed", err, res.Status, res.Kind)
		}
		pg.Start()
		// The next request to the instance that refreshed saves its token.
		w.next = refreshedOn
		if n := untilOK(t, w, u, 15*time.Second); n != 0 {
			t.Errorf("%d calls failed after the restart before the saved refresh, want 0", n)
		}
		for range 3 { // and every instance then serves the saved token
			if res, err := w.API(); err != nil || res.Status != http.StatusOK || res.User != u {
				t.Fatalf("API call after the recovery: %v, %d %q", err, res.Status, res.Kind)
			}
		}
	})

	rep := cl.checkRows(append(users, "u006"))
	if len(rep.lost) != 0 || len(rep.doubled) != 0 || rep.rows != len(users)+1 {
		t.Errorf("token rows after the restart: %d for %d users, lost %v, doubled %v; want one working row each", rep.rows, len(users)+1, rep.lost, rep.doubled)
	}
	if st := cl.stats(); st.Panics != 0 {
		t.Errorf("panics: got %d, want 0", st.Panics)
	}
}

// TestRedisRestart stops a throwaway Redis server, which holds the
// sessions of a 2-instance cluster, and starts it again (it keeps its data
// in an append-only file, as a production Redis with persistence does).
// While it is down the app cannot tell who is logged in: API calls answer
// 401 login_required and a login fails at its first step with
// storage_failed (503), each at once; nothing panics and no token row is
// touched. When Redis is back the same session cookies work again without
// a new login, and every token row still works.
func TestRedisRestart(t *testing.T) {
	dsn := needPostgres(t)
	rd := startTempRedis(t)
	prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: Users(6), RotateRefreshTokens: true})
	defer prov.Close()
	cl := newCluster(t, prov, clusterConfig{instances: 2, dsn: dsn, redis: rd.Addr, requestTimeout: 3 * time.Second})
	users := userIDs(5)
	ws := loginAll(t, cl, users)
	for _, u := range users {
		if n := untilOK(t, ws[u], u, 0); n != 0 {
			t.Fatalf("%s: API call before the fault failed", u)
		}
	}

	rd.Stop()
	bound := 4 * time.Second
	for _, u := range users {
		res, err := ws[u].API()
		if err != nil {
			t.Fatalf("%s: API call with Redis down: %v", u, err)
		}
		if res.Status != http.StatusUnauthorized || res.Kind != "login_required" {
			t.Errorf("%s: API call with Redis down: %d %q, want 401 login_required", u, res.Status, res.Kind)
		}
		if res.Took > bound {
			t.Errorf("%s: API call with Redis down took %v, want at most %v", u, res.Took, bound)
		}
	}
	late := cl.lb.NewBrowser().Worker(0, 30*time.Second)
	lres, err := late.Login("u006")
	if err != nil {
		t.Fatalf("login with Redis down: %v", err)
	}
	if lres.OK || lres.Status != http.StatusServiceUnavailable || lres.Kind != "storage_failed" {
		t.Errorf("login with Redis down: ok %v, %d %q; want 503 storage_failed", lres.OK, lres.Status, lres.Kind)
	}

	rd.Start()
	failedAfter := 0
	for _, u := range users {
		failedAfter += untilOK(t, ws[u], u, 15*time.Second)
	}
	if res, err := late.Login("u006"); err != nil || !res.OK {
		t.Fatalf("login after the restart: %v, %d %q", err, res.Status, res.Kind)
	}
	t.Logf("Redis down: API calls answered 401 login_required, login 503 storage_failed; after the restart %d calls failed before recovery", failedAfter)
	rep := cl.checkRows(append(users, "u006"))
	if len(rep.lost) != 0 || len(rep.doubled) != 0 || rep.rows != len(users)+1 {
		t.Errorf("token rows after the restart: %d for %d users, lost %v, doubled %v; want one working row each", rep.rows, len(users)+1, rep.lost, rep.doubled)
	}
	if st := cl.stats(); st.Panics != 0 {
		t.Errorf("panics: got %d, want 0", st.Panics)
	}
}
