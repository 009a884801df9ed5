package gormstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
)

// TestLogoutSubject: a back-channel logout for a provider account empties
// that account's tokens, keeps its link, and leaves other accounts alone.
func TestLogoutSubject(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *gorm.DB) {
		e := newLinkEnv(t, db, nil)
		if code, body := e.login(e.app.browser(t), fakeUser{ID: "gh-1"}); body != "user=1" {
			t.Fatalf("login: %d %s", code, body)
		}
		b2 := e.app.browser(t)
		b2.get("/local-login?uid=99")
		if code, body := e.login(b2, fakeUser{ID: "gh-2"}); body != "user=99" {
			t.Fatalf("login: %d %s", code, body)
		}
		// The logout token's verification is providers/oidc's (tested
		// there); here the "token" is the subject itself.
		p := e.prov.provider()
		p.VerifyLogoutToken = func(_ context.Context, _, raw string) (map[string]any, error) {
			if raw == "forged" {
				return nil, errors.New("bad signature")
			}
			return map[string]any{"sub": raw}, nil
		}
		bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "client", ClientSecret: "secret", Storage: e.store})
		if err != nil {
			t.Fatal(err)
		}
		r := gin.New()
		bp.Register(r.Group("/login"))
		post := func(tok string) int {
			req := httptest.NewRequest(http.MethodPost, "/login/fake/backchannel-logout", strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			return w.Code
		}
		if code := post("forged"); code != http.StatusBadRequest {
			t.Errorf("forged token: %d, want 400", code)
		}
		if code := post("gh-1"); code != http.StatusOK {
			t.Fatalf("logout: %d, want 200", code)
		}
		if a := e.accountOf("gh-1"); a == nil || a.Token != "" || deref(a.UserID) != "1" {
			t.Errorf("gh-1 after logout: %v, want the link kept and no token", a)
		}
		if _, err := load(e.store, context.Background(), "fake", "1"); !errors.Is(err, ginoauth.ErrNoToken) {
			t.Errorf("user 1's token after logout: %v, want ErrNoToken", err)
		}
		if a := e.accountOf("gh-2"); a == nil || a.Token == "" {
			t.Errorf("gh-2 lost its token: %v", a)
		}
		if n, err := e.store.LogoutSubject(context.Background(), "fake", "gh-1"); n != 0 || err != nil {
			t.Errorf("second logout: %d, %v, want 0 tokens", n, err)
		}
		if n, err := e.store.LogoutSubject(context.Background(), "other", "gh-2"); n != 0 || err != nil {
			t.Errorf("another provider's logout: %d, %v, want 0 tokens", n, err)
		}
	})
}

// With the read cache on, a logged-out token is not served from it.
func TestLogoutSubjectClearsCache(t *testing.T) {
	db := openSQLite(t)
	st := newStore(t, db, gormstore.Config{CacheTTL: time.Minute})
	ctx := context.Background()
	ref := st.UserRef("fake", "u1")
	if _, err := ref.Swap(ctx, nil, &ginoauth.Token{AccessToken: "at"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Table(st.Table()).Where("user_id = ?", "u1").Update("provider_user_id", "sub-1").Error; err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := st.LogoutSubject(ctx, "fake", "sub-1"); n != 1 || err != nil {
		t.Fatalf("LogoutSubject: %d, %v", n, err)
	}
	if _, err := ref.Load(ctx); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Errorf("Load after logout: %v, want ErrNoToken (not the cached token)", err)
	}
}
