package gormstore_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

// appUser is the test application's user model.
type appUser struct {
	ID    uint
	Email string `gorm:"size:100"`
	Name  string `gorm:"size:100"`
}

// linkEnv is an app whose "fake" blueprint links accounts to local users.
type linkEnv struct {
	t      *testing.T
	db     *gorm.DB
	prov   *fakeProvider
	store  *gormstore.Store
	linker *gormstore.Linker
	bp     *ginoauth.Blueprint
	app    *app
	users  string // the users table

	mu     sync.Mutex
	events []string // "link <provider user> <user>", "unlink ..."
}

// newLinkEnv builds the app; change, if not nil, edits the LinkConfig.
func newLinkEnv(t *testing.T, db *gorm.DB, change func(e *linkEnv, cfg *gormstore.LinkConfig)) *linkEnv {
	t.Helper()
	e := &linkEnv{t: t, db: db, prov: newFakeProvider(t, false), users: uniqueTable()}
	if err := db.Table(e.users).AutoMigrate(&appUser{}); err != nil {
		t.Fatal(err)
	}
	dropLater(t, db, e.users)
	e.store = newStore(t, db, gormstore.Config{UserID: sessionUser})
	cfg := gormstore.LinkConfig{
		Login: sessionLogin,
		CreateUser: func(c *gin.Context, tx *gorm.DB, p *ginoauth.Profile) (string, error) {
			u := appUser{Name: p.Name}
			if p.EmailVerified { // only addresses a provider proved identify a user
				u.Email = p.Email
			}
			if err := tx.Table(e.users).Create(&u).Error; err != nil {
				return "", err
			}
			return strconv.FormatUint(uint64(u.ID), 10), nil
		},
		OnLink: func(c *gin.Context, tx *gorm.DB, a *gormstore.Account, p *ginoauth.Profile) error {
			e.event("link " + deref(a.ProviderUserID) + " " + deref(a.UserID))
			return nil
		},
		OnUnlink: func(ctx context.Context, tx *gorm.DB, a *gormstore.Account) error {
			e.event("unlink " + deref(a.ProviderUserID) + " " + deref(a.UserID))
			return nil
		},
	}
	if change != nil {
		change(e, &cfg)
	}
	var err error
	if e.linker, err = e.store.Linker(cfg); err != nil {
		t.Fatal(err)
	}
	e.app = newApp(t, func(r *gin.Engine, onError func(*gin.Context, *ginoauth.Blueprint, *ginoauth.Error)) {
		e.bp = e.prov.blueprint(t, e.store, ginoauth.Hooks{Authorized: e.linker.Authorized, Error: onError})
		e.bp.Register(r.Group("/login"))
		r.GET("/unlink", func(c *gin.Context) {
			uid, _ := sessionUser(c)
			id, _ := strconv.ParseInt(c.Query("id"), 10, 64)
			if err := e.linker.Unlink(c.Request.Context(), e.bp, uid, id); err != nil {
				c.String(http.StatusConflict, err.Error())
				return
			}
			c.String(http.StatusOK, "unlinked")
		})
	})
	return e
}

func (e *linkEnv) event(s string) {
	e.mu.Lock()
	e.events = append(e.events, s)
	e.mu.Unlock()
}

func (e *linkEnv) takeEvents() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := strings.Join(e.events, "; ")
	e.events = nil
	return s
}

// login runs the whole OAuth dance in b as provider user u and returns the
// final page.
func (e *linkEnv) login(b *browser, u fakeUser) (int, string) {
	e.t.Helper()
	e.prov.loginAs(u)
	return b.get("/login/fake")
}

// lastError returns the error the error hook got, if any.
func (e *linkEnv) lastError() *ginoauth.Error {
	select {
	case err := <-e.app.errs:
		return err
	default:
		return nil
	}
}

func (e *linkEnv) userCount() int {
	var n int64
	if err := e.db.Table(e.users).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return int(n)
}

