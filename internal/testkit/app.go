package testkit

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
)

// App is a Gin app with one blueprint mounted at /login, served on
// loopback, with these routes besides the blueprint's (a suite adds its
// own with NewApp's routes argument, or on Engine):
//
//	/          "home"
//	/whoami    Required, then GET "whoami" with Client: the API's answer;
//	           401 "reauth" when the token is dead
//	/api       the same without Required: 401 when Client fails
//	/token     the stored access token (404 without one)
//	/logout    Logout: "bye"
type App struct {
	T      testing.TB
	BP     *ginoauth.Blueprint
	Engine *gin.Engine
	TS     *httptest.Server
	errs   chan *ginoauth.Error
}

// CookieStore is the session store apps get unless a test chooses another.
func CookieStore() sessions.Store {
	return cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef"))
}

// NewApp builds the blueprint with build from cfg, after adding an error
// hook that records every *ginoauth.Error (and then calls cfg's own), and
// serves it with store (CookieStore when nil). routes, when set, adds
// routes of the test's own before the server starts.
func NewApp(t testing.TB, cfg ginoauth.Config, build func(ginoauth.Config) (*ginoauth.Blueprint, error), store sessions.Store, routes func(*gin.Engine, *ginoauth.Blueprint)) *App {
	t.Helper()
	a := &App{T: t, errs: make(chan *ginoauth.Error, 100)}
	userErr := cfg.Hooks.Error
	cfg.Hooks.Error = func(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
		a.errs <- err
		if userErr != nil {
			userErr(c, bp, err)
		}
	}
	bp, err := build(cfg)
	if err != nil {
		t.Fatalf("build the blueprint: %v", err)
	}
	if store == nil {
		store = CookieStore()
	}
	a.BP = bp
	r := gin.New()
	r.Use(sessions.Sessions("app", store))
	bp.Register(r.Group("/login"))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "home") })
	r.GET("/whoami", bp.Required(), a.CallAPI)
	r.GET("/api", a.CallAPI)
	r.GET("/token", func(c *gin.Context) {
		tok, err := bp.Token(c)
		if err != nil {
			c.String(http.StatusNotFound, "no token")
			return
		}
		c.String(http.StatusOK, tok.AccessToken)
	})
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			c.String(http.StatusInternalServerError, "logout: %v", err)
			return
		}
		c.String(http.StatusOK, "bye")
	})
	if routes != nil {
		routes(r, bp)
	}
	a.Engine = r
	a.TS = httptest.NewServer(r)
	t.Cleanup(a.TS.Close)
	return a
}

// CallAPI is the /whoami handler: GET "whoami" with Client, the API's
// answer; 401 "reauth" when the token is dead.
func (a *App) CallAPI(c *gin.Context) {
	client, err := a.BP.Client(c)
	if err != nil {
		c.String(http.StatusUnauthorized, "client: %v", err)
		return
	}
	resp, err := client.Get("whoami")
	if err != nil {
		if errors.Is(err, ginoauth.KindReauthRequired) {
			c.String(http.StatusUnauthorized, "reauth")
			return
		}
		c.String(http.StatusBadGateway, "api: %v", err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	c.Data(resp.StatusCode, "application/json", body)
}

// NextError waits (10 seconds at most) for the error hook's next event.
func (a *App) NextError() *ginoauth.Error {
	a.T.Helper()
	select {
	case e := <-a.errs:
		return e
	case <-time.After(10 * time.Second):
		a.T.Fatal("no error hook event")
		return nil
	}
}

// PollError returns the error hook's next event if there is one, or nil.
func (a *App) PollError() *ginoauth.Error {
	select {
	case e := <-a.errs:
		return e
	default:
		return nil
	}
}

// NoError fails the test if the error hook has run.
func (a *App) NoError() {
	a.T.Helper()
	select {
	case e := <-a.errs:
		a.T.Fatalf("unexpected error hook event: %v", e)
	default:
	}
}

// StartLogin GETs the login route, with query, and returns the URL it
// redirects to (the provider's authorization URL).
func (a *App) StartLogin(b *Browser, query string) *url.URL {
	a.T.Helper()
	p := b.Get(a.TS.URL + a.BP.LoginPath() + query)
	if p.Status != http.StatusFound {
		a.T.Fatalf("login route: got %d, want 302 (body %q)", p.Status, p.Body)
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		a.T.Fatal(err)
	}
	return u
}

// Approve visits an auto-approving provider's authorization URL and
// returns the callback URL it redirects to, without visiting it.
func Approve(b *Browser, authURL *url.URL) *url.URL {
	p := b.Get(authURL.String())
	if p.Status != http.StatusFound {
		b.t.Fatalf("provider: got %d, want 302 (body %q)", p.Status, p.Body)
	}
	u, err := url.Parse(p.Location)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// DrainErrors forgets the error hook's events so far.
func (a *App) DrainErrors() {
	for {
		select {
		case <-a.errs:
		default:
			return
		}
	}
}
