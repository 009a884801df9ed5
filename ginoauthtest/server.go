package ginoauthtest

import (
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
)

// User is an account at the test provider.
type User struct {
	// ID is the provider's stable user ID: the "sub" claim. Required.
	// It must be unique among the server's users.
	ID string `json:"id"`
	// Email is the user's email address. Optional.
	Email string `json:"email,omitempty"`
	// EmailVerified says whether the provider vouches for Email. Optional.
	EmailVerified bool `json:"email_verified"`
	// Name is the display name. Optional.
	Name string `json:"name,omitempty"`
	// Username is the login name ("preferred_username"). Optional.
	Username string `json:"username,omitempty"`
	// AvatarURL is the picture's URL ("picture"). Optional.
	AvatarURL string `json:"avatar_url,omitempty"`
}

// DefaultUsers returns the users a server has when Config.Users is empty:
// alice (ID "1001", verified email), bob ("1002", unverified email) and
// carol ("1003", verified email, no avatar).
func DefaultUsers() []User {
	return []User{
		{ID: "1001", Email: "alice@example.com", EmailVerified: true, Name: "Alice Liddell",
			Username: "alice", AvatarURL: "https://avatars.example.com/alice.png"},
		{ID: "1002", Email: "bob@example.com", EmailVerified: false, Name: "Bob Builder",
			Username: "bob", AvatarURL: "https://avatars.example.com/bob.png"},
		{ID: "1003", Email: "carol@example.org", EmailVerified: true, Name: "Carol Danvers",
			Username: "carol"},
	}
}

// Config configures a test provider. The zero value is a working provider
// with the default users, a confidential client "test-client" /
// "test-secret" and a user chooser page at /authorize.
type Config struct {
	// Name is the name of the ginoauth.Provider that Server.Provider
	// returns. Optional. Default "test".
	Name string
	// ClientID is the one client the server knows. Optional. Default
	// "test-client".
	ClientID string
	// ClientSecret is the client's secret. Optional. Default "test-secret".
	// Ignored when PublicClient is set.
	ClientSecret string
	// PublicClient makes the client a public one (token endpoint auth
	// method "none"): it identifies itself by client_id alone and must use
	// PKCE. Optional. Default false.
	PublicClient bool
	// RedirectURIs are the client's registered redirect URIs: an
	// authorization request must use one of them exactly (RFC 6749 section
	// 3.1.2.3), or may omit redirect_uri when there is only one. Required,
	// unless InsecureAnyRedirectURI is set: without them every
	// authorization request fails.
	RedirectURIs []string
	// InsecureAnyRedirectURI accepts any absolute http or https
	// redirect_uri without a fragment, for tests whose app address is not
	// known when the server starts. It makes the server an open redirector
	// that hands codes to any URL: never use it where a browser of a real
	// user can reach the server.
	InsecureAnyRedirectURI bool
	// Users are the provider's accounts. Optional. Default DefaultUsers().
	Users []User
	// AutoApprove is the ID of the user who approves every authorization
	// request at once, with no page. Optional. Default "": /authorize shows
	// a page where a person picks a user or denies the request.
	AutoApprove string
	// Scopes are the scopes the server knows; a request for another scope
	// fails with invalid_scope. A request without a scope gets all of them,
	// and Server.Provider uses them as its default scopes. Optional.
	// Default {"openid", "profile", "email"}.
	Scopes []string
	// AccessTokenTTL is the lifetime of access tokens and ID tokens.
	// Optional. Default 1 hour.
	AccessTokenTTL time.Duration
	// AccessTokenSize makes access tokens this many bytes long, as the JWT
	// access tokens of Keycloak, Okta, Auth0 or Microsoft Entra ID are
	// (600 to 2,000 bytes and more), for testing what stores them.
	// Optional. Default: 26-byte random tokens.
	AccessTokenSize int
	// IDTokenPadding adds a claim of this many random characters to every
	// ID token, to test large ID tokens. Optional.
	IDTokenPadding int
	// RotateRefreshTokens makes every refresh return a new refresh token
	// and spend the old one, which then fails with invalid_grant. Optional.
	// Default false: the refresh token stays valid and refresh responses
	// carry no refresh_token.
	RotateRefreshTokens bool
	// RequirePKCE rejects authorization requests without a code challenge.
	// Optional. Default false: PKCE is optional, but a code issued for a
	// challenge is only exchanged with the matching verifier, and a
	// verifier sent for a code issued without a challenge is refused.
	RequirePKCE bool
	// AllowPlainPKCE accepts the "plain" code challenge method. Optional.
	// Default false: only S256.
	AllowPlainPKCE bool
	// SendIssuer adds the "iss" parameter to authorization responses (RFC
	// 9207) and advertises it in the discovery document; Server.Provider
	// then requires it. Optional. Default false.
	SendIssuer bool
	// PostLogoutRedirectURIs are where the end-session endpoint may send
	// the browser back to (OpenID Connect RP-Initiated Logout). Optional.
	// InsecureAnyRedirectURI accepts any absolute URL here too.
	PostLogoutRedirectURIs []string
	// SigningKey signs ID tokens. Optional. Default: a 2048-bit RSA key
	// generated once per process and shared by every server, since key
	// generation costs 40-250 ms (more under the race detector).
	SigningKey *rsa.PrivateKey
}

