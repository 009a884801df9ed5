package gormstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

// The store's GORM logger never sees the tokens bound to a statement.
func TestLoggerNeverSeesTokens(t *testing.T) {
	t.Parallel()
	rec := &recordingLogger{}
	db := openSQLite(t)
	db = db.Session(&gorm.Session{Logger: rec})
	s := newStore(t, db, gormstore.Config{})
	secret := tok("very-secret-access-token")
	if err := save(s, context.Background(), "github", "1", secret); err != nil {
		t.Fatal(err)
	}
	// A failing statement is logged at error level, with its SQL.
	if err := db.Migrator().DropTable(s.Table()); err != nil {
		t.Fatal(err)
	}
	if err := save(s, context.Background(), "github", "1", secret); err == nil {
		t.Fatal("Save to a dropped table: got nil error")
	}
	logged := rec.String()
	if !strings.Contains(logged, "SELECT") || !strings.Contains(logged, "?") {
		t.Fatalf("the logger saw no statement with placeholders; the test proves nothing: %q", logged)
	}
	for _, secret := range []string{secret.AccessToken, secret.RefreshToken} {
		if strings.Contains(logged, secret) {
			t.Errorf("the GORM log contains a token: %q", logged)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	type noColumns struct{ ID int64 }
	tests := []struct {
		name string
		cfg  gormstore.Config
		want string
	}{
		{"user required without resolver", gormstore.Config{UserRequired: true}, "UserRequired needs a UserID"},
		{"short key", gormstore.Config{Keys: [][]byte{[]byte("short")}}, "Keys[0] is 5 bytes"},
		{"duplicate key", gormstore.Config{Keys: [][]byte{[]byte("0123456789abcdef"), []byte("0123456789abcdef")}}, "duplicate"},
		{"model without the columns", gormstore.Config{Model: &noColumns{}}, "embed gormstore.Account"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gormstore.New(db, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := gormstore.New(nil, gormstore.Config{}); err == nil {
		t.Error("New(nil): got nil error")
	}
	// New never touches the database.
	s, err := gormstore.New(db, gormstore.Config{Table: "never_created"})
	if err != nil {
		t.Fatal(err)
	}
	if db.Migrator().HasTable("never_created") {
		t.Errorf("New created table %s", s.Table())
	}
	if got, _ := gormstore.New(db, gormstore.Config{Model: &oauthAccount{}}); got.Table() != "oauth_accounts" {
		t.Errorf("table of the embedding model: got %q, want oauth_accounts", got.Table())
	}
}

func TestSchema(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newStore(t, db, gormstore.Config{})
		for _, idx := range []string{"idx_" + s.Table() + "_provider_account", "idx_" + s.Table() + "_provider_user"} {
			if !db.Migrator().HasIndex(s.Table(), idx) {
				t.Errorf("index %s missing", idx)
			}
		}
		// AutoMigrate is idempotent.
		if err := s.AutoMigrate(context.Background()); err != nil {
			t.Fatalf("second AutoMigrate: %v", err)
		}
		now := time.Now().UTC()
		row := func(pid *string, uid string) *gormstore.Account {
			return &gormstore.Account{Provider: "github", ProviderUserID: pid, UserID: ptr(uid), Token: "{}", Version: 1, CreatedAt: now, UpdatedAt: now}
		}
		// Several rows without a provider account are fine...
		for _, uid := range []string{"1", "2"} {
			if err := db.Table(s.Table()).Create(row(nil, uid)).Error; err != nil {
				t.Fatalf("row without provider_user_id: %v", err)
			}
		}
		// ...but one provider account has one row.
		if err := db.Table(s.Table()).Create(row(ptr("gh-1"), "1")).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Table(s.Table()).Create(row(ptr("gh-1"), "2")).Error; err == nil {
			t.Error("a second row for (github, gh-1) was accepted; want a unique-index violation")
		}
	})
}

func TestDeleteAnonymous(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{})
	now := time.Now().UTC()
	rows := []gormstore.Account{
		{Provider: "github", Token: "{}", Version: 1, CreatedAt: now, UpdatedAt: now.Add(-48 * time.Hour)},
		{Provider: "github", Token: "{}", Version: 1, CreatedAt: now, UpdatedAt: now},
		{Provider: "github", UserID: ptr("1"), Token: "{}", Version: 1, CreatedAt: now, UpdatedAt: now.Add(-48 * time.Hour)},
	}
	if err := db.Table(s.Table()).Create(&rows).Error; err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteAnonymous(context.Background(), now.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("DeleteAnonymous: got %d, %v; want 1", n, err)
	}
	if left := rawRows(t, db, s.Table()); len(left) != 2 {
		t.Errorf("got %d rows left, want 2", len(left))
	}
}

func TestAccountNeverPrintsToken(t *testing.T) {
	t.Parallel()
	a := gormstore.Account{ID: 3, Provider: "github", ProviderUserID: ptr("gh-1"), UserID: ptr("7"), Token: `{"access_token":"secret-value"}`, Version: 2}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		for _, v := range []any{a, &a, []gormstore.Account{a}} {
			if got := fmt.Sprintf(format, v); strings.Contains(got, "secret-value") || !strings.Contains(got, "provider_user_id=gh-1") {
				t.Errorf("Sprintf(%q, %T) = %q", format, v, got)
			}
		}
	}
}

// TestSwapComparesTheRowVersion: a write lands between a swap's read and
// its write. The swap's UPDATE is conditioned on the version it read, so it
// must change nothing and return the other writer's token; without that
// condition it would overwrite a newer token with an older one. (The
// interleaving is forced with a GORM callback, so it happens every run.)
func TestSwapComparesTheRowVersion(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		cfg := gormstore.Config{Table: uniqueTable()}
		s := newStore(t, db, cfg)
		ctx := context.Background()
		if err := save(s, ctx, "github", "u1", tok("v1")); err != nil {
			t.Fatal(err)
		}
		other := openSecondHandle(t, db)
		rival, err := gormstore.New(other, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		name := "test:interleave-" + cfg.Table
		if err := db.Callback().Update().Before("gorm:begin_transaction").Register(name, func(tx *gorm.DB) {
			if tx.Statement.Table != cfg.Table {
				return
			}
			once.Do(func() {
				// Another instance swaps v1 for v2 between our read and write.
				if got, err := rival.UserRef("github", "u1").Swap(ctx, tok("v1"), tok("v2")); err != nil || got.AccessToken != "v2" {
					t.Errorf("rival swap: %v, %v", got, err)
				}
			})
		}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Callback().Update().Remove(name) })
		got, err := s.UserRef("github", "u1").Swap(ctx, tok("v1"), tok("v3"))
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || got.AccessToken != "v2" {
			t.Errorf("swap that lost the race returned %v, want the rival's v2", got)
		}
		if cur, _ := load(s, ctx, "github", "u1"); cur == nil || cur.AccessToken != "v2" {
			t.Errorf("stored after the race: %v, want v2 (a lost swap overwrote a newer token)", cur)
		}
	})
}

// TestCorruptRowsAreNoToken: a token column that is not a token (JSON
// null, an object without an access token, not JSON) is an error that
// names the account, never a token with an empty access token.
func TestCorruptRowsAreNoToken(t *testing.T) {
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{UserID: contextUser})
	now := time.Now().UTC()
	for i, stored := range []string{"null", `{"token_type":"Bearer"}`, "not json"} {
		uid := fmt.Sprint("corrupt-", i)
		if err := db.Table(s.Table()).Create(&gormstore.Account{Provider: "github", UserID: ptr(uid), Token: stored, Version: 1, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
		got, err := tokenOf(s, ginContext(t, uid), "github")
		if err == nil || got != nil || !strings.Contains(err.Error(), "account") {
			t.Errorf("stored %q: got %v, %v; want an error naming the account", stored, got, err)
		}
	}
}
