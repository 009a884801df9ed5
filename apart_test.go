package ginoauth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// TestIDTokenApartSurvivesOtherWrites: a token read where its ID token
// does not travel, changed and written back (here through the storage's
// own Ref, as an app may), keeps its ID token: the end-session route
// still finds it.
func TestIDTokenApartSurvivesOtherWrites(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	st := &ginoauth.SessionStorage{}
	a := newApp(t, srv, func(cfg *ginoauth.Config, _ *ginoauth.Provider) { cfg.Storage = st })
	a.engine.GET("/rewrite", func(c *gin.Context) {
		ref, err := st.Ref(c, a.bp.Name())
		if err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		old, err := ref.Load(c.Request.Context())
		if err != nil || old.IDToken != "" {
			c.Status(http.StatusConflict) // no token, or the ID token travelled here
			return
		}
		nt := old.Clone()
		nt.Expiry = nt.Expiry.Add(time.Minute)
		if _, err := ref.Swap(c.Request.Context(), old, nt); err != nil {
			c.Status(http.StatusInternalServerError)
		}
	})
	idPath := a.bp.LoginPath() + "/end-session"
	a.engine.GET(idPath+"/id", func(c *gin.Context) {
		if tok, err := a.bp.Token(c); err == nil && tok.IDToken != "" {
			c.Status(http.StatusOK)
			return
		}
		c.Status(http.StatusNotFound)
	})
	b := newBrowser(t)
	if p := b.login(a); p.status != http.StatusOK {
		t.Fatalf("login: %d", p.status)
	}
	if p := b.get(a.ts.URL + "/rewrite"); p.status != http.StatusOK {
		t.Fatalf("rewrite: %d", p.status)
	}
	if p := b.get(a.ts.URL + idPath + "/id"); p.status != http.StatusOK {
		t.Error("the ID token was lost when the token was written back without it")
	}
}
