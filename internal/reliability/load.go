package reliability

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// LoadConfig configures RunLoad.
type LoadConfig struct {
	// Duration is how long the load runs. Required.
	Duration time.Duration
	// Users is how many simulated users run at once, each with a provider
	// account of their own. Optional. Default 16.
	Users int
	// CallsPerLogin is how many API calls a user makes after each login
	// before logging in again. Optional. Default 100.
	CallsPerLogin int
	// TokenLife is how long an access token stays valid for the app, so
	// how often API calls refresh. It is the provider's setting (see
	// LoadProviderConfig); RunLoad only reports it. Optional.
	TokenLife time.Duration
	// Provider is the OAuth provider (see StartProviderProcess). Required.
	Provider Provider
	// PostgresDSN and RedisAddr, when both set, put tokens in PostgreSQL
	// (gormstore) and sessions in Redis; otherwise sessions live in an
	// encrypted cookie and tokens in the session. Optional.
	PostgresDSN, RedisAddr string
	// Log receives progress lines. Optional.
	Log io.Writer
	// HeapProfile, when set, receives a heap profile (pprof format) taken
	// with the final heap figure, while the app is still alive. Optional.
	HeapProfile io.Writer
}

// LoadResult is what RunLoad measured.
type LoadResult struct {
	Setup              string // session and token storage used
	Users              int
	CallsPerLogin      int
	TokenLife          time.Duration
	Duration           time.Duration
	Logins             int64 // complete login flows
	APICalls           int64 // successful API calls
	AppRequests        int64 // requests the app answered (login route, callback, API)
	Refreshes          int64 // refreshed tokens saved
	Errors             int64
	ErrorKinds         map[string]int
	LoginP50, LoginP99 time.Duration // whole login flow, 4 requests
	APIP50, APIP99     time.Duration // one API call through the app
	HeapBefore         uint64        // HeapInuse after warm-up and GC
	HeapPeak           uint64        // highest HeapInuse sampled during the run
	HeapAfter          uint64        // HeapInuse after the run, idle connections closed and GC
	GoroutinesBefore   int
	GoroutinesAfter    int
}

