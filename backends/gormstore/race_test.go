package gormstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// TestRefreshRaceAcrossInstances runs two app instances (two stores with
// their own connection pools, two blueprints) on one database against a
// provider that rotates refresh tokens. In every round each user's stored
// token is expired and both instances use it at once through ClientFor, so
// both try to refresh it. The database lock must make one instance refresh
// and the other wait for and adopt its token: exactly one refresh per user
// and round reaches the provider, no request may fail (no user logged out)
// and the stored refresh token must always be the provider's live one (no
// token lost).
//
// Each database runs it with background-job clients (ClientFor with
// Store.Ref) and with request clients (Client in a handler of each
// instance). The variants of one database run one after the other: the
// pure-Go SQLite slows down badly when several such tests share the CPU.
func TestRefreshRaceAcrossInstances(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			for _, via := range []string{"ClientFor", "Client"} {
				t.Run(via, func(t *testing.T) {
					rounds := 15
					if db.name == "SQLite" {
						rounds = 10 // the pure-Go SQLite is slow under -race
					}
					if failed := testRefreshRace(t, db, via, rounds, gormstore.Config{}); failed > 0 {
						t.Errorf("%d requests failed, want 0", failed)
					}
				})
			}
		})
	}
}

// testRefreshRace runs the race and returns how many requests failed.
func testRefreshRace(t *testing.T, db database, via string, rounds int, cfg gormstore.Config) int {
	const (
		users   = 3
		workers = 3 // per instance and user
	)
	prov := newFakeProvider(t, true)
	src := db.source(t)
	cfg.Table = uniqueTable()
	cfg.UserID = contextUser
	storeA := newStore(t, openDSN(t, src()), cfg)
	storeB, err := gormstore.New(openDSN(t, src()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if db.name == "SQLite" {
		// An SQLite file belongs to one process: one store, whose lock is
		// in process memory, serves both blueprints.
		storeB = storeA
	}
	bpA := prov.blueprint(t, storeA, ginoauth.Hooks{})
	bpB := prov.blueprint(t, storeB, ginoauth.Hooks{})
	appA, appB := pingApp(t, bpA), pingApp(t, bpB)
	ctx := context.Background()
	for u := range users {
		uid := fmt.Sprint(u + 1)
		if err := save(storeA, ctx, "fake", uid, prov.issueToken(fakeUser{ID: "p" + uid})); err != nil {
			t.Fatal(err)
		}
	}

	var failures []string
	var mu sync.Mutex
	for round := range rounds {
		// Expire every stored token.
		for u := range users {
			uid := fmt.Sprint(u + 1)
			tok, err := load(storeA, ctx, "fake", uid)
			if err != nil {
				t.Fatalf("round %d: Load %s: %v", round, uid, err)
			}
			tok.Expiry = time.Now().Add(-time.Minute)
			if err := save(storeA, ctx, "fake", uid, tok); err != nil {
				t.Fatal(err)
			}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for u := range users {
			uid := fmt.Sprint(u + 1)
			for w := range 2 * workers {
				bp, st, url := bpA, storeA, appA.URL
				if w%2 == 1 {
					bp, st, url = bpB, storeB, appB.URL
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					var resp *http.Response
					var err error
					if via == "ClientFor" {
						client := bp.ClientFor(ctx, st.UserRef("fake", uid))
						<-start
						resp, err = client.Get("ping")
					} else {
						<-start
						resp, err = http.Get(url + "/ping?uid=" + uid)
					}
					if err != nil {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("round %d user %s: %v (reauth: %v)", round, uid, err, errors.Is(err, ginoauth.KindReauthRequired)))
						mu.Unlock()
						return
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK || string(body) != "pong p"+uid {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("round %d user %s: got %d %q, want 200 \"pong p%s\"", round, uid, resp.StatusCode, body, uid))
						mu.Unlock()
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		for u := range users {
			uid := fmt.Sprint(u + 1)
			for _, st := range []*gormstore.Store{storeA, storeB} {
				tok, err := load(st, ctx, "fake", uid)
				if err != nil {
					t.Fatalf("round %d: Load %s: %v", round, uid, err)
				}
				if !tok.Valid() {
					t.Errorf("round %d user %s: stored token is still expired", round, uid)
				}
				if !prov.liveRefresh(tok.RefreshToken) {
					t.Errorf("round %d user %s: stored refresh token %q was already spent: a newer token was lost", round, uid, tok.RefreshToken)
				}
			}
		}
	}
	for i, f := range failures {
		if i < 5 {
			t.Log(f)
		}
	}
	prov.mu.Lock()
	issued, rejected := prov.issued, prov.rejected
	prov.mu.Unlock()
	if issued != rounds*users || rejected != 0 {
		t.Errorf("provider issued %d refreshed tokens and rejected %d spent refresh tokens, want %d and 0 (one refresh per user and round)", issued, rejected, rounds*users)
	}
	t.Logf("%d rounds x %d users x %d concurrent requests: %d refreshes granted, %d spent refresh tokens rejected, %d failed requests",
		rounds, users, 2*workers, issued, rejected, len(failures))
	return len(failures)
}

// pingApp is one app instance: GET /ping?uid=N calls the provider's API as
// local user N with bp.Client and relays the answer.
func pingApp(t *testing.T, bp *ginoauth.Blueprint) *httptest.Server {
	r := gin.New()
	r.GET("/ping", func(c *gin.Context) {
		c.Set(userKey, c.Query("uid"))
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusInternalServerError, "Client: %v", err)
			return
		}
		resp, err := client.Get("ping")
		if err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.String(resp.StatusCode, "%s", body)
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

// TestRefreshRaceWithTestProvider repeats the race against ginoauthtest,
// the module's independent test provider, with refresh-token rotation on:
// every round must cost the provider exactly one refresh per user, and the
// stored token must still refresh at the end.
func TestRefreshRaceWithTestProvider(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			const rounds, workers = 6, 2
			srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, RotateRefreshTokens: true})
			t.Cleanup(srv.Close)
			src := db.source(t)
			cfg := gormstore.Config{Table: uniqueTable()}
			stores := []*gormstore.Store{newStore(t, openDSN(t, src()), cfg), nil}
			var err error
			if stores[1], err = gormstore.New(openDSN(t, src()), cfg); err != nil {
				t.Fatal(err)
			}
			if db.name == "SQLite" {
				stores[1] = stores[0] // an SQLite file belongs to one process
			}
			var bps []*ginoauth.Blueprint
			for _, st := range stores {
				bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Storage: st})
				if err != nil {
					t.Fatal(err)
				}
				bps = append(bps, bp)
			}
			ctx := context.Background()
			users := srv.Users()
			for _, u := range users {
				tok, err := srv.IssueToken(u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if err := save(stores[0], ctx, bps[0].Name(), u.ID, tok); err != nil {
					t.Fatal(err)
				}
			}
			expire := func() {
				for _, u := range users {
					tok, err := load(stores[0], ctx, bps[0].Name(), u.ID)
					if err != nil {
						t.Fatal(err)
					}
					tok.Expiry = time.Now().Add(-time.Minute)
					if err := save(stores[0], ctx, bps[0].Name(), u.ID, tok); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := srv.Grants("refresh_token")
			for round := range rounds {
				expire()
				start := make(chan struct{})
				errs := make(chan error, len(users)*2*workers)
				var wg sync.WaitGroup
				for _, u := range users {
					for w := range 2 * workers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							i := w % 2
							client := bps[i].ClientFor(ctx, stores[i].UserRef(bps[i].Name(), u.ID))
							<-start
							resp, err := client.Get("whoami")
							if err != nil {
								errs <- fmt.Errorf("round %d user %s: %w", round, u.ID, err)
								return
							}
							resp.Body.Close()
							if resp.StatusCode != http.StatusOK {
								errs <- fmt.Errorf("round %d user %s: status %d", round, u.ID, resp.StatusCode)
							}
						}()
					}
				}
				close(start)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
			}
			if got, want := srv.Grants("refresh_token")-before, rounds*len(users); got != want {
				t.Errorf("provider refreshes: got %d, want %d (one per user and round)", got, want)
			}
			// No token was lost: the stored refresh tokens still work.
			expire()
			for _, u := range users {
				resp, err := bps[1].ClientFor(ctx, stores[1].UserRef(bps[1].Name(), u.ID)).Get("whoami")
				if err != nil {
					t.Fatalf("final refresh for %s: %v", u.ID, err)
				}
				resp.Body.Close()
			}
		})
	}
}

// TestRefreshesFitASmallPool: every refresh waits for its lock on a
// connection of the pool, and does its reads and writes on that same
// connection. Two instances whose pools have 2 connections each refresh 8
// users' tokens at once, each user from both instances: every call
// succeeds well within the timeout, with one refresh per user. (With a
// second connection per refresh, waiters for other users' locks would take
// the whole pool and the lock holders could not save their tokens.)
func TestRefreshesFitASmallPool(t *testing.T) {
	for _, db := range databases[1:] { // database locks: PostgreSQL and MariaDB
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			const users = 8
			prov := newFakeProvider(t, true)
			src := db.source(t)
			cfg := gormstore.Config{Table: uniqueTable()}
			var stores []*gormstore.Store
			var bps []*ginoauth.Blueprint
			for i := range 2 {
				gdb := openDSN(t, src())
				sqlDB, err := gdb.DB()
				if err != nil {
					t.Fatal(err)
				}
				sqlDB.SetMaxOpenConns(2)
				st := newStore(t, gdb, cfg)
				if i > 0 {
					if st, err = gormstore.New(gdb, cfg); err != nil {
						t.Fatal(err)
					}
				}
				stores = append(stores, st)
				bp, err := ginoauth.New(prov.provider(), ginoauth.Config{ClientID: "client", ClientSecret: "secret", Storage: st, HTTPClient: &http.Client{Timeout: 5 * time.Second}})
				if err != nil {
					t.Fatal(err)
				}
				bps = append(bps, bp)
			}
			ctx := context.Background()
			for u := range users {
				tok := prov.issueToken(fakeUser{ID: fmt.Sprint("p", u)})
				tok.Expiry = time.Now().Add(-time.Minute)
				if err := save(stores[0], ctx, "fake", fmt.Sprint(u), tok); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			var wg sync.WaitGroup
			for u := range users {
				for i := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						resp, err := bps[i].ClientFor(ctx, stores[i].UserRef("fake", fmt.Sprint(u))).Get("ping")
						if err != nil {
							t.Errorf("user %d on instance %d: %v", u, i, err)
							return
						}
						resp.Body.Close()
					}()
				}
			}
			wg.Wait()
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("16 refreshing calls took %v", took)
			}
			prov.mu.Lock()
			issued, rejected := prov.issued, prov.rejected
			prov.mu.Unlock()
			if issued != users || rejected != 0 {
				t.Errorf("refreshes: %d issued, %d rejected; want %d and 0", issued, rejected, users)
			}
		})
	}
}
