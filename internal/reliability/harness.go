package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
)

// Environment variables that point the tests at the shared servers.
const (
	EnvPostgres = "GINOAUTH_POSTGRES_DSN"
	EnvRedis    = "GINOAUTH_REDIS_ADDR"
)

// Host is the name the simulated load balancer answers to. Every browser
// request to it goes to the next app instance, so the callback URL, which
// each instance derives from the request, is the same on all of them.
const Host = "app.test"

// SessionUserKey is the session key under which an instance keeps the
// logged-in local user's ID (the provider user ID, to keep things simple).
const SessionUserKey = "uid"

// Provider is what an instance needs to know about the OAuth provider.
type Provider struct {
	Provider     ginoauth.Provider
	ClientID     string
	ClientSecret string
}

// InstanceConfig configures one app instance.
type InstanceConfig struct {
	// Index numbers the instance in its cluster. Optional.
	Index int
	// Provider is the OAuth provider. Required.
	Provider Provider
	// Sessions is the instance's own gin-contrib/sessions store (its own
	// connection pool). Required.
	Sessions sessions.Store
	// DB, when set, keeps tokens in a gormstore.Store of its own on this
	// connection pool; otherwise tokens live in the session. Optional.
	DB *gorm.DB
	// Table is the gormstore table. Optional. Default gormstore's.
	Table string
	// CacheTTL is the gormstore read cache's lifetime. Optional.
	CacheTTL time.Duration
	// Timeout bounds each token endpoint request (the HTTPClient Timeout of
	// ginoauth.Config).
	// Optional. Default ginoauth's.
	Timeout time.Duration
	// Now is the app's clock (ginoauth.Config.Now). Optional.
	Now func() time.Time
	// Coordinator coordinates refreshes of session-held tokens across
	// instances, when DB is nil. Optional. Default ginoauth's in-process
	// one.
	Coordinator ginoauth.RefreshCoordinator
	// DropAfterRefresh, when set, is asked after each refresh the provider
	// answered during a request; when it says true, the request's context
	// is canceled at once and its answer never reaches the browser (the
	// connection is cut), as when the browser goes away at that moment.
	// Optional.
	DropAfterRefresh func() bool
	// RequestTimeout bounds each request to the app as a whole: its
	// context ends after it, so storage queries stop too. Optional.
	// Default none.
	RequestTimeout time.Duration
}

// Instance is one app instance: a Gin engine with a blueprint for the
// provider mounted at /login, on a loopback port. Its routes:
//
//	GET /login/test, /login/test/authorized  the blueprint
//	GET /api      the provider's /api/whoami through bp.Client: 200 {"user": id}
//	GET /logout   bp.Logout and forget the local user
//
// /api answers errors as {"error": kind} with a status that says who
// failed: 401 login_required, the *ginoauth.Error's own status and kind,
// 503 storage_unavailable when the token storage cannot be read, 502
// api_unreachable when the provider's API cannot be reached.
type Instance struct {
	Index  int
	BP     *ginoauth.Blueprint
	Store  *gormstore.Store // nil when tokens live in the session
	Server *httptest.Server
	Addr   string // host:port

	logins    atomic.Int64
	refreshed atomic.Int64
	panics    atomic.Int64
	dropped   atomic.Int64

	mu    sync.Mutex
	kinds map[ginoauth.ErrorKind]int
}

// NewInstance builds and starts an instance.
func NewInstance(cfg InstanceConfig) (*Instance, error) {
	if cfg.Sessions == nil {
		return nil, errors.New("reliability: InstanceConfig.Sessions is required")
	}
	inst := &Instance{Index: cfg.Index, kinds: make(map[ginoauth.ErrorKind]int)}
	bcfg := ginoauth.Config{
		ClientID:     cfg.Provider.ClientID,
		ClientSecret: cfg.Provider.ClientSecret,
		HTTPClient:   &http.Client{Timeout: cfg.Timeout},
		Now:          cfg.Now,
		Hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, _ *ginoauth.Token) error {
				p, err := bp.Profile(c)
				if err != nil {
					return err
				}
				sessions.Default(c).Set(SessionUserKey, p.ID)
				inst.logins.Add(1)
				return nil
			},
			Error: func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) {
				inst.mu.Lock()
				inst.kinds[err.Kind]++
				inst.mu.Unlock()
			},
			TokenRefreshed: func(context.Context, *ginoauth.Blueprint, *ginoauth.Token) {
				inst.refreshed.Add(1)
			},
		},
	}
	if cfg.DropAfterRefresh != nil {
		bcfg.HTTPClient.Transport = &refreshWatcher{drop: cfg.DropAfterRefresh}
	}
	if cfg.DB == nil {
		bcfg.Storage = &ginoauth.SessionStorage{Coordinator: cfg.Coordinator}
	} else {
		st, err := gormstore.New(cfg.DB, gormstore.Config{
			UserID:       sessionUser,
			UserRequired: true,
			Table:        cfg.Table,
			CacheTTL:     cfg.CacheTTL,
		})
		if err != nil {
			return nil, err
		}
		inst.Store = st
		bcfg.Storage = st
	}
	bp, err := ginoauth.New(cfg.Provider.Provider, bcfg)
	if err != nil {
		return nil, err
	}
	inst.BP = bp

	r := gin.New()
	r.Use(inst.recoverer)
	if cfg.DropAfterRefresh != nil {
		r.Use(inst.dropper)
	}
	if cfg.RequestTimeout > 0 {
		d := cfg.RequestTimeout
		r.Use(func(c *gin.Context) {
			ctx, cancel := context.WithTimeout(c.Request.Context(), d)
			defer cancel()
			c.Request = c.Request.WithContext(ctx)
			c.Next()
		})
	}
	r.Use(sessions.Sessions("sid", cfg.Sessions))
	bp.Register(r.Group("/login"))
	r.GET("/api", inst.api)
	r.GET("/logout", func(c *gin.Context) {
		err := bp.Logout(c)
		s := sessions.Default(c)
		s.Delete(SessionUserKey)
		if serr := s.Save(); err == nil {
			err = serr
		}
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"error": "logout_failed"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"user": ""})
	})
	inst.Server = httptest.NewServer(r)
	inst.Addr = strings.TrimPrefix(inst.Server.URL, "http://")
	return inst, nil
}