const (
	defaultName     = "test"
	defaultClientID = "test-client"
	defaultSecret   = "test-secret"
	codeTTL         = time.Minute
	pendingTTL      = 10 * time.Minute
	maxFormBytes    = 1 << 20
)

// Endpoint paths, relative to the issuer URL. They are the names that
// FailNext, SetLatency, Count and Request.Path use.
const (
	PathAuthorize  = "/authorize"
	PathToken      = "/token"
	PathRevoke     = "/revoke"
	PathUserinfo   = "/userinfo"
	PathWhoami     = "/api/whoami"
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/jwks"
	PathEndSession = "/end_session" // OpenID Connect RP-Initiated Logout
)

// Server is a test OAuth 2 / OpenID Connect provider. All its methods are
// safe for concurrent use.
type Server struct {
	// URL is the issuer URL, without a trailing slash. For NewServer it is
	// the loopback server's base URL, "http://127.0.0.1:port".
	URL string

	cfg      Config
	basePath string // the issuer URL's path, "" or "/prefix"
	ts       *httptest.Server
	key      jose.JSONWebKey // private, with kid
	signer   jose.Signer
	clock    atomic.Pointer[func() time.Time]

	closeOnce sync.Once
	closed    chan struct{}

	mu      sync.Mutex
	pending map[string]*authRequest
	codes   map[string]*authCode
	access  map[string]*accessToken
	refresh map[string]*refreshToken
	grants  []*grant
	records []Request
	faults  map[string][]fault
	latency map[string]time.Duration
}

// NewServer starts a provider on a loopback port. The caller must Close it.
// It panics if cfg is invalid (duplicate or empty user IDs, an AutoApprove
// user that does not exist), as httptest.NewServer panics when it cannot
// listen.
func NewServer(cfg Config) *Server {
	s := newServer(cfg)
	s.ts = httptest.NewUnstartedServer(s)
	s.setIssuer("http://" + s.ts.Listener.Addr().String())
	s.ts.Start()
	return s
}

// NewHandler returns a provider that is not listening: its ServeHTTP serves
// everything under issuer, an absolute URL such as
// "http://127.0.0.1:8080/dev-provider", for an application to mount on its
// own router. Requests may arrive with the issuer's path prefix or with it
// already stripped (http.StripPrefix). It panics if cfg or issuer is
// invalid. Close is optional for a handler.
//
// With gin:
//
//	dev := ginoauthtest.NewHandler(cfg, "http://127.0.0.1:8080/dev-provider")
//	r.Any("/dev-provider/*path", gin.WrapH(dev))
func NewHandler(cfg Config, issuer string) *Server {
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		panic(fmt.Sprintf("ginoauthtest: issuer %q must be an absolute http(s) URL without query or fragment", issuer))
	}
	s := newServer(cfg)
	s.setIssuer(issuer)
	return s
}

