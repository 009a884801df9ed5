package reliability

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/ginoauth/ginoauth/backends/redislock"
	redigo "github.com/gomodule/redigo/redis"
)

func TestMain(m *testing.M) {
	if ServeProviderProcess() { // the provider child of TestLoad
		return
	}
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// needPostgres returns GINOAUTH_POSTGRES_DSN or skips the test.
func needPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skipf("%s is not set: this test needs a PostgreSQL server (e.g. %s='host=127.0.0.1 user=postgres dbname=test sslmode=disable')", EnvPostgres, EnvPostgres)
	}
	return dsn
}

// needRedis returns GINOAUTH_REDIS_ADDR or skips the test.
func needRedis(t *testing.T) string {
	t.Helper()
	addr := os.Getenv(EnvRedis)
	if addr == "" {
		t.Skipf("%s is not set: this test needs a Redis server (e.g. %s=127.0.0.1:6379)", EnvRedis, EnvRedis)
	}
	return addr
}

// envDuration reads a duration from name, or returns def when unset.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration such as 60s", name, v)
	}
	return d
}

// clusterConfig configures newCluster.
type clusterConfig struct {
	instances      int
	dsn            string // PostgreSQL for tokens
	redis          string // Redis for sessions
	timeout        time.Duration
	requestTimeout time.Duration
	cacheTTL       time.Duration
	now            func() time.Time // the apps' clock
	// cookieSessions keeps sessions in encrypted cookies instead of Redis.
	cookieSessions bool
	// sessionTokens keeps tokens in the session instead of PostgreSQL; the
	// instances coordinate refreshes through Redis (backends/redislock).
	sessionTokens    bool
	dropAfterRefresh func() bool
}

// ticking is a clock that moves d on every time it is read.
func ticking(d time.Duration) func() time.Time {
	var n atomic.Int64
	return func() time.Time { return time.Now().Add(time.Duration(n.Add(1)) * d) }
}

// cluster is several app instances sharing one token table and one
// session key space, behind a balancer.
type cluster struct {
	t      *testing.T
	prov   *TestProvider
	insts  []*Instance
	lb     *Balancer
	table  string
	prefix string
	db     *gorm.DB // for checks, a pool of its own
}

func newCluster(t *testing.T, prov *TestProvider, cfg clusterConfig) *cluster {
	t.Helper()
	cl := &cluster{t: t, prov: prov, table: UniqueName("rel_"), prefix: UniqueName("ginoauth_rel_") + "_"}
	db, err := OpenPostgres(cfg.dsn)
	if err != nil {
		t.Fatal(err)
	}
	cl.db = db
	t.Cleanup(func() {
		_ = db.Migrator().DropTable(cl.table)
		closeDB(db)
	})
	if cfg.redis != "" {
		t.Cleanup(func() {
			if err := DeleteRedisKeys(cfg.redis, cl.prefix); err != nil {
				t.Logf("cleanup: %v", err)
			}
		})
	}
	var addrs []string
	for i := range cfg.instances {
		icfg := InstanceConfig{
			Index:            i,
			Provider:         prov.Info(),
			Table:            cl.table,
			CacheTTL:         cfg.cacheTTL,
			Timeout:          cfg.timeout,
			RequestTimeout:   cfg.requestTimeout,
			Now:              cfg.now,
			DropAfterRefresh: cfg.dropAfterRefresh,
		}
		if cfg.sessionTokens {
			pool := &redigo.Pool{MaxIdle: 16, Dial: func() (redigo.Conn, error) { return redigo.Dial("tcp", cfg.redis) }}
			t.Cleanup(func() { pool.Close() })
			icfg.Coordinator = redislock.New(pool, redislock.Config{Prefix: cl.prefix})
		} else {
			idb, err := OpenPostgres(cfg.dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { closeDB(idb) })
			icfg.DB = idb
		}
		if cfg.cookieSessions {
			icfg.Sessions = NewCookieSessions()
		} else if icfg.Sessions, err = NewRedisSessions(cfg.redis, cl.prefix); err != nil {
			t.Fatal(err)
		}
		inst, err := NewInstance(icfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(inst.Close)
		if i == 0 && inst.Store != nil {
			if err := inst.Store.AutoMigrate(context.Background()); err != nil {
				t.Fatalf("AutoMigrate: %v", err)
			}
		}
		cl.insts = append(cl.insts, inst)
		addrs = append(addrs, inst.Addr)
	}
	cl.lb = NewBalancer(addrs...)
	t.Cleanup(cl.lb.Close)
	return cl
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

// stats sums the instances' counters.
func (cl *cluster) stats() InstanceStats {
	sum := InstanceStats{Errors: map[string]int{}}
	for _, inst := range cl.insts {
		s := inst.Stats()
		sum.Logins += s.Logins
		sum.Refreshed += s.Refreshed
		sum.Panics += s.Panics
		sum.Dropped += s.Dropped
		for k, v := range s.Errors {
			sum.Errors[k] += v
		}
	}
	return sum
}

// rowReport is what checkRows found in the token table.
type rowReport struct {
	rows    int
	lost    []string // users whose token is missing, unreadable or dead
	doubled []string // users with more than one row
}

// checkRows verifies, for each user, that the token table has exactly one
// row, that it decodes, and that the token still works at the provider:
// a client built from the row alone (refreshing it if it expired) reads
// the user's own account. A spent refresh token or a half-written row
// shows up here as a lost token.
func (cl *cluster) checkRows(users []string) rowReport {
	cl.t.Helper()
	var rows []gormstore.Account
	if err := cl.db.Table(cl.table).Find(&rows).Error; err != nil {
		cl.t.Fatalf("read token rows: %v", err)
	}
	rep := rowReport{rows: len(rows)}
	per := map[string]int{}
	for _, r := range rows {
		if r.UserID != nil {
			per[*r.UserID]++
		}
	}
	inst := cl.insts[0]
	for _, u := range users {
		if per[u] > 1 {
			rep.doubled = append(rep.doubled, u)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		ok := tokenWorks(ctx, inst, u)
		cancel()
		if per[u] == 0 || !ok {
			rep.lost = append(rep.lost, u)
		}
	}
	sort.Strings(rep.lost)
	sort.Strings(rep.doubled)
	return rep
}

// tokenWorks reports whether userID's stored token reads userID's account
// at the provider, outside any request (as a background job would).
func tokenWorks(ctx context.Context, inst *Instance, userID string) bool {
	client := inst.BP.ClientFor(ctx, inst.Store.UserRef(inst.BP.Name(), userID))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "whoami", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var who struct {
		ID string `json:"id"`
	}
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && json.Unmarshal(body, &who) == nil && who.ID == userID
}

// kinds formats a kind → count map in a stable order.
func kinds(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(strconv.Itoa(m[k]))
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// expireStored moves userID's stored token expiry into the past, so the
// next API call refreshes it.
func (cl *cluster) expireStored(userID string) {
	cl.t.Helper()
	ctx := context.Background()
	ref := cl.insts[0].Store.UserRef(cl.insts[0].BP.Name(), userID)
	tok, err := ref.Load(ctx)
	if err != nil {
		cl.t.Fatalf("load %s's token: %v", userID, err)
	}
	old := tok.Clone()
	old.Expiry = time.Now().Add(-time.Minute)
	if _, err := ref.Swap(ctx, nil, old); err != nil {
		cl.t.Fatalf("save %s's token: %v", userID, err)
	}
}
