package gormstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

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