// accountOf returns the row of provider user pid, or nil.
func (e *linkEnv) accountOf(pid string) *gormstore.Account {
	e.t.Helper()
	for _, r := range rawRows(e.t, e.db, e.store.Table()) {
		if deref(r.ProviderUserID) == pid {
			return &r
		}
	}
	return nil
}

func TestLinking(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		e := newLinkEnv(t, db, nil)
		octo := fakeUser{ID: "gh-1", Email: "octo@example.com", Name: "Octo"}

		// A new visitor gets a new local user.
		b := e.app.browser(t)
		if code, body := e.login(b, octo); code != http.StatusOK || body != "user=1" {
			t.Fatalf("first login: got %d %q, want 200 user=1 (err %v)", code, body, e.lastError())
		}
		if got := e.takeEvents(); got != "link gh-1 1" {
			t.Errorf("events: got %q, want link gh-1 1", got)
		}
		acct := e.accountOf("gh-1")
		if acct == nil || deref(acct.UserID) != "1" || acct.Token == "" {
			t.Fatalf("row after first login: %v", acct)
		}
		if got, err := load(e.store, context.Background(), "fake", "1"); err != nil || !strings.HasPrefix(got.AccessToken, "at-gh-1-") {
			t.Errorf("user 1's token: got %v, %v", got, err)
		}

		// The same account, in another browser: the same local user.
		b2 := e.app.browser(t)
		if code, body := e.login(b2, octo); code != http.StatusOK || body != "user=1" {
			t.Fatalf("returning login: got %d %q, want user=1 (err %v)", code, body, e.lastError())
		}
		if n := e.userCount(); n != 1 {
			t.Errorf("users after returning login: got %d, want 1", n)
		}
		if got := e.takeEvents(); got != "" {
			t.Errorf("a returning login fired %q", got)
		}
		if a := e.accountOf("gh-1"); a.Version != acct.Version+1 || a.ID != acct.ID {
			t.Errorf("returning login: row %v, want row %d with version %d (token updated in place)", a, acct.ID, acct.Version+1)
		}

		// A logged-in local user links a second provider account.
		b3 := e.app.browser(t)
		b3.get("/local-login?uid=99")
		if code, body := e.login(b3, fakeUser{ID: "gh-2"}); code != http.StatusOK || body != "user=99" {
			t.Fatalf("link while logged in: got %d %q, want user=99 (err %v)", code, body, e.lastError())
		}
		if a := e.accountOf("gh-2"); a == nil || deref(a.UserID) != "99" {
			t.Errorf("row of gh-2: %v, want linked to 99", a)
		}
		if n := e.userCount(); n != 1 {
			t.Errorf("linking created a user: %d users", n)
		}
		if got := e.takeEvents(); got != "link gh-2 99" {
			t.Errorf("events: got %q, want link gh-2 99", got)
		}

		// User 99 logs in with gh-1, which is user 1's: refused.
		before := e.accountOf("gh-1")
		code, body := e.login(b3, octo)
		gerr := e.lastError()
		if gerr == nil || gerr.Kind != ginoauth.KindHookFailed || !errors.Is(gerr, gormstore.ErrAccountLinked) {
			t.Fatalf("login with someone else's account: got %d %q, error %v; want KindHookFailed matching ErrAccountLinked", code, body, gerr)
		}
		var le *gormstore.AccountLinkedError
		if !errors.As(gerr, &le) || le.LinkedUserID != "1" || le.CurrentUserID != "99" || le.ProviderUserID != "gh-1" {
			t.Errorf("cause: got %+v, want linked to 1, current 99, account gh-1", le)
		}
		if _, body := b3.get("/"); body != "user=99" {
			t.Errorf("after the refused link the browser is %q, want still user=99", body)
		}
		if a := e.accountOf("gh-1"); a.Version != before.Version || deref(a.UserID) != "1" {
			t.Errorf("the refused link changed the row: %v, was %v", a, before)
		}

		// Unlink: the row goes, the token is revoked, the hook fires.
		stored, _ := load(e.store, context.Background(), "fake", "99")
		if code, body := b3.get("/unlink?id=" + strconv.FormatInt(e.accountOf("gh-2").ID, 10)); code != http.StatusOK {
			t.Fatalf("unlink: %d %s", code, body)
		}
		if a := e.accountOf("gh-2"); a != nil {
			t.Errorf("row after unlink: %v", a)
		}
		if got := e.takeEvents(); got != "unlink gh-2 99" {
			t.Errorf("events: got %q, want unlink gh-2 99", got)
		}
		if rev := e.prov.revokedTokens(); len(rev) != 1 || rev[0] != stored.RefreshToken {
			t.Errorf("revoked at the provider: %v, want [%s]", rev, stored.RefreshToken)
		}
		// Nobody can unlink another user's account.
		if code, body := b3.get("/unlink?id=" + strconv.FormatInt(e.accountOf("gh-1").ID, 10)); code != http.StatusConflict || !strings.Contains(body, gormstore.ErrAccountNotFound.Error()) {
			t.Errorf("unlinking user 1's account as 99: got %d %q, want ErrAccountNotFound", code, body)
		}
		if e.accountOf("gh-1") == nil {
			t.Error("user 1's account was unlinked by user 99")
		}
	})
}

func TestLinkingByEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		optIn    bool
		verified bool
		wantUser string // "bob" or "new"
	}{
		{"verified and opted in", true, true, "bob"},
		{"unverified", true, false, "new"},
		{"verified, not opted in", false, true, "new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var lookups int
			e := newLinkEnv(t, openSQLite(t), func(e *linkEnv, cfg *gormstore.LinkConfig) {
				if tc.optIn {
					cfg.FindUserByVerifiedEmail = func(c *gin.Context, tx *gorm.DB, email string) (string, bool, error) {
						lookups++
						var u appUser
						err := tx.Table(e.users).Where("email = ?", email).Limit(1).Find(&u).Error
						return strconv.FormatUint(uint64(u.ID), 10), u.ID != 0, err
					}
				}
			})
			bob := appUser{Email: "bob@example.com", Name: "Bob"}
			if err := e.db.Table(e.users).Create(&bob).Error; err != nil {
				t.Fatal(err)
			}
			code, body := e.login(e.app.browser(t), fakeUser{ID: "gh-7", Email: "bob@example.com", EmailVerified: tc.verified})
			want := "user=" + strconv.FormatUint(uint64(bob.ID), 10)
			if tc.wantUser == "new" {
				want = "user=" + strconv.FormatUint(uint64(bob.ID)+1, 10)
			}
			if code != http.StatusOK || body != want {
				t.Fatalf("got %d %q, want %s (err %v)", code, body, want, e.lastError())
			}
			if tc.optIn && !tc.verified && lookups != 0 {
				t.Errorf("FindUserByVerifiedEmail was called for an unverified email")
			}
		})
	}
}

func TestLinkFailuresLeaveNothing(t *testing.T) {
	t.Parallel()
	refuse := errors.New("refused by OnLink")
	tests := []struct {
		name   string
		change func(e *linkEnv, cfg *gormstore.LinkConfig)
		want   error
	}{
		{"sign-up closed", func(_ *linkEnv, cfg *gormstore.LinkConfig) { cfg.CreateUser = nil }, gormstore.ErrSignupClosed},
		{"OnLink refuses after CreateUser", func(_ *linkEnv, cfg *gormstore.LinkConfig) {
			cfg.OnLink = func(*gin.Context, *gorm.DB, *gormstore.Account, *ginoauth.Profile) error { return refuse }
		}, refuse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLinkEnv(t, openSQLite(t), tc.change)
			b := e.app.browser(t)
			e.login(b, fakeUser{ID: "gh-1"})
			gerr := e.lastError()
			if gerr == nil || gerr.Kind != ginoauth.KindHookFailed || !errors.Is(gerr, tc.want) {
				t.Fatalf("got error %v, want KindHookFailed with %v", gerr, tc.want)
			}
			if n := e.userCount(); n != 0 {
				t.Errorf("got %d users, want 0 (the user creation is rolled back)", n)
			}
			if rows := rawRows(t, e.db, e.store.Table()); len(rows) != 0 {
				t.Errorf("got rows %v, want none", rows)
			}
			if _, body := b.get("/"); body != "user=" {
				t.Errorf("browser is logged in as %q, want nobody", body)
			}
		})
	}
}

