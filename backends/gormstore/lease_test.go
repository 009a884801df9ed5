package gormstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
)

func expiredTok(access string) *ginoauth.Token {
	t := tok(access)
	t.Expiry = time.Now().Add(-time.Minute)
	return t
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// One instance takes the lease before refreshing; another instance that
// loads the expired token meanwhile waits and gets the refreshed one.
func TestLeaseMakesOtherInstancesWait(t *testing.T) {
	t.Parallel()
	src := sqliteSource(t)
	dbA, dbB := openDSN(t, src()), openDSN(t, src())
	a := newStore(t, dbA, gormstore.Config{})
	b, err := gormstore.New(dbB, gormstore.Config{Table: a.Table()})
	if err != nil {
		t.Fatal(err)
	}
	queriesB := countQueries(t, dbB)
	ctx := context.Background()
	old := expiredTok("old")
	if err := a.Save(ctx, "github", "1", old); err != nil {
		t.Fatal(err)
	}
	refA := a.Ref("github", "1")
	if got, err := refA.Load(ctx); err != nil || got.AccessToken != "old" { // takes the lease
		t.Fatalf("A loads: got %v, %v", got, err)
	}
	if rows := rawRows(t, dbA, a.Table()); rows[0].RefreshLease == nil {
		t.Fatal("A's load of an expired token took no lease")
	}
	type result struct {
		t   *ginoauth.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := b.Ref("github", "1").Load(ctx)
		done <- result{got, err}
	}()
	waitFor(t, "B to poll the row", func() bool { return queriesB.Load() >= 2 })
	select {
	case r := <-done:
		t.Fatalf("B did not wait for A's refresh: got %v, %v", r.t, r.err)
	default:
	}
	fresh := tok("new")
	if got, err := refA.Swap(ctx, old, fresh); err != nil || got != fresh {
		t.Fatalf("A's swap: got %v, %v; want its new token", got, err)
	}
	r := <-done
	if r.err != nil || r.t.AccessToken != "new" {
		t.Fatalf("B: got %v, %v; want A's refreshed token", r.t, r.err)
	}
	if rows := rawRows(t, dbA, a.Table()); rows[0].RefreshLease != nil {
		t.Errorf("lease %q left after the swap", *rows[0].RefreshLease)
	}
}

// A lease whose holder never saves a token stops blocking after
// Config.RefreshLease.
func TestLeaseExpires(t *testing.T) {
	t.Parallel()
	src := sqliteSource(t)
	cfg := gormstore.Config{RefreshLease: 300 * time.Millisecond}
	a := newStore(t, openDSN(t, src()), cfg)
	cfg.Table = a.Table()
	b, err := gormstore.New(openDSN(t, src()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Save(ctx, "github", "1", expiredTok("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ref("github", "1").Load(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := b.Ref("github", "1").Load(ctx)
	if err != nil || got.AccessToken != "old" {
		t.Fatalf("B: got %v, %v; want the expired token, to refresh itself", got, err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond || waited > 5*time.Second {
		t.Errorf("B waited %v for an abandoned lease, want about 300ms", waited)
	}
}

// In a request, a lease taken for a refresh that never happens ends with
// the request; a single load (an Authorized check) takes none.
func TestLeaseEndsWithRequest(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{UserID: contextUser})
	if err := s.Save(context.Background(), "github", "1", expiredTok("old")); err != nil {
		t.Fatal(err)
	}
	lease := func() *string { return rawRows(t, db, s.Table())[0].RefreshLease }

	c := ginContext(t, "1")
	ctx, cancel := context.WithCancel(c.Request.Context())
	c.Request = c.Request.WithContext(ctx)
	if _, err := s.Token(c, "github"); err != nil {
		t.Fatal(err)
	}
	if l := lease(); l != nil {
		t.Fatalf("one load took lease %q", *l)
	}
	if _, err := s.Token(c, "github"); err != nil { // the blueprint's load before refreshing
		t.Fatal(err)
	}
	if lease() == nil {
		t.Fatal("the second load of an expired token took no lease")
	}
	cancel() // the request ends
	waitFor(t, "the lease to end with the request", func() bool { return lease() == nil })
}
