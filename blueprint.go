package ginoauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth/internal/keyedlock"
	"golang.org/x/oauth2"
)

// Blueprint is one provider's login, callback and token handling, ready to
// mount on a Gin router. It is safe for concurrent use: everything that
// belongs to one login or one user lives in the request and the session.
type Blueprint struct {
	name     string
	provider Provider
	cfg      Config
	hooks    Hooks
	storage  Storage
	logger   *slog.Logger
	oauth    oauth2.Config // template; never mutated after New
	apiBase  *url.URL
	// tokenOrigins are the origins API requests may carry the token to;
	// nil: any.
	tokenOrigins map[string]bool
	proxies      []*net.IPNet
	flow         flow

	// The session keys of the logins in progress and of the token
	// (SessionStorage's), made once, as interface values: sessions take
	// keys as any.
	loginsSessionKey, tokenSessionKey any
	callbackJoin                      lastJoin // the callback URL on the request's origin

	loginPath, authorizedPath string
	mountedLogin              string // absolute path of the login route once registered
	mountedAuthorized         string
	mountedLoggedOut          string
	mountedEndSession         string       // where a cookie-held ID token travels
	tokenHTTP                 *http.Client // token endpoint requests (tokenRequest)

	origins *http.CrossOriginProtection // for Config.LoginPOSTOnly
	locks   keyedlock.Mutexes           // in-process refresh locks, by token
	// unsaved keeps refreshed tokens that the storage failed to save (a
	// database outage), by the lock key of the token they replace, until
	// the next refresh of that token saves them: the provider may have
	// spent the old refresh token, so this copy is the only one.
	unsaved expiring[*Token]
}

// flow is the protocol a Blueprint speaks: OAuth 2 (the default) or OAuth 1.
type flow interface {
	login(c *gin.Context, b *Blueprint)
	authorized(c *gin.Context, b *Blueprint)
	transport(b *Blueprint, src *tokenSource, base http.RoundTripper) http.RoundTripper
	refresh(ctx context.Context, b *Blueprint, old *Token) (*Token, error)
	revoke(ctx context.Context, b *Blueprint, t *Token) error
}

// New checks cfg against p and returns the blueprint. It never panics.
func New(p Provider, cfg Config) (*Blueprint, error) {
	if p.Endpoint.AuthURL == "" || p.Endpoint.TokenURL == "" {
		return nil, configError(p.Name, "Provider.Endpoint needs AuthURL and TokenURL")
	}
	b, err := newBlueprint(p, cfg)
	if err != nil {
		return nil, err
	}
	b.flow = oauth2Flow{}
	return b, nil
}

// configError is a configuration mistake found by New or NewOAuth1.
func configError(name, msg string) error {
	return &Error{Kind: KindConfig, Provider: name, Err: errors.New(msg)}
}

// defaultTimeout bounds token requests when Config.HTTPClient has no
// Timeout of its own.
const defaultTimeout = 15 * time.Second

// timeout bounds each token, refresh and revocation request and each
// refresh as a whole.
func (b *Blueprint) timeout() time.Duration {
	if t := b.cfg.HTTPClient.Timeout; t > 0 {
		return t
	}
	return defaultTimeout
}

