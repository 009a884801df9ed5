package ginoauthtest

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ginoauth/ginoauth"
)

// OAuth1Config configures an OAuth 1.0a test provider ([NewOAuth1Server]).
// The zero value is a working provider with the default users and one
// HMAC-SHA1 consumer "test-consumer" / "test-consumer-secret".
type OAuth1Config struct {
	// Name is the name of the ginoauth.OAuth1Provider that
	// OAuth1Server.Provider returns. Optional. Default "test1".
	Name string
	// ConsumerKey is the one consumer the server knows. Optional. Default
	// "test-consumer".
	ConsumerKey string
	// ConsumerSecret is the consumer's shared secret for HMAC-SHA1.
	// Optional. Default "test-consumer-secret". Ignored with RSA-SHA1.
	ConsumerSecret string
	// SignatureMethod is the only signature method the server accepts:
	// "HMAC-SHA1" or "RSA-SHA1". Optional. Default "HMAC-SHA1".
	SignatureMethod string
	// RSAPublicKey is the consumer's public key, which verifies RSA-SHA1
	// signatures. Required with RSA-SHA1.
	RSAPublicKey *rsa.PublicKey
	// Users are the provider's accounts. Optional. Default DefaultUsers().
	Users []User
	// AutoApprove is the ID of the user who approves every authorization
	// at once, with no page. Optional. Default "": the authorize endpoint
	// shows a page where a person picks a user or denies access.
	AutoApprove string
	// TLS serves HTTPS (httptest.NewTLSServer) instead of HTTP. Optional.
	// Default false.
	TLS bool
	// TimestampWindow is how far oauth_timestamp may be from the server's
	// clock. Optional. Default 5 minutes.
	TimestampWindow time.Duration
}

// OAuth 1.0a endpoint paths. The server answers in two dialects: X's
// (the OAuth1Path* paths, whose denial redirect carries "denied=<token>")
// and Jira Server's (the JiraPath* paths, whose denial redirect carries
// "oauth_verifier=denied"). The API paths need a request signed with an
// access token; they answer 401 with an oauth_problem otherwise.
const (
	OAuth1PathRequestToken      = "/oauth/request_token"
	OAuth1PathAuthorize         = "/oauth/authorize"
	OAuth1PathAccessToken       = "/oauth/access_token"
	OAuth1PathInvalidate        = "/1.1/oauth/invalidate_token"          // POST: revokes the signing token
	OAuth1PathVerifyCredentials = "/1.1/account/verify_credentials.json" // X's user object
	OAuth1PathWhoami            = "/api/whoami"                          // the user as JSON (User's fields)
	OAuth1PathEcho              = "/api/echo"                            // what the server received, as JSON
	JiraPathRequestToken        = "/plugins/servlet/oauth/request-token"
	JiraPathAuthorize           = "/plugins/servlet/oauth/authorize"
	JiraPathAccessToken         = "/plugins/servlet/oauth/access-token"
	JiraPathMyself              = "/rest/api/2/myself" // Jira's user object
)

const (
	o1DefaultName     = "test1"
	o1DefaultKey      = "test-consumer"
	o1DefaultSecret   = "test-consumer-secret"
	o1RequestTokenTTL = 10 * time.Minute
	o1MaxBody         = 1 << 20
)

