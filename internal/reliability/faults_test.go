package reliability

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// loginAll logs each user in through a worker of their own, starting on
// instance i for user i, and returns the workers.
func loginAll(t *testing.T, cl *cluster, users []string) map[string]*Worker {
	t.Helper()
	ws := make(map[string]*Worker, len(users))
	for i, u := range users {
		w := cl.lb.NewBrowser().Worker(i, 30*time.Second)
		res, err := w.Login(u)
		if err != nil || !res.OK {
			t.Fatalf("%s: login: %v, status %d kind %q", u, err, res.Status, res.Kind)
		}
		ws[u] = w
	}
	return ws
}

// userIDs returns "u001" .. n.
func userIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%03d", i+1)
	}
	return out
}

// TestProviderFaults breaks the provider's token endpoint in four ways, once
// during a login (the code exchange) and once during a refresh (an API
// call with an expired token), on a 3-instance cluster. Each time the user
// gets a clear error kind with a 502 within the configured timeout (plus
// a margin for the rest of the request), nothing panics, and once the fault
// clears the next attempt, on another instance, succeeds: the login
// completes, and the user whose refresh failed is still logged in with a
// working token.
func TestProviderFaults(t *testing.T) {
	dsn, redis := needPostgres(t), needRedis(t)
	const (
		timeout = 500 * time.Millisecond
		bound   = timeout + 2*time.Second
	)
	prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: Users(8), RotateRefreshTokens: true})
	defer prov.Close()
	cl := newCluster(t, prov, clusterConfig{instances: 3, dsn: dsn, redis: redis, timeout: timeout})

	faults := []struct {
		name  string
		arm   func()
		clear func()
		slow  bool
	}{
		{"slow beyond the timeout",
			func() { prov.SetLatency(ginoauthtest.PathToken, 10*time.Second) },
			func() { prov.SetLatency(ginoauthtest.PathToken, 0) }, true},
		{"5xx", func() { prov.FailNext(ginoauthtest.PathToken, http.StatusServiceUnavailable, "upstream unavailable") }, nil, false},
		{"malformed JSON", func() { prov.FailNext(ginoauthtest.PathToken, http.StatusOK, `{"access_token":"x","token_type":`) }, nil, false},
		{"connection closed", func() { prov.FailNextWithHijack(ginoauthtest.PathToken) }, nil, false},
	}
	var used []string
	for i, f := range faults {
		loginUser, refreshUser := fmt.Sprintf("u%03d", 2*i+1), fmt.Sprintf("u%03d", 2*i+2)
		used = append(used, loginUser, refreshUser)
		t.Run(f.name+" during login", func(t *testing.T) {
			w := cl.lb.NewBrowser().Worker(i, 30*time.Second)
			f.arm()
			res, err := w.Login(loginUser)
			if f.clear != nil {
				f.clear()
			}
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if res.OK || res.Status != http.StatusBadGateway || res.Kind != "exchange_failed" {
				t.Fatalf("login during the fault: ok %v, status %d, kind %q; want 502 exchange_failed", res.OK, res.Status, res.Kind)
			}
			if res.Took > bound {
				t.Errorf("login during the fault took %v, want at most %v", res.Took, bound)
			}
			again, err := w.Login(loginUser)
			if err != nil || !again.OK {
				t.Fatalf("login after the fault: %v, status %d kind %q; want success", err, again.Status, again.Kind)
			}
			if again.EndInstance == res.EndInstance {
				t.Errorf("recovery was checked on instance %d, the one that failed; want another", again.EndInstance)
			}
			t.Logf("login: %s in %v on instance %d; next login ok on instance %d", res.Kind, res.Took.Round(time.Millisecond), res.EndInstance, again.EndInstance)
		})
		t.Run(f.name+" during refresh", func(t *testing.T) {
			w := loginAll(t, cl, []string{refreshUser})[refreshUser]
			cl.expireStored(refreshUser) // the next API call refreshes
			f.arm()
			res, err := w.API()
			if f.clear != nil {
				f.clear()
			}
			if err != nil {
				t.Fatalf("API call: %v", err)
			}
			wantStatus, wantKind := http.StatusBadGateway, "refresh_failed"
			if f.slow {
				// The API call is bounded by the same HTTP client Timeout
				// as the refresh inside it: the call times out.
				wantStatus, wantKind = http.StatusGatewayTimeout, "timeout"
			}
			if res.Status != wantStatus || res.Kind != wantKind {
				t.Fatalf("API call during the fault: %d %q; want %d %s", res.Status, res.Kind, wantStatus, wantKind)
			}
			if res.Took > bound {
				t.Errorf("API call during the fault took %v, want at most %v", res.Took, bound)
			}
			again, err := w.API()
			if err != nil || again.Status != http.StatusOK || again.User != refreshUser {
				t.Fatalf("API call after the fault: %v, %d %q %q; want 200 for %s (still logged in)", err, again.Status, again.Kind, again.User, refreshUser)
			}
			t.Logf("refresh: %s in %v on instance %d; next call ok on instance %d", res.Kind, res.Took.Round(time.Millisecond), res.Instance, again.Instance)
		})
	}
	rep := cl.checkRows(used)
	if len(rep.lost) != 0 || len(rep.doubled) != 0 || rep.rows != len(used) {
		t.Errorf("token rows: %d for %d users, lost %v, doubled %v; want one working row each", rep.rows, len(used), rep.lost, rep.doubled)
	}
	st := cl.stats()
	if st.Panics != 0 {
		t.Errorf("panics: got %d, want 0", st.Panics)
	}
	if st.Errors["exchange_failed"] != len(faults) {
		t.Errorf("error hook saw %d exchange_failed, want %d (all kinds: %s)", st.Errors["exchange_failed"], len(faults), kinds(st.Errors))
	}
}