// siteURL reports whether s is a path from the site's root (not "//host")
// or an absolute http(s) URL: a redirect target given as configuration.
func siteURL(s string) bool {
	if strings.HasPrefix(s, "/") {
		return !strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "/\\")
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func newBlueprint(p Provider, cfg Config) (*Blueprint, error) {
	name := cfg.Name
	if name == "" {
		name = p.Name
	}
	if name == "" {
		return nil, configError("", "Name (or Provider.Name) is required")
	}
	if strings.ContainsAny(name, "/?#%\\ \t\r\n") {
		return nil, configError(name, "Name must be a single path segment")
	}
	if cfg.ClientID == "" {
		return nil, configError(name, "ClientID is required")
	}
	if cfg.RedirectURL != "" {
		u, err := url.Parse(cfg.RedirectURL)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return nil, configError(name, "RedirectURL must be an absolute URL")
		}
	}
	if cfg.AfterLogin == "" {
		cfg.AfterLogin = "/"
	}
	if !siteURL(cfg.AfterLogin) {
		return nil, configError(name, fmt.Sprintf("AfterLogin %q must be a path from the site's root (\"/dashboard\") or an absolute http(s) URL", cfg.AfterLogin))
	}
	if cfg.FailureURL != "" && !siteURL(cfg.FailureURL) {
		return nil, configError(name, fmt.Sprintf("FailureURL %q must be a path from the site's root or an absolute http(s) URL", cfg.FailureURL))
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = 10 * time.Minute
	}
	if cfg.MaxPendingLogins <= 0 {
		cfg.MaxPendingLogins = 5
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EarlyExpiry <= 0 {
		cfg.EarlyExpiry = defaultEarlyExpiry
	}
	b := &Blueprint{
		origins:  http.NewCrossOriginProtection(),
		name:     name,
		provider: p,

		loginsSessionKey: name + "_oauth_logins",
		tokenSessionKey:  sessionTokenKey(name),
		hooks:            cfg.Hooks,
		storage:          cfg.Storage,
		logger:           cfg.Logger,
	}
	if b.storage == nil {
		b.storage = &SessionStorage{SessionName: cfg.SessionName}
	}
	for _, s := range cfg.TrustedProxies {
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil {
				bits := 32
				if ip.To4() == nil {
					bits = 128
				}
				s = fmt.Sprintf("%s/%d", s, bits)
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, configError(name, fmt.Sprintf("TrustedProxies: %q is not an address or CIDR range", s))
		}
		b.proxies = append(b.proxies, n)
	}
	if p.APIBaseURL != "" {
		u, err := url.Parse(p.APIBaseURL)
		if err != nil || !u.IsAbs() {
			return nil, configError(name, "Provider.APIBaseURL must be an absolute URL")
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			if u.RawPath != "" {
				u.RawPath += "/"
			}
		}
		b.apiBase = u
		b.tokenOrigins = map[string]bool{origin(u): true}
	}
	for _, o := range p.APIOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, configError(name, fmt.Sprintf("Provider.APIOrigins: %q is not an origin such as https://api.example.com", o))
		}
		if b.tokenOrigins == nil {
			b.tokenOrigins = map[string]bool{}
		}
		b.tokenOrigins[origin(u)] = true
	}
	b.loginPath = cfg.LoginPath
	if b.loginPath == "" {
		b.loginPath = "/" + name
	}
	b.authorizedPath = cfg.AuthorizedPath
	if b.authorizedPath == "" {
		b.authorizedPath = "/" + name + "/authorized"
	}
	if !strings.HasPrefix(b.loginPath, "/") || !strings.HasPrefix(b.authorizedPath, "/") {
		return nil, configError(name, "LoginPath and AuthorizedPath must start with /")
	}
	if b.loginPath == b.authorizedPath {
		return nil, configError(name, "LoginPath and AuthorizedPath must differ")
	}
	endpoint := p.Endpoint
	if endpoint.AuthStyle == oauth2.AuthStyleAutoDetect {
		// RFC 6749 section 2.3.1: servers must support HTTP Basic.
		endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	if err := chooseClientAuth(p.TokenEndpointAuthMethods, &cfg); err != nil {
		return nil, configError(name, err.Error())
	}
	secret := cfg.ClientSecret
	if cfg.ClientAssertion != nil {
		if cfg.ClientSecretFunc != nil {
			return nil, configError(name, "ClientAssertion and ClientSecretFunc cannot be combined")
		}
		// The assertion goes in the form body beside client_id, and no
		// secret goes anywhere (see authenticate).
		secret, endpoint.AuthStyle = "", oauth2.AuthStyleInParams
	}
	scopes := p.Scopes
	if cfg.Scopes != nil {
		scopes = cfg.Scopes
	}
	b.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: secret,
		Endpoint:     endpoint,
		Scopes:       append([]string(nil), scopes...),
	}
	// Copy what the caller could still mutate.
	cfg.AuthParams = mergeParams(p.AuthParams, cfg.AuthParams)
	cfg.TokenParams = mergeParams(p.TokenParams, cfg.TokenParams)
	cfg.Scopes = b.oauth.Scopes
	cfg.TrustedProxies = append([]string(nil), cfg.TrustedProxies...)
	b.cfg = cfg
	// Token requests follow no Jar and the default redirect policy; the
	// app's client gives the transport. Their time limit is the context's:
	// the code exchange and the refresh are bounded by timeout().
	b.tokenHTTP = &http.Client{Transport: b.baseTransport()}
	b.mountedLogin = b.loginPath
	b.mountedAuthorized = b.authorizedPath
	return b, nil
}

