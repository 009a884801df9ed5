package gormstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/glebarez/sqlite"
	"golang.org/x/oauth2"
	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

const (
	postgresEnv = "GINOAUTH_POSTGRES_DSN"
	mysqlEnv    = "GINOAUTH_MYSQL_DSN"
)

func init() { gin.SetMode(gin.TestMode) }

// database is one SQL backend the tests run on.
type database struct {
	name string
	// source returns a function that opens handles (each with its own
	// connection pool) to one database, or skips the test.
	source func(t testing.TB) func() gorm.Dialector
}

// open returns a handle to a database for this test, closed when the test
// ends.
func (d database) open(t testing.TB) *gorm.DB {
	t.Helper()
	return openDSN(t, d.source(t)())
}

var databases = []database{
	{"SQLite", sqliteSource},
	{"PostgreSQL", postgresSource},
	{"MariaDB", mysqlSource},
}

func gormConfig() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard}
}

// sqliteDSN is a database file in dir, set up for several connections.
func sqliteDSN(dir string) string {
	return "file:" + filepath.Join(dir, "tokens.db") +
		"?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// sqliteSource is a database file in a temporary directory.
func sqliteSource(t testing.TB) func() gorm.Dialector {
	dsn := sqliteDSN(t.TempDir())
	return func() gorm.Dialector { return sqlite.Open(dsn) }
}

func openSQLite(t testing.TB) *gorm.DB {
	t.Helper()
	return openDSN(t, sqliteSource(t)())
}

func postgresSource(t testing.TB) func() gorm.Dialector {
	t.Helper()
	dsn := os.Getenv(postgresEnv)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. \"host=127.0.0.1 user=postgres dbname=test sslmode=disable\")", postgresEnv)
	}
	return func() gorm.Dialector { return postgres.Open(dsn) }
}

func mysqlSource(t testing.TB) func() gorm.Dialector {
	t.Helper()
	dsn := os.Getenv(mysqlEnv)
	if dsn == "" {
		t.Skipf("MariaDB/MySQL tests skipped: set %s (e.g. \"root@tcp(127.0.0.1:3306)/test?parseTime=true\")", mysqlEnv)
	}
	return func() gorm.Dialector { return mysql.Open(dsn) }
}

// dialectors remembers how each handle was opened, so a table can still be
// dropped after a test closed the handle.
var dialectors sync.Map // *gorm.DB -> gorm.Dialector

func openDSN(t testing.TB, d gorm.Dialector) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(d, gormConfig())
	if err != nil {
		t.Fatalf("open %s: %v", d.Name(), err)
	}
	dialectors.Store(db, d)
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	t.Cleanup(func() { sqlDB.Close() })
	return db
}

// uniqueTable is a table name no other test (or test package sharing the
// database) uses.
func uniqueTable() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "gst_" + hex.EncodeToString(b)
}

