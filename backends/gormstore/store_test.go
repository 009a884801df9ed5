package gormstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

// forEachDB runs fn as a parallel sub-test on every database.
func forEachDB(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	for _, d := range databases {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d.open(t))
		})
	}
}

func tok(access string) *ginoauth.Token {
	return &ginoauth.Token{AccessToken: access, TokenType: "Bearer", RefreshToken: "r-" + access,
		Expiry: time.Now().Add(time.Hour).Round(time.Second)}
}

// Flask-Dance's SQL storage deletes every user's row for the provider when
// an anonymous visitor stores a token. Here the visitor gets a row of their
// own, and no other visitor can see it (Flask-Dance's issue #88).
func TestAnonymousSaveKeepsOtherUsersRows(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newStore(t, db, gormstore.Config{UserID: contextUser})
		ctx := context.Background()
		for _, u := range []string{"alice", "bob"} {
			if err := save(s, ctx, "github", u, tok("tok-"+u)); err != nil {
				t.Fatal(err)
			}
		}
		// Two anonymous visitors, each with their own session.
		a := newApp(t, func(r *gin.Engine, _ func(*gin.Context, *ginoauth.Blueprint, *ginoauth.Error)) {
			r.GET("/anon/set", func(c *gin.Context) {
				if err := setToken(s, c, "github", tok(c.Query("v"))); err != nil {
					c.String(http.StatusInternalServerError, err.Error())
				}
			})
			r.GET("/anon/get", func(c *gin.Context) {
				got, err := tokenOf(s, c, "github")
				if errors.Is(err, ginoauth.ErrNoToken) {
					c.String(http.StatusOK, "none")
					return
				}
				if err != nil {
					c.String(http.StatusInternalServerError, err.Error())
					return
				}
				c.String(http.StatusOK, got.AccessToken)
			})
			r.GET("/anon/delete", func(c *gin.Context) {
				if err := deleteToken(s, c, "github"); err != nil {
					c.String(http.StatusInternalServerError, err.Error())
				}
			})
		})
		v1, v2 := a.browser(t), a.browser(t)
		if code, body := v1.get("/anon/set?v=visitor1"); code != http.StatusOK {
			t.Fatalf("anonymous SetToken: %d %s", code, body)
		}
		if _, body := v1.get("/anon/get"); body != "visitor1" {
			t.Errorf("visitor 1 reads %q, want visitor1", body)
		}
		if _, body := v2.get("/anon/get"); body != "none" {
			t.Errorf("visitor 2 reads %q, want none (another visitor's token)", body)
		}
		v2.get("/anon/set?v=visitor2")
		v1.get("/anon/set?v=visitor1b") // an update, not a second row
		if _, body := v1.get("/anon/get"); body != "visitor1b" {
			t.Errorf("visitor 1 reads %q, want visitor1b", body)
		}
		for _, u := range []string{"alice", "bob"} {
			got, err := load(s, ctx, "github", u)
			if err != nil || got.AccessToken != "tok-"+u {
				t.Errorf("%s's token after anonymous saves: got %v, %v; want tok-%s", u, got, err, u)
			}
		}
		rows := rawRows(t, db, s.Table())
		if len(rows) != 4 {
			t.Errorf("got %d rows, want 4 (alice, bob, two visitors): %v", len(rows), rows)
		}
		v1.get("/anon/delete")
		if _, body := v1.get("/anon/get"); body != "none" {
			t.Errorf("visitor 1 after delete reads %q, want none", body)
		}
		if _, body := v2.get("/anon/get"); body != "visitor2" {
			t.Errorf("visitor 2 after visitor 1's delete reads %q, want visitor2", body)
		}
		if n := len(rawRows(t, db, s.Table())); n != 3 {
			t.Errorf("after delete got %d rows, want 3", n)
		}
	})
}

// oauthAccount is an application's model embedding Account, with a column
// of its own.
type oauthAccount struct {
	gormstore.Account
	Login string `gorm:"size:100;not null;default:''"`
}

