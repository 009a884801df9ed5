package gormstore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

const dbPassword = "hunter2-database-password"

// TestDatabaseUnreachable points the store at servers that are down: the
// errors say what failed, keep the driver's cause, and never contain the
// password from the DSN. At the callback the error reaches the error hook as
// KindStorageFailed.
func TestDatabaseUnreachable(t *testing.T) {
	t.Parallel()
	port := closedPort(t)
	tests := []struct {
		name string
		d    gorm.Dialector
	}{
		{"PostgreSQL keywords", postgres.Open(fmt.Sprintf("host=127.0.0.1 port=%d user=app password=%s dbname=tokens sslmode=disable connect_timeout=5", port, dbPassword))},
		{"PostgreSQL URL", postgres.Open(fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/tokens?sslmode=disable&connect_timeout=5", dbPassword, port))},
		{"MySQL", mysql.New(mysql.Config{DSN: fmt.Sprintf("app:%s@tcp(127.0.0.1:%d)/tokens?timeout=5s", dbPassword, port), SkipInitializeWithVersion: true})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := gormConfig()
			cfg.DisableAutomaticPing = true
			db, err := gorm.Open(tc.d, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if sqlDB, err := db.DB(); err == nil {
					sqlDB.Close()
				}
			})
			s, err := gormstore.New(db, gormstore.Config{Table: "tokens", UserID: sessionUser})
			if err != nil {
				t.Fatal(err)
			}
			_, err = load(s, context.Background(), "github", "1")
			checkDownError(t, err)
			var ne net.Error
			if !errors.As(err, &ne) && !strings.Contains(err.Error(), "refused") {
				t.Errorf("the driver's cause is lost: %v", err)
			}

			// At the callback, through the error hook.
			prov := newFakeProvider(t, false)
			a := newApp(t, func(r *gin.Engine, onError func(*gin.Context, *ginoauth.Blueprint, *ginoauth.Error)) {
				prov.blueprint(t, s, ginoauth.Hooks{Error: onError}).Register(r.Group("/login"))
			})
			prov.loginAs(fakeUser{ID: "gh-1"})
			a.browser(t).get("/login/fake")
			gerr := <-a.errs
			if gerr.Kind != ginoauth.KindStorageFailed {
				t.Fatalf("error hook: got kind %s (%v), want %s", gerr.Kind, gerr, ginoauth.KindStorageFailed)
			}
			checkDownError(t, gerr)
		})
	}
}

func checkDownError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("got nil error from a database that is down")
	}
	if !strings.Contains(err.Error(), "gormstore: ") {
		t.Errorf("error %q does not say it comes from the store", err)
	}
	if strings.Contains(err.Error(), dbPassword) {
		t.Errorf("error %q contains the database password", err)
	}
}

// TestDatabaseClosed closes the connection pool under a store and under a
// linking hook: clear errors, KindStorageFailed at the callback.
func TestDatabaseClosed(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		e := newLinkEnv(t, db, nil)
		if err := save(e.store, context.Background(), "fake", "1", tok("a")); err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := db.DB()
		sqlDB.Close()
		if _, err := load(e.store, context.Background(), "fake", "1"); err == nil || !strings.Contains(err.Error(), "gormstore: load fake token: sql: database is closed") {
			t.Errorf("Load: got %v, want a wrapped \"database is closed\"", err)
		}
		e.login(e.app.browser(t), fakeUser{ID: "gh-1"})
		gerr := e.lastError()
		if gerr == nil || gerr.Kind != ginoauth.KindStorageFailed || !strings.Contains(gerr.Error(), "database is closed") {
			t.Errorf("linking with the database closed: got %v, want KindStorageFailed", gerr)
		}
	})
}

// TestFailedWriteLeavesNothing makes the second statement of a write
// transaction fail: the first is rolled back with it.
func TestFailedWriteLeavesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		var fail atomic.Bool                  // fail UPDATEs
		var failCreate atomic.Pointer[string] // fail INSERTs into this table
		injected := errors.New("injected failure")
		err := db.Callback().Update().Before("gorm:update").Register("gormstore_test:fail", func(tx *gorm.DB) {
			if fail.Load() {
				tx.AddError(injected)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Callback().Create().Before("gorm:create").Register("gormstore_test:fail", func(tx *gorm.DB) {
			if p := failCreate.Load(); p != nil && *p == tx.Statement.Table {
				tx.AddError(injected)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		// With keys, a new row is inserted, then its token is sealed with
		// the row's ID by an UPDATE.
		s := newStore(t, db, gormstore.Config{Keys: [][]byte{key1}})
		fail.Store(true)
		if err := save(s, context.Background(), "github", "1", tok("a")); !errors.Is(err, injected) {
			t.Fatalf("Save: got %v, want the injected failure", err)
		}
		fail.Store(false)
		if rows := rawRows(t, db, s.Table()); len(rows) != 0 {
			t.Errorf("rows after a failed Save: %v, want none", rows)
		}

		// The linking transaction: the user is created, then inserting the
		// account fails; the user is not left behind, and the hook reports
		// a storage failure.
		e := newLinkEnv(t, db, nil)
		table := e.store.Table()
		failCreate.Store(&table)
		b := e.app.browser(t)
		e.login(b, fakeUser{ID: "gh-1"})
		failCreate.Store(nil)
		if gerr := e.lastError(); gerr == nil || gerr.Kind != ginoauth.KindStorageFailed || !errors.Is(gerr, injected) {
			t.Fatalf("link: got %v, want KindStorageFailed with the injected failure", gerr)
		}
		if n := e.userCount(); n != 0 {
			t.Errorf("users after the failed link: %d, want 0", n)
		}
		if rows := rawRows(t, db, e.store.Table()); len(rows) != 0 {
			t.Errorf("rows after the failed link: %v, want none", rows)
		}
		if _, body := b.get("/"); body != "user=" {
			t.Errorf("after the failed link the browser is %q, want logged out", body)
		}
	})
}