// newStore returns a migrated store on a fresh table of db, dropped when the
// test ends.
func newStore(t testing.TB, db *gorm.DB, cfg gormstore.Config) *gormstore.Store {
	t.Helper()
	if cfg.Table == "" {
		cfg.Table = uniqueTable()
	}
	s, err := gormstore.New(db, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.AutoMigrate(context.Background()); err != nil {
		t.Fatalf("AutoMigrate: %v", err)
	}
	dropLater(t, db, cfg.Table)
	return s
}

// dropLater drops table when the test ends, through a new handle if the
// test closed db.
func dropLater(t testing.TB, db *gorm.DB, table string) {
	t.Cleanup(func() {
		if db.Migrator().DropTable(table) == nil {
			return
		}
		d, ok := dialectors.Load(db)
		if !ok {
			return
		}
		again, err := gorm.Open(d.(gorm.Dialector), gormConfig())
		if err != nil {
			t.Logf("drop %s: %v", table, err)
			return
		}
		if err := again.Migrator().DropTable(table); err != nil {
			t.Logf("drop %s: %v", table, err)
		}
		if sqlDB, err := again.DB(); err == nil {
			sqlDB.Close()
		}
	})
}

// userKey is where the test apps keep the logged-in user in the request.
const userKey = "test_user_id"

// contextUser is a Config.UserID reading userKey.
func contextUser(c *gin.Context) (string, bool) {
	id := c.GetString(userKey)
	return id, id != ""
}

// ginContext returns a context for a request made as userID ("" for none),
// with a session.
func ginContext(t testing.TB, userID string) *gin.Context {
	t.Helper()
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	if userID != "" {
		c.Set(userKey, userID)
	}
	return c
}

// rawRows reads the table directly.
func rawRows(t testing.TB, db *gorm.DB, table string) []gormstore.Account {
	t.Helper()
	var rows []gormstore.Account
	if err := db.Table(table).Order("id").Find(&rows).Error; err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return rows
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// fakeUser is a user of the fake provider.
type fakeUser struct {
	ID            string `json:"id"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	Name          string `json:"name,omitempty"`
}

// fakeProvider is a small OAuth 2 provider: an authorization endpoint that
// approves at once as the user chosen with loginAs, a token endpoint whose
// refresh tokens can rotate (a spent one gets invalid_grant), a revocation
// endpoint, a profile endpoint and a ping API that needs a live token.
type fakeProvider struct {
	srv    *httptest.Server
	rotate bool
	ttl    int // expires_in, seconds

	mu       sync.Mutex
	next     fakeUser
	seq      int
	codes    map[string]fakeUser
	access   map[string]fakeUser
	refresh  map[string]fakeUser // live refresh tokens
	revoked  []string
	issued   int // tokens issued by the refresh grant
	rejected int // refresh grants answered invalid_grant
}

func newFakeProvider(t testing.TB, rotate bool) *fakeProvider {
	t.Helper()
	p := &fakeProvider{rotate: rotate, ttl: 3600,
		codes: map[string]fakeUser{}, access: map[string]fakeUser{}, refresh: map[string]fakeUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("POST /revoke", p.revoke)
	mux.HandleFunc("GET /api/user", p.user)
	mux.HandleFunc("GET /api/ping", p.ping)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *fakeProvider) provider() ginoauth.Provider {
	return ginoauth.Provider{
		Name: "fake",
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.srv.URL + "/authorize",
			TokenURL:  p.srv.URL + "/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RevocationURL: p.srv.URL + "/revoke",
		APIBaseURL:    p.srv.URL + "/api/",
		Profile: func(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "user", nil)
			resp, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("profile: status %d", resp.StatusCode)
			}
			var u fakeUser
			if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
				return nil, err
			}
			return &ginoauth.Profile{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name}, nil
		},
	}
}

func (p *fakeProvider) blueprint(t testing.TB, st ginoauth.Storage, hooks ginoauth.Hooks) *ginoauth.Blueprint {
	t.Helper()
	bp, err := ginoauth.New(p.provider(), ginoauth.Config{
		ClientID: "client", ClientSecret: "secret", Storage: st, Hooks: hooks,
	})
	if err != nil {
		t.Fatal(err)
	}
	return bp
}

func (p *fakeProvider) loginAs(u fakeUser) {
	p.mu.Lock()
	p.next = u
	p.mu.Unlock()
}

func (p *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.seq++
	code := fmt.Sprintf("code-%d", p.seq)
	p.codes[code] = p.next
	p.mu.Unlock()
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// issue makes a token for u; p.mu is held.
func (p *fakeProvider) issueLocked(u fakeUser) map[string]any {
	p.seq++
	at, rt := fmt.Sprintf("at-%s-%d", u.ID, p.seq), fmt.Sprintf("rt-%s-%d", u.ID, p.seq)
	p.access[at] = u
	p.refresh[rt] = u
	return map[string]any{"access_token": at, "token_type": "Bearer", "refresh_token": rt, "expires_in": p.ttl}
}

// issueToken logs u in without a browser and returns the token, as the
// blueprint would have stored it.
func (p *fakeProvider) issueToken(u fakeUser) *ginoauth.Token {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.issueLocked(u)
	return &ginoauth.Token{AccessToken: m["access_token"].(string), TokenType: "Bearer",
		RefreshToken: m["refresh_token"].(string), Expiry: time.Now().Add(time.Duration(p.ttl) * time.Second)}
}

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
