package main

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"os"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/providers/discord"
	"github.com/ginoauth/ginoauth/providers/github"
	"github.com/ginoauth/ginoauth/providers/gitlab"
	"github.com/ginoauth/ginoauth/providers/google"
	"github.com/ginoauth/ginoauth/providers/oidc"
	"gorm.io/gorm"
)

// config is everything the app needs from the outside world.
type config struct {
	BaseURL     string // where the browser reaches the app: "http://127.0.0.1:8080"
	DBPath      string // SQLite file, used when DatabaseURL is empty
	DatabaseURL string // PostgreSQL DSN (DATABASE_URL)
	RedisURL    string // sessions in Redis (REDIS_URL) instead of the cookie
	SessionKey  []byte // signs and encrypts sessions (SESSION_KEY)
	TokenKey    []byte // encrypts tokens at rest: 16, 24 or 32 bytes (TOKEN_KEY)
}

// provider is one login button: a blueprint and what the profile page asks
// its API for.
type provider struct {
	*ginoauth.Blueprint
	Label   string // "GitHub"
	APIPath string // GET through bp.Client(c); "" shows bp.Profile(c) instead
}

type app struct {
	Engine    *gin.Engine
	close     func()
	db        *gorm.DB
	store     *gormstore.Store
	linker    *gormstore.Linker
	providers []*provider
	pages     map[string]*template.Template
	dev       *ginoauthtest.Server // the built-in provider, always there
	sandbox   *ginoauthtest.Server // a second one, to try account linking
}

// newApp wires the database, token storage, sessions, providers and routes
// into a.Engine. Close releases the database.
func newApp(ctx context.Context, cfg config) (*app, error) {
	a := &app{pages: parsePages()}
	var err error
	if a.db, err = openDB(cfg); err != nil {
		return nil, err
	}
	sqlDB, _ := a.db.DB()
	a.close = func() { sqlDB.Close() }
	fail := func(err error) (*app, error) { a.close(); return nil, err }

	// Tokens live in the database, sealed with TokenKey and linked to the
	// local user the session names.
	a.store, err = gormstore.New(a.db, gormstore.Config{
		UserID:       a.userID,
		UserRequired: true,
		Model:        &OAuthAccount{},
		Keys:         [][]byte{cfg.TokenKey},
	})
	if err != nil {
		return fail(err)
	}
	if err := a.db.WithContext(ctx).AutoMigrate(&User{}); err != nil {
		return fail(fmt.Errorf("example: migrate users: %w", err))
	}
	if err := a.store.AutoMigrate(ctx); err != nil {
		return fail(err)
	}
	if a.linker, err = a.store.Linker(a.linkConfig()); err != nil {
		return fail(err)
	}

	r := gin.New()
	a.Engine = r
	_ = r.SetTrustedProxies(nil) // a proxy in front? list it here
	// The callback's query string carries the code and state: keep it out of the log.
	r.Use(gin.LoggerWithConfig(gin.LoggerConfig{SkipQueryString: true}), gin.Recovery())
	store, err := sessionStore(cfg)
	if err != nil {
		return fail(err)
	}
	r.Use(sessions.Sessions("example_session", store))

	// The built-in providers answer under our own address, so one command
	// runs everything. Their users and secrets are public: development only.
	a.dev = ginoauthtest.NewHandler(devConfig("dev", cfg.BaseURL), cfg.BaseURL+"/dev-provider")
	a.sandbox = ginoauthtest.NewHandler(devConfig("sandbox", cfg.BaseURL), cfg.BaseURL+"/sandbox-provider")
	r.Any("/dev-provider/*path", gin.WrapH(a.dev))
	r.Any("/sandbox-provider/*path", gin.WrapH(a.sandbox))

	if err := a.addProviders(ctx); err != nil {
		return fail(err)
	}

	// Logins start with a POST carrying the session's CSRF token.
	login := r.Group("/login", a.guardLogin)
	for _, p := range a.providers {
		p.Register(login) // POST /login/{name}, GET /login/{name}/authorized
	}
	r.StaticFS("/static", http.FS(staticFS()))
	r.GET("/", a.home)
	r.GET("/profile/:provider", a.profile)
	r.POST("/accounts/:id/disconnect", a.requireCSRF, a.disconnect)
	r.POST("/logout", a.requireCSRF, a.logout)
	r.NoRoute(func(c *gin.Context) {
		a.render(c, http.StatusNotFound, "error", gin.H{"Title": "Page not found", "Message": "There is nothing at this address."})
	})
	return a, nil
}

