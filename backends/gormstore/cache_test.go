package gormstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

// countQueries counts the SELECTs run on db.
func countQueries(t *testing.T, db *gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	err := db.Callback().Query().After("gorm:query").Register("gormstore_test:count", func(*gorm.DB) { n.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestCache(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	queries := countQueries(t, db)
	s := newStore(t, db, gormstore.Config{UserID: contextUser, CacheTTL: time.Minute})
	other, err := gormstore.New(db, gormstore.Config{Table: s.Table()}) // another instance
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := save(s, ctx, "github", "1", tok("a")); err != nil {
		t.Fatal(err)
	}

	loads := func(user string, times int, want string) int64 {
		t.Helper()
		before := queries.Load()
		for range times {
			got, err := tokenOf(s, ginContext(t, user), "github")
			switch {
			case want == "" && !errors.Is(err, ginoauth.ErrNoToken):
				t.Fatalf("user %s: got %v, %v; want ErrNoToken", user, got, err)
			case want != "" && (err != nil || got.AccessToken != want):
				t.Fatalf("user %s: got %v, %v; want %s", user, got, err, want)
			}
		}
		return queries.Load() - before
	}
	if n := loads("1", 5, "a"); n != 1 {
		t.Errorf("5 cached lookups ran %d queries, want 1", n)
	}
	if n := loads("2", 3, ""); n != 1 {
		t.Errorf("3 lookups of a user without token ran %d queries, want 1 (absence is cached too)", n)
	}
	// A write through this store is seen at once.
	if err := save(s, ctx, "github", "1", tok("b")); err != nil {
		t.Fatal(err)
	}
	if n := loads("1", 2, "b"); n != 1 {
		t.Errorf("after Save: %d queries, want 1", n)
	}
	if err := deleteToken(s, ginContext(t, "1"), "github"); err != nil {
		t.Fatal(err)
	}
	loads("1", 1, "")
	// Another instance's write shows once the entry expires; here the
	// entry is fresh, so the cached absence stays (the documented TTL).
	if err := save(other, ctx, "github", "1", tok("c")); err != nil {
		t.Fatal(err)
	}
	if n := loads("1", 1, ""); n != 0 {
		t.Errorf("cached absence: %d queries, want 0", n)
	}
	// Tokens that expire within a minute always come from the database.
	soon := tok("soon")
	soon.Expiry = time.Now().Add(30 * time.Second)
	if err := save(s, ctx, "github", "3", soon); err != nil {
		t.Fatal(err)
	}
	if n := loads("3", 3, "soon"); n != 3 {
		t.Errorf("lookups of a token about to expire ran %d queries, want 3", n)
	}
	// The cache hands out copies.
	if err := save(s, ctx, "github", "4", tok("d")); err != nil {
		t.Fatal(err)
	}
	loads("4", 1, "d")
	got, err := load(s, ctx, "github", "4")
	if err != nil {
		t.Fatal(err)
	}
	got.AccessToken = "changed"
	if n := loads("4", 1, "d"); n != 0 {
		t.Errorf("lookup %d queries, want a cache hit", n)
	}
}
