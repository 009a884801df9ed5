package gormstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

func (p *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var u fakeUser
	var ok bool
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		u, ok = p.codes[code]
		delete(p.codes, code)
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		u, ok = p.refresh[rt]
		if !ok {
			p.rejected++
		} else {
			p.issued++
			if p.rotate {
				delete(p.refresh, rt)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
		return
	}
	json.NewEncoder(w).Encode(p.issueLocked(u))
}

func (p *fakeProvider) revoke(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	tok := r.PostForm.Get("token")
	p.mu.Lock()
	p.revoked = append(p.revoked, tok)
	delete(p.refresh, tok)
	delete(p.access, tok)
	p.mu.Unlock()
}

func (p *fakeProvider) bearer(r *http.Request) (fakeUser, bool) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return fakeUser{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.access[at]
	return u, ok
}

func (p *fakeProvider) user(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearer(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	json.NewEncoder(w).Encode(u)
}

func (p *fakeProvider) ping(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearer(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	fmt.Fprint(w, "pong "+u.ID)
}

func (p *fakeProvider) liveRefresh(rt string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.refresh[rt]
	return ok
}

func (p *fakeProvider) revokedTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.revoked...)
}

// app is a test application: a cookie session, a local login kept in the
// session (as "uid"), one blueprint and an error hook that records what
// it gets.
type app struct {
	srv    *httptest.Server
	errs   chan *ginoauth.Error
	engine *gin.Engine
}

func sessionUser(c *gin.Context) (string, bool) {
	id, _ := sessions.Default(c).Get("uid").(string)
	return id, id != ""
}

func sessionLogin(c *gin.Context, userID string) error {
	s := sessions.Default(c)
	s.Set("uid", userID)
	return s.Save()
}

// newApp builds the app; setup registers the blueprint (it gets the
// error-recording hook to install).
func newApp(t testing.TB, setup func(r *gin.Engine, onError func(*gin.Context, *ginoauth.Blueprint, *ginoauth.Error))) *app {
	t.Helper()
	a := &app{errs: make(chan *ginoauth.Error, 16)}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("gormstore-test-authentication-k"), []byte("gormstore-test-encryption-key-01"))))
	r.GET("/", func(c *gin.Context) {
		id, _ := sessionUser(c)
		c.String(http.StatusOK, "user=%s", id)
	})
	r.GET("/local-login", func(c *gin.Context) {
		if err := sessionLogin(c, c.Query("uid")); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.String(http.StatusOK, "ok")
	})
	setup(r, func(c *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) {
		a.errs <- err
		c.String(err.Status(), "error=%s", err.Kind)
	})
	a.engine = r
	a.srv = httptest.NewServer(r)
	t.Cleanup(a.srv.Close)
	return a
}

// browser is one user agent with its own cookies.
type browser struct {
	t      testing.TB
	client *http.Client
	base   string
}

func (a *app) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar}, base: a.srv.URL}
}

// get follows redirects and returns the final status and body.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// recordingLogger is a GORM logger that keeps everything it is given,
// including the SQL of traced statements.
type recordingLogger struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *recordingLogger) LogMode(logger.LogLevel) logger.Interface { return l }

func (l *recordingLogger) add(s string) {
	l.mu.Lock()
	l.b.WriteString(s + "\n")
	l.mu.Unlock()
}

func (l *recordingLogger) Info(_ context.Context, msg string, args ...any) {
	l.add(fmt.Sprintf(msg, args...))
}

func (l *recordingLogger) Warn(_ context.Context, msg string, args ...any) {
	l.add(fmt.Sprintf(msg, args...))
}

func (l *recordingLogger) Error(_ context.Context, msg string, args ...any) {
	l.add(fmt.Sprintf(msg, args...))
}

func (l *recordingLogger) Trace(_ context.Context, _ time.Time, fc func() (string, int64), err error) {
	sql, _ := fc()
	l.add(fmt.Sprintf("%s [err=%v]", sql, err))
}

func (l *recordingLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Shorthands for the token-slot calls the tests make most.

func save(s *gormstore.Store, ctx context.Context, provider, userID string, t *ginoauth.Token) error {
	_, err := s.UserRef(provider, userID).Swap(ctx, nil, t)
	return err
}

func load(s *gormstore.Store, ctx context.Context, provider, userID string) (*ginoauth.Token, error) {
	return s.UserRef(provider, userID).Load(ctx)
}

func refOf(s ginoauth.Storage, c *gin.Context, provider string) ginoauth.TokenRef {
	ref, err := s.Ref(c, provider)
	if err != nil {
		return errRef{err}
	}
	return ref
}

func tokenOf(s ginoauth.Storage, c *gin.Context, provider string) (*ginoauth.Token, error) {
	return refOf(s, c, provider).Load(c.Request.Context())
}

func setToken(s ginoauth.Storage, c *gin.Context, provider string, t *ginoauth.Token) error {
	_, err := refOf(s, c, provider).Swap(c.Request.Context(), nil, t)
	return err
}

func deleteToken(s ginoauth.Storage, c *gin.Context, provider string) error {
	_, err := refOf(s, c, provider).Swap(c.Request.Context(), nil, nil)
	return err
}

// errRef is a slot whose every call fails, for a Ref that failed.
type errRef struct{ err error }

func (r errRef) Load(context.Context) (*ginoauth.Token, error) { return nil, r.err }

func (r errRef) Swap(context.Context, *ginoauth.Token, *ginoauth.Token) (*ginoauth.Token, error) {
	return nil, r.err
}

// openSecondHandle opens another handle, with its own pool, on db's
// database, as another app instance would.
func openSecondHandle(t testing.TB, db *gorm.DB) *gorm.DB {
	t.Helper()
	d, ok := dialectors.Load(db)
	if !ok {
		t.Fatal("openSecondHandle: unknown handle")
	}
	return openDSN(t, d.(gorm.Dialector))
}
