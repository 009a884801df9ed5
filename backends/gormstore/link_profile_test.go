package gormstore_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// A provider whose profile endpoint is down fails the login as a provider
// error (502, KindProfileFailed), not as a server problem, and links nothing.
func TestLinkProfileDownIsAProviderError(t *testing.T) {
	gin.SetMode(gin.TestMode)
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	store := newStore(t, openSQLite(t), gormstore.Config{Table: uniqueTable(), UserID: contextUser})
	linker, err := store.Linker(gormstore.LinkConfig{
		Login: func(*gin.Context, string) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	var got *ginoauth.Error
	bp, err := ginoauth.New(srv.Provider(), ginoauth.Config{
		ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Storage: store,
		Hooks: ginoauth.Hooks{
			Authorized: linker.Authorized,
			Error:      func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { got = err },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	app := httptest.NewServer(r)
	defer app.Close()

	srv.FailNext(ginoauthtest.PathUserinfo, http.StatusServiceUnavailable, "down")
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(app.URL + "/login/test")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || got == nil || got.Kind != ginoauth.KindProfileFailed {
		t.Fatalf("got %d, %v; want 502 and KindProfileFailed", resp.StatusCode, got)
	}
	if accts, err := store.Accounts(t.Context(), "1001"); err != nil || len(accts) != 0 {
		t.Fatalf("accounts after the failed link: %v, %v; want none", accts, err)
	}
}