// Flask-Dance's storage drops provider_user_id (and every other column) on
// each store, including the one after an automatic refresh. Here a save and
// a refresh update the token in place.
func TestRefreshKeepsProviderUserIDAndExtraColumns(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		prov := newFakeProvider(t, true)
		table := uniqueTable()
		s := newStore(t, db, gormstore.Config{UserID: contextUser, Model: &oauthAccount{}, Table: table})
		ctx := context.Background()
		first := prov.issueToken(fakeUser{ID: "gh-42"})
		first.Expiry = time.Now().Add(-time.Minute) // due for refresh
		if err := save(s, ctx, "fake", "7", first); err != nil {
			t.Fatal(err)
		}
		err := db.Table(table).Where("user_id = ?", "7").
			Updates(map[string]any{"provider_user_id": "gh-42", "login": "octocat"}).Error
		if err != nil {
			t.Fatal(err)
		}
		bp := prov.blueprint(t, s, ginoauth.Hooks{})

		// A refresh in a request, through Client.
		c := ginContext(t, "7")
		client, err := bp.Client(c)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Get("ping")
		if err != nil {
			t.Fatalf("API call with refresh: %v", err)
		}
		resp.Body.Close()
		// And a plain SetToken.
		if err := setToken(s, ginContext(t, "7"), "fake", tok("set-again")); err != nil {
			t.Fatal(err)
		}

		var rows []oauthAccount
		if err := db.Table(table).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("got %d rows, want 1", len(rows))
		}
		r := rows[0]
		if deref(r.ProviderUserID) != "gh-42" || r.Login != "octocat" || deref(r.UserID) != "7" {
			t.Errorf("after refresh and save: provider_user_id %s, login %q, user %s; want gh-42, octocat, 7",
				deref(r.ProviderUserID), r.Login, deref(r.UserID))
		}
		if r.Version != 3 {
			t.Errorf("version %d, want 3 (insert, refresh, save)", r.Version)
		}
		if got, _ := load(s, ctx, "fake", "7"); got == nil || got.AccessToken != "set-again" {
			t.Errorf("stored token %v, want set-again", got)
		}
	})
}

// Flask-Dance's storage raises "multiple results" when a user linked two
// accounts of one provider. Here the most recently updated one is used.
func TestSeveralAccountsOfOneProvider(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newStore(t, db, gormstore.Config{UserID: contextUser})
		now := time.Now().UTC()
		enc := func(access string) string {
			b, _ := json.Marshal(tok(access))
			return string(b)
		}
		rows := []gormstore.Account{
			{Provider: "github", ProviderUserID: ptr("work"), UserID: ptr("u1"), Token: enc("work-token"), Version: 1, CreatedAt: now, UpdatedAt: now.Add(-time.Hour)},
			{Provider: "github", ProviderUserID: ptr("personal"), UserID: ptr("u1"), Token: enc("personal-token"), Version: 1, CreatedAt: now, UpdatedAt: now.Add(-time.Minute)},
			{Provider: "github", ProviderUserID: ptr("other"), UserID: ptr("u2"), Token: enc("u2-token"), Version: 1, CreatedAt: now, UpdatedAt: now},
		}
		if err := db.Table(s.Table()).Create(&rows).Error; err != nil {
			t.Fatal(err)
		}
		got, err := tokenOf(s, ginContext(t, "u1"), "github")
		if err != nil || got.AccessToken != "personal-token" {
			t.Fatalf("Token: got %v, %v; want the most recently updated, personal-token", got, err)
		}
		if err := setToken(s, ginContext(t, "u1"), "github", tok("personal-2")); err != nil {
			t.Fatal(err)
		}
		all := rawRows(t, db, s.Table())
		want := map[string]string{"work": "work-token", "personal": "personal-2", "other": "u2-token"}
		for _, r := range all {
			got := new(ginoauth.Token)
			if err := json.Unmarshal([]byte(r.Token), got); err != nil {
				t.Fatal(err)
			}
			if got.AccessToken != want[deref(r.ProviderUserID)] {
				t.Errorf("account %s holds %q, want %q", deref(r.ProviderUserID), got.AccessToken, want[deref(r.ProviderUserID)])
			}
		}
		accts, err := s.Accounts(context.Background(), "u1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range accts {
			if a.Token != "" {
				t.Errorf("Accounts loaded the token of %v", a)
			}
			ids = append(ids, deref(a.ProviderUserID))
		}
		if fmt.Sprint(ids) != "[personal work]" {
			t.Errorf("Accounts(u1): got %v, want [personal work]", ids)
		}
	})
}

func ptr(s string) *string { return &s }

// Flask-Dance's user_required storage raises on delete for an anonymous
// user, so a naive logout crashes (its issue #100).
func TestUserRequired(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{UserID: contextUser, UserRequired: true})
	c := ginContext(t, "")
	if _, err := tokenOf(s, c, "github"); !errors.Is(err, gormstore.ErrNoUser) || !errors.Is(err, ginoauth.ErrNoToken) {
		t.Errorf("Token without user: got %v, want ErrNoUser that also matches ErrNoToken", err)
	}
	if err := setToken(s, c, "github", tok("x")); !errors.Is(err, gormstore.ErrNoUser) {
		t.Errorf("SetToken without user: got %v, want ErrNoUser", err)
	}
	if _, err := refOf(s, c, "github").Swap(c, tok("x"), tok("y")); !errors.Is(err, gormstore.ErrNoUser) {
		t.Errorf("Swap without user: got %v, want ErrNoUser", err)
	}
	if err := deleteToken(s, c, "github"); err != nil {
		t.Errorf("DeleteToken without user: got %v, want nil", err)
	}
	if n := len(rawRows(t, db, s.Table())); n != 0 {
		t.Errorf("got %d rows, want none", n)
	}
}

