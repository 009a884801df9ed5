package gormstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

// largeBenchEnv enables the 1M-row benchmarks, whose seeding takes a while.
const largeBenchEnv = "GINOAUTH_BENCH_LARGE"

// benchToken is what a typical provider returns.
func benchToken() *ginoauth.Token {
	return &ginoauth.Token{
		AccessToken:  "gho_16C7e42F292c6912E7710c838347Ae178B4a",
		TokenType:    "Bearer",
		RefreshToken: "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
		Expiry:       time.Now().Add(8 * time.Hour).Round(time.Second),
		Scopes:       []string{"read:user", "user:email"},
	}
}

// seed fills table with n users' rows for "github", in the database
// itself: a recursive CTE for SQLite, generate_series for PostgreSQL.
func seed(b *testing.B, db *gorm.DB, table string, n int) {
	b.Helper()
	data, err := json.Marshal(benchToken())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	q := `INSERT INTO ` + table + ` (provider, provider_user_id, user_id, token, version, created_at, updated_at) `
	switch db.Dialector.Name() {
	case "postgres":
		err = db.Exec(q+`SELECT 'github', 'gh-' || g, g::text, ?, 1, ?, ? FROM generate_series(1, ?) AS g`,
			string(data), now, now, n).Error
		if err == nil {
			err = db.Exec("ANALYZE " + table).Error
		}
	default:
		err = db.Exec(`WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ?) `+
			q+`SELECT 'github', 'gh-' || x, CAST(x AS TEXT), ?, 1, ?, ? FROM seq`,
			n, string(data), now, now).Error
		if err == nil {
			err = db.Exec("ANALYZE").Error
		}
	}
	if err != nil {
		b.Fatalf("seed %d rows: %v", n, err)
	}
}

// BenchmarkLookup measures Load by (provider, user ID), without cache, on
// tables of 10k and 1M users. The 1M-row variants run only with
// GINOAUTH_BENCH_LARGE=1.
func BenchmarkLookup(b *testing.B) {
	for _, db := range databases[:2] { // SQLite, PostgreSQL
		for _, rows := range []int{10_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/%dk", db.name, rows/1000), func(b *testing.B) {
				if rows > 10_000 && os.Getenv(largeBenchEnv) == "" {
					b.Skipf("set %s=1 to run the 1M-row benchmarks", largeBenchEnv)
				}
				gdb := db.open(b)
				s := newStore(b, gdb, gormstore.Config{})
				seed(b, gdb, s.Table(), rows)
				ctx := context.Background()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i = (i + 7919) % rows // spread over the table
					uid := strconv.Itoa(i + 1)
					t, err := load(s, ctx, "github", uid)
					if err != nil || t.AccessToken == "" {
						b.Fatalf("Load %s: %v", uid, err)
					}
				}
			})
		}
	}
}

// BenchmarkLookupCached is the hot path: Token in a request, served by the
// read cache.
func BenchmarkLookupCached(b *testing.B) {
	db := openSQLite(b)
	s := newStore(b, db, gormstore.Config{UserID: contextUser, CacheTTL: time.Minute})
	if err := save(s, context.Background(), "github", "42", benchToken()); err != nil {
		b.Fatal(err)
	}
	c := ginContext(b, "42")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokenOf(s, c, "github"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupSessionStorage is the default storage's Token in a
// request, for comparison (its per-request cookie decoding not included).
func BenchmarkLookupSessionStorage(b *testing.B) {
	st := &ginoauth.SessionStorage{}
	r := gin.New()
	r.Use(sessions.Sessions("bench", cookie.NewStore([]byte("bench-authentication-key-0123456"))))
	r.GET("/", func(c *gin.Context) {
		if err := setToken(st, c, "github", benchToken()); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tokenOf(st, c, "github"); err != nil {
				b.Fatal(err)
			}
		}
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}