// String formats the result as the lines docs/RELIABILITY.md quotes.
func (r LoadResult) String() string {
	var b strings.Builder
	s := r.Duration.Seconds()
	fmt.Fprintf(&b, "setup: %s; %d users, %d API calls per login, token life %v\n", r.Setup, r.Users, r.CallsPerLogin, r.TokenLife)
	fmt.Fprintf(&b, "duration: %v\n", r.Duration.Round(time.Millisecond))
	fmt.Fprintf(&b, "throughput: %.0f app requests/s (%.1f login flows/s, %.0f API calls/s)\n", float64(r.AppRequests)/s, float64(r.Logins)/s, float64(r.APICalls)/s)
	fmt.Fprintf(&b, "totals: %d login flows, %d API calls, %d refreshes, %d app requests\n", r.Logins, r.APICalls, r.Refreshes, r.AppRequests)
	fmt.Fprintf(&b, "latency: login flow p50 %v p99 %v; API call p50 %v p99 %v\n", r.LoginP50, r.LoginP99, r.APIP50, r.APIP99)
	fmt.Fprintf(&b, "heap in use: %.1f MiB before, %.1f MiB peak, %.1f MiB after\n", mib(r.HeapBefore), mib(r.HeapPeak), mib(r.HeapAfter))
	fmt.Fprintf(&b, "goroutines: %d before, %d after\n", r.GoroutinesBefore, r.GoroutinesAfter)
	fmt.Fprintf(&b, "errors: %d", r.Errors)
	if len(r.ErrorKinds) > 0 {
		keys := make([]string, 0, len(r.ErrorKinds))
		for k := range r.ErrorKinds {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%d", k, r.ErrorKinds[k])
		}
	}
	b.WriteString("\n")
	return b.String()
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// RunLoad starts one app instance and drives full login flows and API calls
// against it for cfg.Duration from cfg.Users simulated users, each logging
// in, making cfg.CallsPerLogin API calls, and starting over. It measures
// throughput, latency, heap and goroutines; the caller judges them.
func RunLoad(ctx context.Context, cfg LoadConfig) (LoadResult, error) {
	if cfg.Duration <= 0 {
		return LoadResult{}, errors.New("reliability: LoadConfig.Duration is required")
	}
	if cfg.Users <= 0 {
		cfg.Users = 16
	}
	if cfg.CallsPerLogin <= 0 {
		cfg.CallsPerLogin = 100
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	icfg := InstanceConfig{Provider: cfg.Provider}
	res := LoadResult{ErrorKinds: map[string]int{}, Users: cfg.Users, CallsPerLogin: cfg.CallsPerLogin, TokenLife: cfg.TokenLife}
	var db *gorm.DB
	if cfg.PostgresDSN != "" && cfg.RedisAddr != "" {
		var err error
		if db, err = OpenPostgres(cfg.PostgresDSN); err != nil {
			return res, err
		}
		defer closeGorm(db)
		prefix := UniqueName("ginoauth_load_") + "_"
		st, err := NewRedisSessions(cfg.RedisAddr, prefix)
		if err != nil {
			return res, err
		}
		icfg.Sessions, icfg.DB, icfg.Table = st, db, UniqueName("load_")
		defer func() { _ = DeleteRedisKeys(cfg.RedisAddr, prefix) }()
		defer func() { _ = db.Migrator().DropTable(icfg.Table) }()
		res.Setup = "sessions in Redis, tokens in PostgreSQL (gormstore)"
	} else {
		icfg.Sessions = NewCookieSessions()
		res.Setup = "sessions in an encrypted cookie, tokens in the session"
	}
	inst, err := NewInstance(icfg)
	if err != nil {
		return res, err
	}
	defer inst.Close()
	if inst.Store != nil {
		if err := inst.Store.AutoMigrate(ctx); err != nil {
			return res, err
		}
	}
	lb := NewBalancer(inst.Addr)
	defer lb.Close()

	type user struct {
		id string
		w  *Worker
	}
	users := make([]user, cfg.Users)
	for i := range users {
		users[i] = user{id: fmt.Sprintf("u%03d", i+1), w: lb.NewBrowser().Worker(0, 30*time.Second)}
	}
	// Warm-up: one login and one API call each, so that pools, caches and
	// lazily built structures exist before the first measurement.
	for _, u := range users {
		if r, err := u.w.Login(u.id); err != nil || !r.OK {
			return res, fmt.Errorf("reliability: warm-up login of %s: %v (status %d %s)", u.id, err, r.Status, r.Kind)
		}
		if r, err := u.w.API(); err != nil || r.Status != 200 {
			return res, fmt.Errorf("reliability: warm-up API call of %s: %v (status %d %s)", u.id, err, r.Status, r.Kind)
		}
	}
	base := inst.Stats()
	lb.Close() // measure without idle connections, as after the run
	res.HeapBefore, res.GoroutinesBefore = settle(0, 2*time.Second)
	logf("warm-up done: heap in use %.1f MiB, %d goroutines", mib(res.HeapBefore), res.GoroutinesBefore)

	var (
		logins, calls, requests, errCount atomic.Int64
		mu                                sync.Mutex
		loginTook, apiTook                []time.Duration
		peak                              atomic.Uint64
	)
	fail := func(kind string) {
		errCount.Add(1)
		mu.Lock()
		res.ErrorKinds[kind]++
		mu.Unlock()
	}
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				logf("%5.0fs: %d logins, %d API calls, %d errors, heap in use %.1f MiB, %d goroutines",
					time.Since(startOf(runCtx, cfg.Duration)).Seconds(), logins.Load(), calls.Load(), errCount.Load(), mib(ms.HeapInuse), runtime.NumGoroutine())
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lt, at []time.Duration
			defer func() {
				mu.Lock()
				loginTook = append(loginTook, lt...)
				apiTook = append(apiTook, at...)
				mu.Unlock()
			}()
			for runCtx.Err() == nil {
				r, err := u.w.Login(u.id)
				requests.Add(2)
				switch {
				case err != nil:
					fail("login_transport")
					continue
				case !r.OK:
					fail("login_" + r.Kind)
					continue
				}
				logins.Add(1)
				lt = append(lt, r.Took)
				for range cfg.CallsPerLogin {
					if runCtx.Err() != nil {
						return
					}
					a, err := u.w.API()
					requests.Add(1)
					switch {
					case err != nil:
						fail("api_transport")
					case a.Status != 200 || a.User != u.id:
						fail("api_" + a.Kind)
					default:
						calls.Add(1)
						at = append(at, a.Took)
					}
				}
			}
		}()
	}
	wg.Wait()
	res.Duration = time.Since(start)
	cancel()
	<-sampled
	lb.Close()
	// The samples are the generator's, not the app's: drop them before
	// measuring the heap.
	res.LoginP50, res.LoginP99 = Percentile(loginTook, 50), Percentile(loginTook, 99)
	res.APIP50, res.APIP99 = Percentile(apiTook, 50), Percentile(apiTook, 99)
	loginTook, apiTook = nil, nil
	res.HeapAfter, res.GoroutinesAfter = settle(res.GoroutinesBefore, 10*time.Second)
	if cfg.HeapProfile != nil {
		if err := pprof.WriteHeapProfile(cfg.HeapProfile); err != nil {
			return res, err
		}
	}
	res.HeapPeak = max(peak.Load(), res.HeapBefore)
	res.Logins, res.APICalls, res.AppRequests, res.Errors = logins.Load(), calls.Load(), requests.Load(), errCount.Load()
	res.Refreshes = inst.Stats().Refreshed - base.Refreshed
	if p := inst.Stats().Panics; p != 0 {
		res.Errors += p
		res.ErrorKinds["panic"] += int(p)
	}
	return res, nil
}

