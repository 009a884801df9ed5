package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/glebarez/sqlite"
	gsessions "github.com/gorilla/sessions"
	"github.com/markbates/goth"
	"github.com/markbates/goth/gothic"
	gothgithub "github.com/markbates/goth/providers/github"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/ginoauth/ginoauth/providers/github"
)

// Impl names one implementation of the GitHub login.
type Impl string

// The implementations compared.
const (
	// Handwritten is golang.org/x/oauth2 and gin-contrib/sessions used
	// directly: random state and PKCE S256 in the session, the code
	// exchange, the profile, the token as JSON in the session (or a table).
	Handwritten Impl = "handwritten"
	// Gothic is markbates/goth's GitHub provider driven by its gothic
	// helpers, with gothic.Store set to a cookie store.
	Gothic Impl = "gothic"
	// Ginoauth is this module's providers/github blueprint.
	Ginoauth Impl = "ginoauth"
)

// Impls lists the implementations in the order they are reported.
var Impls = []Impl{Handwritten, Gothic, Ginoauth}

// Storage names where an app keeps the token between requests.
type Storage string

// The token storages.
const (
	// SessionStorage keeps the token in the cookie session.
	SessionStorage Storage = "session"
	// GORMStorage keeps it in a SQLite table through GORM, keyed by the
	// local user ID that the login put in the session.
	GORMStorage Storage = "gorm"
)

// ErrUnsupported is returned by [New] for a combination an implementation
// cannot do: gothic keeps no tokens (so it has no GORM storage of its own),
// and goth's GitHub provider cannot refresh tokens.
var ErrUnsupported = errors.New("bench: the implementation does not support this")

// Options configures a [Harness].
type Options struct {
	// Impl is the implementation under test. Required.
	Impl Impl
	// Storage is where the token is kept. Optional. Default SessionStorage.
	Storage Storage
	// DBPath is the SQLite database file for GORMStorage. Required with
	// GORMStorage.
	DBPath string
	// Loopback serves the app and the provider over loopback HTTP, the
	// provider answering after Latency. Optional. Default: both answer in
	// process, which measures library overhead alone.
	Loopback bool
	// Latency is the provider's delay per request in loopback mode.
	// Optional. Default 0.
	Latency time.Duration
	// ShortLived makes the provider issue tokens that are already inside
	// the early-expiry window, so every API call refreshes first.
	// Optional. Default false.
	ShortLived bool
}

// Harness is one implementation mounted on a Gin engine, wired to its own
// [Provider]. It is safe for concurrent use by several [Browser]s.
type Harness struct {
	// Provider is the harness's GitHub stand-in.
	Provider *Provider

	impl      Impl
	engine    *gin.Engine
	appURL    string       // scheme and host the browser uses
	appClient *http.Client // loopback mode
	closers   []func()
}

const (
	cannedAppURL = "http://app.example"
	loginPath    = "/login/github"
	callbackPath = "/login/github/authorized"
	apiPath      = "/api"
	sessionName  = "app"
)

// Cookie keys shared by every app's session store (and gothic's store).
var (
	hashKey  = []byte("bench-hash-key-0123456789abcdef!")
	blockKey = []byte("bench-block-key-0123456789abcde!")
)

// cookieOptions are the same for every session cookie.
var cookieOptions = sessions.Options{Path: "/", MaxAge: 30 * 86400, HttpOnly: true, SameSite: http.SameSiteLaxMode}

var setup sync.Once

// gothicMu serializes gothic harnesses: goth's provider registry and
// gothic.Store are process-wide.
var gothicMu sync.Mutex

// New builds a harness. Close it when done.
func New(opts Options) (*Harness, error) {
	setup.Do(func() {
		gin.SetMode(gin.ReleaseMode)
		store := gsessions.NewCookieStore(hashKey, blockKey)
		store.Options = cookieOptions.ToGorillaOptions()
		gothic.Store = store
	})
	if opts.Storage == "" {
		opts.Storage = SessionStorage
	}
	if opts.Impl == Gothic && (opts.Storage != SessionStorage || opts.ShortLived) {
		return nil, ErrUnsupported
	}
	h := &Harness{Provider: &Provider{ShortLived: opts.ShortLived, Latency: opts.Latency}, impl: opts.Impl}
	// The libraries' HTTP client: in process, or loopback with GitHub's
	// hosts rewritten to the local provider.
	libClient := &http.Client{Transport: h.Provider}
	var appSrv *httptest.Server
	h.appURL = cannedAppURL
	if opts.Loopback {
		provSrv := httptest.NewServer(h.Provider)
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		libClient = &http.Client{Transport: &rewriteTransport{host: provSrv.Listener.Addr().String(), base: tr}}
		h.closers = append(h.closers, provSrv.Close, tr.CloseIdleConnections)
		appSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.engine.ServeHTTP(w, r)
		}))
		appTr := &http.Transport{MaxIdleConnsPerHost: 64}
		h.appClient = &http.Client{Transport: appTr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		h.appURL = appSrv.URL
		h.closers = append(h.closers, appSrv.Close, appTr.CloseIdleConnections)
	}
	var db *gorm.DB
	if opts.Storage == GORMStorage {
		if opts.DBPath == "" {
			h.Close()
			return nil, errors.New("bench: GORMStorage needs DBPath")
		}
		var err error
		db, err = gorm.Open(sqlite.Open(opts.DBPath+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"),
			&gorm.Config{Logger: logger.Discard})
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("bench: open database: %w", err)
		}
		if sqlDB, err := db.DB(); err == nil {
			h.closers = append(h.closers, func() { sqlDB.Close() })
		}
	}
	r := gin.New()
	store := cookie.NewStore(hashKey, blockKey)
	store.Options(cookieOptions)
	r.Use(sessions.Sessions(sessionName, store))
	h.engine = r
	var err error
	switch opts.Impl {
	case Handwritten:
		err = mountHandwritten(r, libClient, db)
	case Gothic:
		gothicMu.Lock()
		h.closers = append(h.closers, func() { goth.ClearProviders(); gothicMu.Unlock() })
		mountGothic(r, libClient, h.appURL)
	case Ginoauth:
		err = mountGinoauth(r, libClient, db, opts.ShortLived)
	default:
		err = fmt.Errorf("bench: unknown implementation %q", opts.Impl)
	}
	if err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Close stops the harness's servers and closes its database.