// OAuth1Server is an OAuth 1.0a provider for tests (RFC 5849). It verifies
// every signature for real, HMAC-SHA1 or RSA-SHA1, over the RFC 5849
// section 3.4.1 signature base string, with the Authorization header, form
// body or query parameters as the protocol parameters' carrier. It checks
// the consumer key, signature method, version, timestamp window and nonce
// reuse, and it enforces the three steps:
//
//   - a request token is issued only for a valid consumer signature and an
//     oauth_callback (an absolute URL or "oob");
//   - the access token only for the matching request token, with that
//     token's secret in the signature, after the user approved it, with the
//     right oauth_verifier; a request token is spent by its first
//     correctly signed exchange, whatever the outcome;
//   - the API endpoints only for a request signed with a live access
//     token and its secret.
//
// Failures answer 400 or 401 with an oauth_problem body (the OAuth Problem
// Reporting extension): parameter_absent, consumer_key_unknown,
// signature_method_rejected, timestamp_refused, nonce_used,
// signature_invalid, token_rejected, permission_unknown, verifier_invalid.
//
// All methods are safe for concurrent use. Its consumer secrets are public
// knowledge and its recorded requests hold tokens and signatures: it is for
// tests and local development only.
type OAuth1Server struct {
	// URL is the base URL, "http://127.0.0.1:port" (or https with
	// OAuth1Config.TLS), without a trailing slash.
	URL string

	cfg   OAuth1Config
	ts    *httptest.Server
	clock atomic.Pointer[func() time.Time]
	tr    *http.Transport

	mu        sync.Mutex
	reqTokens map[string]*o1RequestToken
	access    map[string]*o1AccessToken
	nonces    map[string]time.Time
	records   []OAuth1Request
	faults    map[string][]o1Fault
}

type o1RequestToken struct {
	secret   string
	callback string
	created  time.Time
	userID   string // set once approved
	verifier string
}

type o1AccessToken struct {
	secret string
	userID string
}

type o1Fault struct {
	status int
	body   string
}

// OAuth1Request is one request the server received, with the outcome of
// its checks. Recorded values include tokens and signatures: for
// assertions in tests only, never log them.
type OAuth1Request struct {
	// Method is the HTTP method.
	Method string
	// URL is the absolute URL as the consumer addressed it (scheme from
	// the connection, host from the Host header), with its query.
	URL string
	// Path is the endpoint path, one of the OAuth1Path* or JiraPath*
	// constants.
	Path string
	// Header is a copy of the request's header.
	Header http.Header
	// Body is the request body.
	Body []byte
	// Problem is "" when every check passed, otherwise the oauth_problem
	// the server answered (or "injected" for a FailNext answer).
	Problem string
	// Time is when the request arrived, by the server's clock.
	Time time.Time
}

// NewOAuth1Server starts an OAuth 1.0a provider on a loopback port. The
// caller must Close it. It panics if cfg is invalid (an unknown signature
// method, RSA-SHA1 without a public key, duplicate or empty user IDs, an
// AutoApprove user that does not exist), as httptest.NewServer panics when
// it cannot listen.
func NewOAuth1Server(cfg OAuth1Config) *OAuth1Server {
	if cfg.Name == "" {
		cfg.Name = o1DefaultName
	}
	if cfg.ConsumerKey == "" {
		cfg.ConsumerKey = o1DefaultKey
	}
	switch cfg.SignatureMethod {
	case "", "HMAC-SHA1":
		cfg.SignatureMethod = "HMAC-SHA1"
		if cfg.ConsumerSecret == "" {
			cfg.ConsumerSecret = o1DefaultSecret
		}
	case "RSA-SHA1":
		if cfg.RSAPublicKey == nil {
			panic("ginoauthtest: RSA-SHA1 needs OAuth1Config.RSAPublicKey")
		}
		cfg.ConsumerSecret = ""
	default:
		panic(fmt.Sprintf("ginoauthtest: signature method %q is not HMAC-SHA1 or RSA-SHA1", cfg.SignatureMethod))
	}
	if len(cfg.Users) == 0 {
		cfg.Users = DefaultUsers()
	} else {
		cfg.Users = slices.Clone(cfg.Users)
	}
	seen := map[string]bool{}
	for _, u := range cfg.Users {
		if u.ID == "" || seen[u.ID] {
			panic(fmt.Sprintf("ginoauthtest: user ID %q is empty or duplicate", u.ID))
		}
		seen[u.ID] = true
	}
	if cfg.AutoApprove != "" && !seen[cfg.AutoApprove] {
		panic(fmt.Sprintf("ginoauthtest: AutoApprove user %q is not in Users", cfg.AutoApprove))
	}
	if cfg.TimestampWindow <= 0 {
		cfg.TimestampWindow = 5 * time.Minute
	}
	s := &OAuth1Server{
		cfg:       cfg,
		reqTokens: map[string]*o1RequestToken{},
		access:    map[string]*o1AccessToken{},
		nonces:    map[string]time.Time{},
		faults:    map[string][]o1Fault{},
	}
	now := time.Now
	s.clock.Store(&now)
	if cfg.TLS {
		s.ts = httptest.NewTLSServer(s)
	} else {
		s.ts = httptest.NewServer(s)
	}
	s.URL = s.ts.URL
	addr := s.ts.Listener.Addr().String()
	s.tr = &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2: false,
	}
	if cfg.TLS {
		pool := x509.NewCertPool()
		pool.AddCert(s.ts.Certificate())
		s.tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "example.com"}
	}
	return s
}