// startOf returns when a run of duration d with deadline ctx started.
func startOf(ctx context.Context, d time.Duration) time.Time {
	dl, _ := ctx.Deadline()
	return dl.Add(-d)
}

// settle waits (up to wait) for the goroutine count to come down to
// target, then collects garbage and returns the heap in use and the
// goroutine count.
func settle(target int, wait time.Duration) (uint64, int) {
	// The app's provider requests use http.DefaultTransport: its idle
	// keep-alive connections (two goroutines each) are not a leak.
	if tr, ok := http.DefaultTransport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > target && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, runtime.NumGoroutine()
}

func closeGorm(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

// ProviderProcessEnv is set in the environment of a provider child
// process; its value is "users,tokenLife" (e.g. "16,5s").
const ProviderProcessEnv = "GINOAUTH_RELIABILITY_PROVIDER"

// LoadProviderConfig is the test provider the load runs against: users
// u001.., tokens the app refreshes every tokenLife, rotating refresh
// tokens.
func LoadProviderConfig(users int, tokenLife time.Duration) ginoauthtest.Config {
	return ginoauthtest.Config{Users: Users(users), AccessTokenTTL: tokenLife, RotateRefreshTokens: true}
}

// ServeProviderProcess runs the test provider for a parent process when
// ProviderProcessEnv is set, and reports whether it did: it prints the
// provider's URL on stdout and serves until stdin closes. Call it first
// thing in main (or TestMain) and return when it reports true.
func ServeProviderProcess() bool {
	v := os.Getenv(ProviderProcessEnv)
	if v == "" {
		return false
	}
	usersStr, lifeStr, _ := strings.Cut(v, ",")
	users, err := strconv.Atoi(usersStr)
	life, err2 := time.ParseDuration(lifeStr)
	if err != nil || err2 != nil || users <= 0 || life <= 0 {
		fmt.Fprintf(os.Stderr, "reliability: %s=%q: want users,tokenLife such as 16,5s\n", ProviderProcessEnv, v)
		os.Exit(2)
	}
	p := NewTestProvider(LoadProviderConfig(users, life))
	fmt.Println(p.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
	p.Close()
	return true
}

// ProviderProcess is a test provider running in a child process, so that
// its memory (it keeps every token it issued) does not count as the app's.
type ProviderProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	Info  Provider
}