func TestDeleteKeepsLinks(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newStore(t, db, gormstore.Config{UserID: contextUser})
		ctx := context.Background()
		if err := save(s, ctx, "github", "u1", tok("linked")); err != nil {
			t.Fatal(err)
		}
		if err := db.Table(s.Table()).Where("user_id = ?", "u1").Update("provider_user_id", "gh-1").Error; err != nil {
			t.Fatal(err)
		}
		if err := save(s, ctx, "gitlab", "u1", tok("plain")); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"github", "gitlab"} {
			if err := deleteToken(s, ginContext(t, "u1"), p); err != nil {
				t.Fatal(err)
			}
			if _, err := load(s, ctx, p, "u1"); !errors.Is(err, ginoauth.ErrNoToken) {
				t.Errorf("%s after delete: got %v, want ErrNoToken", p, err)
			}
		}
		rows := rawRows(t, db, s.Table())
		if len(rows) != 1 || rows[0].Provider != "github" || deref(rows[0].ProviderUserID) != "gh-1" || rows[0].Token != "" {
			t.Fatalf("rows after delete: got %v, want only the github link, without token", rows)
		}
		// A refresh that finishes after the logout does not bring the token back.
		got, err := s.UserRef("github", "u1").Swap(ctx, tok("linked"), tok("refreshed"))
		if err != nil || got != nil {
			t.Fatalf("Swap after delete: got %v, %v; want nil, nil (the token is gone)", got, err)
		}
		if _, err := load(s, ctx, "github", "u1"); !errors.Is(err, ginoauth.ErrNoToken) {
			t.Errorf("after a late swap: got %v, want ErrNoToken", err)
		}
		// Logging in again fills the link's row.
		if err := save(s, ctx, "github", "u1", tok("again")); err != nil {
			t.Fatal(err)
		}
		if rows := rawRows(t, db, s.Table()); len(rows) != 1 || deref(rows[0].ProviderUserID) != "gh-1" {
			t.Errorf("after a new login: %v, want the one github row", rows)
		}
	})
}

func TestContextAPIAndRef(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{})
	ctx := context.Background()
	if _, err := load(s, ctx, "github", "42"); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Fatalf("Load of nothing: got %v, want ErrNoToken", err)
	}
	if err := save(s, ctx, "github", "42", tok("a")); err != nil {
		t.Fatal(err)
	}
	ref := s.UserRef("github", "42")
	if got, err := ref.Load(ctx); err != nil || got.AccessToken != "a" {
		t.Fatalf("Ref.Load: got %v, %v; want a", got, err)
	}
	if got, _ := ref.Swap(ctx, tok("stale"), tok("b")); got.AccessToken != "a" {
		t.Errorf("stale Ref.Swap: got %q, want the stored a", got.AccessToken)
	}
	if got, _ := ref.Swap(ctx, tok("a"), tok("b")); got.AccessToken != "b" {
		t.Errorf("Ref.Swap: got %q, want b", got.AccessToken)
	}
	if got, _ := load(s, ctx, "github", "43"); got != nil {
		t.Errorf("another user sees %v", got)
	}
	if err := save(s, ctx, "github", "", tok("x")); !errors.Is(err, gormstore.ErrNoUser) {
		t.Errorf("Save without user ID: got %v, want ErrNoUser", err)
	}
	if _, err := ref.Swap(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Load(ctx); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Errorf("after Delete: got %v, want ErrNoToken", err)
	}
	// Queries run with the caller's context.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := load(s, canceled, "github", "42"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a canceled context: got %v, want context.Canceled", err)
	}
	c := ginContext(t, "42")
	c.Request = c.Request.WithContext(canceled)
	if err := setToken(s, c, "github", tok("x")); err == nil {
		t.Error("SetToken in a canceled request: got nil error")
	}
}

// The token read skips rows without a token (a linked account that logged
// out): with two accounts of one provider, the newer one's empty row does
// not hide the older one's token.
func TestEmptiedAccountDoesNotHideAnother(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		s := newStore(t, db, gormstore.Config{UserID: contextUser})
		now := time.Now().UTC()
		work, _ := json.Marshal(tok("work-token"))
		rows := []gormstore.Account{
			{Provider: "github", ProviderUserID: ptr("work"), UserID: ptr("u1"), Token: string(work), Version: 1, CreatedAt: now, UpdatedAt: now.Add(-time.Hour)},
			{Provider: "github", ProviderUserID: ptr("personal"), UserID: ptr("u1"), Token: "", Version: 1, CreatedAt: now, UpdatedAt: now},
		}
		if err := db.Table(s.Table()).Create(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if got, err := tokenOf(s, ginContext(t, "u1"), "github"); err != nil || got.AccessToken != "work-token" {
			t.Fatalf("Token: got %v, %v; want work-token", got, err)
		}
		if err := db.Table(s.Table()).Where("provider_user_id = ?", "work").Update("token", "").Error; err != nil {
			t.Fatal(err)
		}
		if _, err := tokenOf(s, ginContext(t, "u1"), "github"); !errors.Is(err, ginoauth.ErrNoToken) {
			t.Errorf("both emptied: got %v, want ErrNoToken", err)
		}
	})
}