// Close shuts the server down. It may be called more than once.
func (s *OAuth1Server) Close() {
	s.tr.CloseIdleConnections()
	s.ts.Close()
}

// Client returns an *http.Client that sends every request to this server,
// whatever the URL's host, trusting its certificate with OAuth1Config.TLS.
// Given as Config.HTTPClient, it lets a preset whose URLs are fixed
// (https://api.twitter.com/...) run against the server unchanged: the
// server sees the preset's host in the Host header and verifies the
// signatures over the URLs the preset signed.
func (s *OAuth1Server) Client() *http.Client {
	return &http.Client{Transport: s.tr}
}

// ConsumerKey returns the consumer key the server accepts.
func (s *OAuth1Server) ConsumerKey() string { return s.cfg.ConsumerKey }

// ConsumerSecret returns the HMAC-SHA1 consumer secret ("" with RSA-SHA1).
func (s *OAuth1Server) ConsumerSecret() string { return s.cfg.ConsumerSecret }

// Provider describes the server as a ginoauth.OAuth1Provider: the X-style
// endpoints, the revocation endpoint, the API base URL URL + "/api/" (so a
// blueprint client's Get("whoami") reaches the sample API), the signature
// method, and a Profile function reading /api/whoami. PrivateKey is left
// for the caller to set with RSA-SHA1.
func (s *OAuth1Server) Provider() ginoauth.OAuth1Provider {
	return ginoauth.OAuth1Provider{
		Name:            s.cfg.Name,
		RequestTokenURL: s.URL + OAuth1PathRequestToken,
		AuthorizeURL:    s.URL + OAuth1PathAuthorize,
		AccessTokenURL:  s.URL + OAuth1PathAccessToken,
		APIBaseURL:      s.URL + "/api/",
		RevocationURL:   s.URL + OAuth1PathInvalidate,
		Profile:         o1Profile,
	}
}

func o1Profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "whoami", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ginoauthtest: profile: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, o1MaxBody))
	if err != nil {
		return nil, fmt.Errorf("ginoauthtest: profile: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ginoauthtest: profile: whoami answered %d", resp.StatusCode)
	}
	var u User
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("ginoauthtest: profile: %w", err)
	}
	return &ginoauth.Profile{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name,
		Username: u.Username, AvatarURL: u.AvatarURL, Raw: body}, nil
}

// SetClock replaces the server's clock (timestamps, request-token
// expiry). nil restores time.Now.
func (s *OAuth1Server) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.clock.Store(&now)
}

func (s *OAuth1Server) now() time.Time { return (*s.clock.Load())() }

// FailNext makes the next request to path (an endpoint path constant)
// answer status with body, without any check. Calls queue up.
func (s *OAuth1Server) FailNext(path string, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = append(s.faults[path], o1Fault{status: status, body: body})
}

// IssueToken creates an access token and secret for the user with ID
// userID, as if that user had logged in, for tests that need a token
// without a browser.
func (s *OAuth1Server) IssueToken(userID string) (token, secret string, err error) {
	if _, ok := s.user(userID); !ok {
		return "", "", fmt.Errorf("ginoauthtest: no user %q", userID)
	}
	token, secret = o1Random(), o1Random()
	s.mu.Lock()
	s.access[token] = &o1AccessToken{secret: secret, userID: userID}
	s.mu.Unlock()
	return token, secret, nil
}

// TokenValid reports whether token is a live access token.
func (s *OAuth1Server) TokenValid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.access[token]
	return ok
}