// sessionUser is the gormstore UserID function: the local user is the one
// the Authorized hook wrote into the session.
func sessionUser(c *gin.Context) (string, bool) {
	v, ok := c.Get(sessions.DefaultKey)
	if !ok {
		return "", false
	}
	s, ok := v.(sessions.Session)
	if !ok {
		return "", false
	}
	id, ok := s.Get(SessionUserKey).(string)
	return id, ok && id != ""
}

// recoverer turns a panic into a 500 and counts it; every test asserts the
// count stays 0.
func (inst *Instance) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			inst.panics.Add(1)
			c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "panic"})
		}
	}()
	c.Next()
}

// dropKey is the request context key of the request's dropState.
type dropKey struct{}

type dropState struct {
	cancel  context.CancelFunc
	dropped atomic.Bool
}

// dropper lets refreshWatcher cancel the request, and cuts the connection
// of a request it canceled instead of answering.
func (inst *Instance) dropper(c *gin.Context) {
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	st := &dropState{cancel: cancel}
	c.Request = c.Request.WithContext(context.WithValue(ctx, dropKey{}, st))
	c.Next()
	if st.dropped.Load() {
		inst.dropped.Add(1)
		panic(http.ErrAbortHandler) // no answer: the browser is gone
	}
}

// refreshWatcher is the blueprint's transport to the provider when
// requests are dropped after refreshes. The refresh runs on a context
// detached from the request, which still carries the request's values.
type refreshWatcher struct{ drop func() bool }

func (w *refreshWatcher) RoundTrip(r *http.Request) (*http.Response, error) {
	refresh := false
	if r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			raw, _ := io.ReadAll(body)
			refresh = strings.Contains(string(raw), "grant_type=refresh_token")
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if st, ok := r.Context().Value(dropKey{}).(*dropState); ok && refresh && err == nil && w.drop() {
		st.dropped.Store(true)
		st.cancel()
	}
	return resp, err
}

func (inst *Instance) api(c *gin.Context) {
	client, err := inst.BP.Client(c)
	if err != nil {
		apiError(c, err, false)
		return
	}
	req, err := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, "whoami", nil)
	if err != nil {
		apiError(c, err, true)
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		apiError(c, err, true)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		c.JSON(http.StatusBadGateway, gin.H{"error": fmt.Sprintf("api_status_%d", resp.StatusCode)})
		return
	}
	var who struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &who); err != nil || who.ID == "" {
		c.JSON(http.StatusBadGateway, gin.H{"error": "api_garbled"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": who.ID})
}

// apiError answers /api's failures. fromCall says whether the error came
// from the API request (refresh, network) rather than from loading the
// stored token.
func apiError(c *gin.Context, err error, fromCall bool) {
	if errors.Is(err, ginoauth.ErrNoToken) {
		c.JSON(http.StatusUnauthorized, gin.H{"error": "login_required"})
		return
	}
	if ge, ok := errors.AsType[*ginoauth.Error](err); ok {
		c.JSON(ge.Status(), gin.H{"error": string(ge.Kind), "detail": err.Error()})
		return
	}
	if errors.Is(err, context.DeadlineExceeded) {
		c.JSON(http.StatusGatewayTimeout, gin.H{"error": "timeout"})
		return
	}
	if fromCall {
		c.JSON(http.StatusBadGateway, gin.H{"error": "api_unreachable"})
		return
	}
	c.JSON(http.StatusServiceUnavailable, gin.H{"error": "storage_unavailable", "detail": err.Error()})
}

// InstanceStats is what an instance counted.
type InstanceStats struct {
	Logins    int64          // completed logins (the Authorized hook ran)
	Refreshed int64          // refreshed tokens saved (the TokenRefreshed hook ran)
	Panics    int64          // panics caught by the recovery middleware
	Dropped   int64          // requests cut after a refresh (DropAfterRefresh)
	Errors    map[string]int // error hook calls by kind
}

// Stats returns a snapshot of the instance's counters.
func (inst *Instance) Stats() InstanceStats {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	kinds := make(map[string]int, len(inst.kinds))
	for k, v := range inst.kinds {
		kinds[string(k)] = v
	}
	return InstanceStats{Logins: inst.logins.Load(), Refreshed: inst.refreshed.Load(), Panics: inst.panics.Load(),
		Dropped: inst.dropped.Load(), Errors: kinds}
}

// Close stops the instance's server.
func (inst *Instance) Close() { inst.Server.Close() }

// sessionKeys are the session store's cookie keys. They are shared by all
// instances (as a real deployment shares them) and public: test use only.
var sessionKeys = [][]byte{[]byte("reliability-auth-key-0123456789ab"), []byte("reliability-enc-key-0123456789ab")}

func sessionOptions() sessions.Options {
	o := ginoauth.SessionOptions()
	o.Secure = false // plain http on loopback
	o.MaxAge = 3600  // keep leftovers in the shared Redis short-lived
	return o
}
