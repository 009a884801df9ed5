package gormstore_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

var (
	key1 = bytes.Repeat([]byte{1}, 32)
	key2 = bytes.Repeat([]byte{2}, 16) // AES-128 works too
)

func rawToken(t *testing.T, db *gorm.DB, table, userID string) string {
	t.Helper()
	var a gormstore.Account
	if err := db.Table(table).Where("user_id = ?", userID).Take(&a).Error; err != nil {
		t.Fatalf("row of %s: %v", userID, err)
	}
	return a.Token
}

func TestEncryptionKeyRotation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		table := uniqueTable()
		// Rows written before encryption was turned on.
		plain := newStore(t, db, gormstore.Config{Table: table})
		if err := save(plain, ctx, "github", "old", tok("plain-secret")); err != nil {
			t.Fatal(err)
		}
		// While encryption is turned on, the plain row must stay readable.
		open := func(keys ...[]byte) *gormstore.Store {
			s, err := gormstore.New(db, gormstore.Config{Table: table, Keys: keys, AllowUnsealed: true})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s1 := open(key1)
		if err := save(s1, ctx, "github", "u1", tok("access-secret")); err != nil {
			t.Fatal(err)
		}
		raw := rawToken(t, db, table, "u1")
		if !strings.HasPrefix(raw, "gcm2:"+gormstore.KeyID(key1)+":") || strings.Contains(raw, "secret") {
			t.Fatalf("stored column %q: want sealed with key %s, no plaintext", raw, gormstore.KeyID(key1))
		}
		for _, u := range []string{"u1", "old"} {
			if _, err := load(s1, ctx, "github", u); err != nil {
				t.Errorf("key1 store, Load %s: %v", u, err)
			}
		}

		// Rotation: the new key first, the old one still listed.
		s2 := open(key2, key1)
		if got, err := load(s2, ctx, "github", "u1"); err != nil || got.AccessToken != "access-secret" {
			t.Fatalf("after adding key2: got %v, %v", got, err)
		}
		n, err := s2.Reencrypt(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Reencrypt: got %d, %v; want 2 (the plain row and the key1 row)", n, err)
		}
		for _, u := range []string{"u1", "old"} {
			if raw := rawToken(t, db, table, u); !strings.HasPrefix(raw, "gcm2:"+gormstore.KeyID(key2)+":") {
				t.Errorf("%s after Reencrypt: %q, want sealed with key2", u, raw)
			}
		}
		if n, err := s2.Reencrypt(ctx); err != nil || n != 0 {
			t.Errorf("second Reencrypt: got %d, %v; want 0", n, err)
		}
		// The old key can go, and so can AllowUnsealed.
		s3, err := gormstore.New(db, gormstore.Config{Table: table, Keys: [][]byte{key2}})
		if err != nil {
			t.Fatal(err)
		}
		for u, want := range map[string]string{"u1": "access-secret", "old": "plain-secret"} {
			if got, err := load(s3, ctx, "github", u); err != nil || got.AccessToken != want {
				t.Errorf("key2-only store, %s: got %v, %v; want %s", u, got, err, want)
			}
		}
		// Without the right key: a clear error, not "no token".
		if _, err := load(open(key1), ctx, "github", "u1"); err == nil || !strings.Contains(err.Error(), "not in Config.Keys") {
			t.Errorf("key1-only store after rotation: got %v, want a missing-key error", err)
		}
		if _, err := load(plain, ctx, "github", "u1"); err == nil || !strings.Contains(err.Error(), "Config.Keys is empty") {
			t.Errorf("store without keys: got %v, want an encrypted-token error", err)
		}
	})
}

// A sealed token is bound to its row: copied into another user's row, it
// does not open.
func TestSealedTokenBoundToRow(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{Keys: [][]byte{key1}})
	ctx := context.Background()
	for _, u := range []string{"victim", "attacker"} {
		if err := save(s, ctx, "github", u, tok(u+"-token")); err != nil {
			t.Fatal(err)
		}
	}
	stolen := rawToken(t, db, s.Table(), "victim")
	if err := db.Table(s.Table()).Where("user_id = ?", "attacker").Update("token", stolen).Error; err != nil {
		t.Fatal(err)
	}
	got, err := load(s, ctx, "github", "attacker")
	if err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("copied ciphertext: got %v, %v; want an error", got, err)
	}
}

func TestKeyID(t *testing.T) {
	t.Parallel()
	if a, b := gormstore.KeyID(key1), gormstore.KeyID(key1); a != b || len(a) != 8 {
		t.Errorf("KeyID: got %q and %q, want one 8-character ID", a, b)
	}
	if gormstore.KeyID(key1) == gormstore.KeyID(key2) {
		t.Error("two keys have one ID")
	}
}

// TestSealedTokenBoundToOwner: the outside review's finding. With write
// access to the table but not the key, re-pointing a victim's row at
// another local user, or writing a plaintext token into a row, gives
// nobody a token: the sealed token is bound to its owner, and a store with
// keys refuses unsealed rows (ErrUnsealed).
func TestSealedTokenBoundToOwner(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{Keys: [][]byte{key1}})
	ctx := context.Background()
	if err := save(s, ctx, "github", "victim", tok("victim-token")); err != nil {
		t.Fatal(err)
	}
	if err := db.Table(s.Table()).Where("user_id = ?", "victim").Update("user_id", "attacker").Error; err != nil {
		t.Fatal(err)
	}
	if got, err := load(s, ctx, "github", "attacker"); err == nil || !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("row re-pointed at another user: got %v, %v; want an error", got, err)
	}
	if err := save(s, ctx, "github", "other", tok("x")); err != nil {
		t.Fatal(err)
	}
	if err := db.Table(s.Table()).Where("user_id = ?", "other").Update("token", `{"access_token":"planted"}`).Error; err != nil {
		t.Fatal(err)
	}
	if got, err := load(s, ctx, "github", "other"); !errors.Is(err, gormstore.ErrUnsealed) {
		t.Fatalf("plaintext row in a sealed store: got %v, %v; want ErrUnsealed", got, err)
	}
}