func mergeParams(base, over map[string]string) map[string]string {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	m := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

// Name returns the blueprint's name.
func (b *Blueprint) Name() string { return b.name }

// Register mounts the login route (GET and POST) and the authorized route
// (GET, plus POST for providers that post their callback) on r, at
// Config.LoginPath and Config.AuthorizedPath. With r =
// engine.Group("/login") and the name "github" they are /login/github and
// /login/github/authorized. It is the one way to mount them, so the
// redirect_uri the login sends is always the route that answers it. Call
// it before the server starts.
//
// The login route redirects to the provider. A "next" query or form
// parameter, if it is a same-site path, is where the browser goes after the
// login.
//
// For OpenID providers Register also mounts the logout routes (see
// [Blueprint.EndSession] and Hooks.BackChannelLogout): GET
// "/{name}/end-session" and "/{name}/logged-out", when the provider has an
// end-session endpoint, and POST "/{name}/backchannel-logout", the back-channel logout URI to
// register with the provider, when it verifies logout tokens and the
// storage (SubjectLogout) or the BackChannelLogout hook can act on them.
func (b *Blueprint) Register(r gin.IRouter) {
	base := ""
	if g, ok := r.(interface{ BasePath() string }); ok {
		base = strings.TrimSuffix(g.BasePath(), "/")
	}
	b.mountedLogin = base + b.loginPath
	b.mountedAuthorized = base + b.authorizedPath
	b.mountedLoggedOut = base + b.loggedOutRoute()
	b.mountedEndSession = base + b.endSessionRoute()
	login, authorized := b.loginHandler(), b.authorizedHandler()
	r.GET(b.loginPath, login) // 405 with LoginPOSTOnly
	r.POST(b.loginPath, login)
	r.GET(b.authorizedPath, authorized)
	if b.provider.FormPostCallback {
		r.POST(b.authorizedPath, authorized)
	}
	if b.provider.EndSessionURL != "" {
		r.GET(b.endSessionRoute(), b.endSessionHandler())
		r.GET(b.loggedOutRoute(), b.loggedOutHandler())
	}
	if b.backChannelEnabled() {
		r.POST(b.backChannelRoute(), b.backChannelHandler())
	}
}

// LoginPath is the path of the login route from the site's root, as
// Register mounted it ("/login/github"), for links and forms.
func (b *Blueprint) LoginPath() string { return b.mountedLogin }

// AuthorizedPath is the path of the authorized (callback) route from the
// site's root, as Register mounted it.
func (b *Blueprint) AuthorizedPath() string { return b.mountedAuthorized }

func (b *Blueprint) logDebug(msg string, args ...any) {
	if b.logger != nil {
		b.logger.Debug(msg, append([]any{"provider", b.name}, args...)...)
	}
}

// oauth2Flow is the OAuth 2 authorization code flow with PKCE.
type oauth2Flow struct{}