func newServer(cfg Config) *Server {
	if cfg.Name == "" {
		cfg.Name = defaultName
	}
	if cfg.ClientID == "" {
		cfg.ClientID = defaultClientID
	}
	if cfg.PublicClient {
		cfg.ClientSecret = ""
	} else if cfg.ClientSecret == "" {
		cfg.ClientSecret = defaultSecret
	}
	if len(cfg.Users) == 0 {
		cfg.Users = DefaultUsers()
	} else {
		cfg.Users = slices.Clone(cfg.Users)
	}
	seen := make(map[string]bool, len(cfg.Users))
	for _, u := range cfg.Users {
		if u.ID == "" {
			panic("ginoauthtest: a user has an empty ID")
		}
		if seen[u.ID] {
			panic(fmt.Sprintf("ginoauthtest: duplicate user ID %q", u.ID))
		}
		seen[u.ID] = true
	}
	if cfg.AutoApprove != "" && !seen[cfg.AutoApprove] {
		panic(fmt.Sprintf("ginoauthtest: AutoApprove user %q is not in Users", cfg.AutoApprove))
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"openid", "profile", "email"}
	} else {
		cfg.Scopes = slices.Clone(cfg.Scopes)
	}
	cfg.RedirectURIs = slices.Clone(cfg.RedirectURIs)
	for _, ru := range cfg.RedirectURIs {
		if !validRedirectURI(ru) {
			panic(fmt.Sprintf("ginoauthtest: redirect URI %q must be an absolute http(s) URL without a fragment", ru))
		}
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = time.Hour
	}
	key := cfg.SigningKey
	if key == nil {
		var err error
		if key, err = sharedKey(); err != nil {
			panic(fmt.Sprintf("ginoauthtest: generate signing key: %v", err))
		}
	}
	jwk, signer, err := newSigner(key)
	if err != nil {
		panic(fmt.Sprintf("ginoauthtest: signing key: %v", err))
	}
	s := &Server{
		cfg:     cfg,
		key:     jwk,
		signer:  signer,
		closed:  make(chan struct{}),
		pending: make(map[string]*authRequest),
		codes:   make(map[string]*authCode),
		access:  make(map[string]*accessToken),
		refresh: make(map[string]*refreshToken),
		faults:  make(map[string][]fault),
		latency: make(map[string]time.Duration),
	}
	now := time.Now
	s.clock.Store(&now)
	return s
}

func (s *Server) setIssuer(issuer string) {
	s.URL = strings.TrimSuffix(issuer, "/")
	u, _ := url.Parse(s.URL)
	s.basePath = strings.TrimSuffix(u.Path, "/")
}

// Close shuts the loopback server down (NewServer) and ends any injected
// latency that is still waiting. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.ts != nil {
			s.ts.Close()
		}
	})
}

// Client returns an *http.Client for the loopback server (NewServer), or
// http.DefaultClient for a handler.
func (s *Server) Client() *http.Client {
	if s.ts != nil {
		return s.ts.Client()
	}
	return http.DefaultClient
}

// ClientID returns the client ID the server accepts.
func (s *Server) ClientID() string { return s.cfg.ClientID }

// ClientSecret returns the client secret the server accepts ("" for a
// public client).
func (s *Server) ClientSecret() string { return s.cfg.ClientSecret }

// Users returns a copy of the server's users.
func (s *Server) Users() []User { return slices.Clone(s.cfg.Users) }

func (s *Server) user(id string) (User, bool) {
	for _, u := range s.cfg.Users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// Provider describes the server as a ginoauth.Provider: its endpoints
// (client authentication by HTTP Basic), revocation URL, issuer, the API
// base URL issuer + "/api/" (so a blueprint client's Get("whoami") reaches
// the sample API), the configured scopes as defaults, and a Profile
// function that reads the userinfo endpoint, which needs the "openid"
// scope. OpenID and VerifyIDToken are left unset: ID token verification
// belongs to the generic OpenID Connect provider, which discovers this
// server.
func (s *Server) Provider() ginoauth.Provider {
	style := oauth2.AuthStyleInHeader
	if s.cfg.PublicClient {
		style = oauth2.AuthStyleInParams
	}
	return ginoauth.Provider{
		Name: s.cfg.Name,
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.URL + PathAuthorize,
			TokenURL:  s.URL + PathToken,
			AuthStyle: style,
		},
		RevocationURL:      s.URL + PathRevoke,
		EndSessionURL:      s.URL + PathEndSession,
		APIBaseURL:         s.URL + "/api/",
		Scopes:             slices.Clone(s.cfg.Scopes),
		Issuer:             s.URL,
		RequireIssuerParam: s.cfg.SendIssuer,
		Profile:            s.profile,
	}
}