// TestRefreshInAuthorizedHookKeepsRotatedToken: when the Authorized hook
// calls the provider (here bp.Profile, to log the local user in) with a
// token that is already expired by the app's measure, the blueprint
// refreshes it inside the hook. With a provider that rotates refresh
// tokens, the refresh token of the token the exchange returned is then
// spent, so the token to store is the refreshed one: storing the other
// logs the user out at the next refresh.
func TestRefreshInAuthorizedHookKeepsRotatedToken(t *testing.T) {
	dsn, redis := needPostgres(t), needRedis(t)
	// The app's clock moves a token's life on every time it is read: the
	// token is expired by the time the hook uses it.
	prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: Users(1), AccessTokenTTL: time.Minute, RotateRefreshTokens: true})
	defer prov.Close()
	cl := newCluster(t, prov, clusterConfig{instances: 1, dsn: dsn, redis: redis, now: ticking(time.Minute)})
	w := loginAll(t, cl, []string{"u001"})["u001"]
	if got := prov.TokenCounts().RefreshOK; got == 0 {
		t.Fatal("setup: no refresh during the login, want the hook's profile call to refresh")
	}
	res, err := w.API()
	if err != nil || res.Status != http.StatusOK || res.User != "u001" {
		t.Fatalf("API call after the login: %v, %d %q; want 200 for u001", err, res.Status, res.Kind)
	}
	if tc := prov.TokenCounts(); tc.RefreshFailed != 0 {
		t.Fatalf("refresh grants refused: %d, want 0 (the stored refresh token was already spent)", tc.RefreshFailed)
	}
}

// TestBackgroundJobAfterRotationElsewhere: a background job's client
// (Blueprint.ClientFor) holds the token it loaded. Meanwhile another app
// instance refreshes the user's token, spending that token's refresh
// token at a provider that rotates them, and the token it saved expires
// in turn. The job's next call finds its token expired; the storage holds
// a newer, also expired token whose refresh token is the live one. The
// job must refresh that one: refreshing its own spent refresh token fails
// with invalid_grant and reports the user as logged out although the
// stored grant is fine. (Web requests hit the same path when a request
// outlives a token: a slow request under load with short-lived tokens.)
func TestBackgroundJobAfterRotationElsewhere(t *testing.T) {
	dsn, redis := needPostgres(t), needRedis(t)
	// The app's clock moves a token's life on every time it is read: every
	// use refreshes.
	prov := NewTestProvider(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: Users(1), AccessTokenTTL: time.Minute, RotateRefreshTokens: true})
	defer prov.Close()
	cl := newCluster(t, prov, clusterConfig{instances: 2, dsn: dsn, redis: redis, now: ticking(time.Minute)})
	a, b := cl.insts[0], cl.insts[1]
	tok, err := prov.IssueToken("u001")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.Store.UserRef(a.BP.Name(), "u001").Swap(ctx, nil, tok); err != nil {
		t.Fatal(err)
	}
	job := a.BP.ClientFor(ctx, a.Store.UserRef(a.BP.Name(), "u001"))
	call := func(c *http.Client) (int, error) {
		resp, err := c.Get("whoami")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if st, err := call(job); err != nil || st != http.StatusOK {
		t.Fatalf("job's first call: %d, %v", st, err)
	}
	// Another instance refreshes the token the job holds.
	if st, err := call(b.BP.ClientFor(ctx, b.Store.UserRef(b.BP.Name(), "u001"))); err != nil || st != http.StatusOK {
		t.Fatalf("other instance's call: %d, %v", st, err)
	}
	st, err := call(job)
	if err != nil || st != http.StatusOK {
		t.Fatalf("job's second call: %d, %v; want 200 (refresh the stored token, not the spent one)", st, err)
	}
	if tc := prov.TokenCounts(); tc.RefreshFailed != 0 {
		t.Errorf("refresh grants refused: %d, want 0", tc.RefreshFailed)
	}
}