// Close releases the database.
func (a *app) Close() { a.close() }

// blueprint makes a provider's blueprint from the settings every provider
// shares: the token store and the hooks.
type blueprint func(ginoauth.Config) (*ginoauth.Blueprint, error)

// addProviders makes the built-in providers' blueprints, and those of the
// real providers whose credentials are in the environment (env).
func (a *app) addProviders(ctx context.Context) error {
	dev := func(srv *ginoauthtest.Server) blueprint {
		return func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
			c.ClientID, c.ClientSecret = srv.ClientID(), srv.ClientSecret()
			return ginoauth.New(srv.Provider(), c)
		}
	}
	all := []struct {
		env, label, apiPath string
		new                 blueprint
	}{
		{"", "Dev", "whoami", dev(a.dev)},
		{"", "Sandbox", "whoami", dev(a.sandbox)},
		{"GITHUB_OAUTH_CLIENT_ID", "GitHub", "user", func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
			c.Scopes = []string{"read:user", "user:email"} // verified emails in the profile
			return github.New(github.Config{Config: c})
		}},
		{"GOOGLE_OAUTH_CLIENT_ID", "Google", "oauth2/v3/userinfo", func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
			return google.New(google.Config{Config: c})
		}},
		{"GITLAB_OAUTH_CLIENT_ID", "GitLab", "user", func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
			return gitlab.New(gitlab.Config{Config: c})
		}},
		{"DISCORD_OAUTH_CLIENT_ID", "Discord", "users/@me", func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
			return discord.New(discord.Config{Config: c})
		}},
		{"OIDC_ISSUER", "OpenID Connect", "", func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
			return oidc.New(ctx, oidc.Config{Issuer: os.Getenv("OIDC_ISSUER"), Config: c})
		}},
	}
	for _, p := range all {
		if p.env != "" && os.Getenv(p.env) == "" {
			continue
		}
		bp, err := p.new(ginoauth.Config{Storage: a.store, Hooks: ginoauth.Hooks{Authorized: a.authorized, Error: a.loginFailed},
			LoginPOSTOnly: true}) // logins link accounts: started only by this site's forms
		if err != nil {
			return err
		}
		a.providers = append(a.providers, &provider{bp, p.label, p.apiPath})
	}
	return nil
}

// devConfig describes a built-in provider and its three test users.
// Carol's address is not verified by the provider, as happens with some real
// ones: the app does not keep it.
func devConfig(name, baseURL string) ginoauthtest.Config {
	user := func(id, username, fullName, email string) ginoauthtest.User {
		return ginoauthtest.User{ID: id, Username: username, Name: fullName, Email: email, EmailVerified: true,
			AvatarURL: baseURL + "/static/avatars/" + username + ".svg"}
	}
	cfg := ginoauthtest.Config{
		Name:     name,
		ClientID: "example-app",
		// Only the app's own callback: the provider must not hand codes
		// (or post form_post fields) to any other URL.
		RedirectURIs: []string{baseURL + "/login/" + name + "/authorized"},
		SendIssuer:   true, // RFC 9207: the callback says which provider answered
		Users: []ginoauthtest.User{
			user("1001", "alice", "Alice Example", "alice@example.com"),
			user("1002", "bob", "Bob Example", "bob@example.com"),
			user("1003", "carol", "Carol Example", "carol@example.com"),
		},
	}
	cfg.Users[2].EmailVerified = false
	return cfg
}