func TestUnlinkVetoAndAdoption(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t, openSQLite(t), func(_ *linkEnv, cfg *gormstore.LinkConfig) {
		cfg.OnUnlink = func(context.Context, *gorm.DB, *gormstore.Account) error {
			return errors.New("last login method")
		}
	})
	// User 5 stored a token before linking existed (no provider user ID).
	if err := save(e.store, context.Background(), "fake", "5", tok("plain")); err != nil {
		t.Fatal(err)
	}
	b := e.app.browser(t)
	b.get("/local-login?uid=5")
	if code, body := e.login(b, fakeUser{ID: "gh-5"}); body != "user=5" {
		t.Fatalf("link: %d %q (err %v)", code, body, e.lastError())
	}
	rows := rawRows(t, e.db, e.store.Table())
	if len(rows) != 1 || deref(rows[0].ProviderUserID) != "gh-5" || deref(rows[0].UserID) != "5" {
		t.Fatalf("rows: %v, want the old row labelled gh-5", rows)
	}
	if code, body := b.get("/unlink?id=" + strconv.FormatInt(rows[0].ID, 10)); code != http.StatusConflict || !strings.Contains(body, "last login method") {
		t.Errorf("vetoed unlink: got %d %q", code, body)
	}
	if len(rawRows(t, e.db, e.store.Table())) != 1 {
		t.Error("a vetoed unlink deleted the row")
	}
	if rev := e.prov.revokedTokens(); len(rev) != 0 {
		t.Errorf("a vetoed unlink revoked %v", rev)
	}
}

func TestLinkerConfig(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	s := newStore(t, db, gormstore.Config{UserID: contextUser})
	if _, err := s.Linker(gormstore.LinkConfig{}); err == nil {
		t.Error("Linker without Login: got nil error")
	}
	noUser := newStore(t, db, gormstore.Config{})
	if _, err := noUser.Linker(gormstore.LinkConfig{Login: sessionLogin}); err == nil {
		t.Error("Linker on a store without UserID: got nil error")
	}
}

// TestPreAccountTakeoverByEmail: the outside review's pre-account takeover.
// An attacker signs up first, with the victim's address, through a provider
// that does not verify it; the victim later logs in through one that does.
// With CreateUser keeping only verified addresses (the LinkConfig contract),
// FindUserByVerifiedEmail cannot find the attacker's user, and the victim
// gets an account of their own.
func TestPreAccountTakeoverByEmail(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t, openSQLite(t), func(e *linkEnv, cfg *gormstore.LinkConfig) {
		cfg.FindUserByVerifiedEmail = func(c *gin.Context, tx *gorm.DB, email string) (string, bool, error) {
			var u appUser
			err := tx.Table(e.users).Where("email = ?", email).Limit(1).Find(&u).Error
			return strconv.FormatUint(uint64(u.ID), 10), u.ID != 0, err
		}
	})
	_, attacker := e.login(e.app.browser(t), fakeUser{ID: "attacker-at-lax-provider", Email: "victim@example.com"})
	_, victim := e.login(e.app.browser(t), fakeUser{ID: "victim-at-strict-provider", Email: "victim@example.com", EmailVerified: true})
	if attacker == "" || victim == "" || attacker == victim {
		t.Fatalf("attacker logged in as %q, victim as %q: the victim was merged into the attacker's account", attacker, victim)
	}
}