func (h *Harness) Close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
	h.closers = nil
}

// Impl returns the implementation under test.
func (h *Harness) Impl() Impl { return h.impl }

// sessionUID is the local user ID that a login put in the session.
func sessionUID(c *gin.Context) (string, bool) {
	id, ok := sessions.Default(c).Get("uid").(string)
	return id, ok && id != ""
}

// relay answers the app's /api request with the provider's answer.
func relay(c *gin.Context, status int, body []byte, err error) {
	if err != nil {
		c.Status(http.StatusBadGateway)
		return
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

func readAll(resp *http.Response, err error) (int, []byte, error) {
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// ---- ginoauth ----

func mountGinoauth(r *gin.Engine, hc *http.Client, db *gorm.DB, shortLived bool) error {
	cfg := ginoauth.Config{
		ClientID:     ClientID,
		ClientSecret: ClientSecret,
		Scopes:       Scopes,
		HTTPClient:   hc,
		Hooks: ginoauth.Hooks{
			// The app logs the GitHub user in: it needs to know who they are.
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
				p, err := bp.Profile(c)
				if err != nil {
					return err
				}
				sessions.Default(c).Set("uid", p.ID)
				c.Header("X-User", p.Username)
				return nil
			},
		},
	}
	if shortLived {
		// ginoauth never counts a just-issued token as expired (its early
		// expiry is at most a quarter of the token's life), where x/oauth2
		// refreshes any token that lives less than 10 s. A clock that moves
		// 10 s each time it is read makes every use find the 5 s token
		// expired, so both refresh on every API call.
		var ticks atomic.Int64
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(ticks.Add(1)) * 10 * time.Second) }
	}
	if db != nil {
		st, err := gormstore.New(db, gormstore.Config{UserID: sessionUID, UserRequired: true})
		if err != nil {
			return err
		}
		if err := st.AutoMigrate(context.Background()); err != nil {
			return err
		}
		cfg.Storage = st
	}
	bp, err := github.New(github.Config{Config: cfg})
	if err != nil {
		return err
	}
	bp.Register(r.Group("/login"))
	r.GET(apiPath, func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.Status(http.StatusUnauthorized)
			return
		}
		status, body, err := readAll(client.Get(ProfileURL))
		relay(c, status, body, err)
	})
	return nil
}

// ---- gothic ----

func mountGothic(r *gin.Engine, hc *http.Client, appURL string) {
	// As goth's README sets it up; HTTPClient is goth's documented hook for
	// the provider's HTTP client.
	prov := gothgithub.New(ClientID, ClientSecret, appURL+callbackPath, Scopes...)
	prov.HTTPClient = hc
	goth.UseProviders(prov)
	r.GET(loginPath, func(c *gin.Context) {
		gothic.BeginAuthHandler(c.Writer, gothic.GetContextWithProvider(c.Request, "github"))
	})
	r.GET(callbackPath, func(c *gin.Context) {
		user, err := gothic.CompleteUserAuth(c.Writer, gothic.GetContextWithProvider(c.Request, "github"))
		if err != nil {
			c.Status(http.StatusBadRequest)
			return
		}
		s := sessions.Default(c)
		s.Set("uid", user.UserID)
		s.Set("token", user.AccessToken)
		if err := s.Save(); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		c.Header("X-User", user.NickName)
		c.Redirect(http.StatusFound, "/")
	})
	r.GET(apiPath, func(c *gin.Context) {
		// goth has no API client: the app sets the header itself.
		tok, _ := sessions.Default(c).Get("token").(string)
		if tok == "" {
			c.Status(http.StatusUnauthorized)
			return
		}
		req, err := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, ProfileURL, nil)
		if err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		status, body, err := readAll(prov.Client().Do(req))
		relay(c, status, body, err)
	})
}

// ---- hand-written x/oauth2 ----

type handwritten struct {
	hc *http.Client
	db *gorm.DB
}

// handTokenRow is the hand-written app's token table.
type handTokenRow struct {
	UserID string `gorm:"primaryKey;size:191"`
	Token  string `gorm:"not null"`
}

const handTable = "handwritten_tokens"

type ghUser struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
	Email string `json:"email"`
}
