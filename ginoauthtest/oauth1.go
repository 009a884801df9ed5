package ginoauthtest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// Requests returns a copy of every request received so far, oldest first.
func (s *OAuth1Server) Requests() []OAuth1Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OAuth1Request, len(s.records))
	for i, r := range s.records {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// Count returns how many requests path received.
func (s *OAuth1Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		if r.Path == path {
			n++
		}
	}
	return n
}

func (s *OAuth1Server) user(id string) (User, bool) {
	for _, u := range s.cfg.Users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

func o1Random() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// o1Exchange is one request being served: its body, read once, and the
// record to append when it is done.
type o1Exchange struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	rec  *OAuth1Request
}

// ServeHTTP serves the provider's endpoints.
func (s *OAuth1Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o1MaxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &OAuth1Request{
		Method: r.Method,
		URL:    o1BaseURI(r),
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   body,
		Time:   s.now(),
	}
	if r.URL.RawQuery != "" {
		rec.URL += "?" + r.URL.RawQuery
	}
	defer func() {
		s.mu.Lock()
		s.records = append(s.records, *rec)
		s.mu.Unlock()
	}()
	x := &o1Exchange{w: w, r: r, body: body, rec: rec}
	if s.injectFault(x) {
		return
	}
	switch r.URL.Path {
	case OAuth1PathRequestToken, JiraPathRequestToken:
		s.handleRequestToken(x)
	case OAuth1PathAuthorize, JiraPathAuthorize:
		s.handleAuthorize(x, r.URL.Path == JiraPathAuthorize)
	case OAuth1PathAccessToken, JiraPathAccessToken:
		s.handleAccessToken(x)
	case OAuth1PathWhoami, OAuth1PathEcho, OAuth1PathVerifyCredentials, JiraPathMyself, OAuth1PathInvalidate:
		s.handleAPI(x)
	default:
		http.NotFound(w, r)
	}
}

func (s *OAuth1Server) injectFault(x *o1Exchange) bool {
	s.mu.Lock()
	q := s.faults[x.r.URL.Path]
	if len(q) == 0 {
		s.mu.Unlock()
		return false
	}
	f := q[0]
	s.faults[x.r.URL.Path] = q[1:]
	s.mu.Unlock()
	x.rec.Problem = "injected"
	x.w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	x.w.WriteHeader(f.status)
	_, _ = io.WriteString(x.w, f.body)
	return true
}

// problem answers an OAuth Problem Reporting error.
func (x *o1Exchange) problem(status int, problem string) {
	x.rec.Problem = problem
	x.w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	x.w.Header().Set("WWW-Authenticate", `OAuth realm="ginoauthtest"`)
	x.w.WriteHeader(status)
	_, _ = io.WriteString(x.w, url.Values{"oauth_problem": {problem}}.Encode())
}

func (x *o1Exchange) form(v url.Values) {
	x.w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	x.w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(x.w, v.Encode())
}

func (x *o1Exchange) json(v any) {
	x.w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(x.w).Encode(v)
}

func (x *o1Exchange) onlyPost() bool {
	if x.r.Method == http.MethodPost {
		return true
	}
	x.rec.Problem = "method_not_allowed"
	x.w.Header().Set("Allow", http.MethodPost)
	http.Error(x.w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func (s *OAuth1Server) handleRequestToken(x *o1Exchange) {
	if !x.onlyPost() {
		return
	}
	params, status, problem := s.verify(x, func(token string) (string, string, bool) {
		return "", "", token == "" // no token may be presented here
	})
	if problem != "" {
		x.problem(status, problem)
		return
	}
	cb := params["oauth_callback"]
	if cb == "" {
		x.problem(http.StatusBadRequest, "parameter_absent")
		return
	}
	if u, err := url.Parse(cb); cb != "oob" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "") {
		x.problem(http.StatusBadRequest, "parameter_rejected")
		return
	}
	token, secret := o1Random(), o1Random()
	now := s.now()
	s.mu.Lock()
	for k, t := range s.reqTokens {
		if now.Sub(t.created) > o1RequestTokenTTL {
			delete(s.reqTokens, k)
		}
	}
	s.reqTokens[token] = &o1RequestToken{secret: secret, callback: cb, created: now}
	s.mu.Unlock()
	x.form(url.Values{"oauth_token": {token}, "oauth_token_secret": {secret}, "oauth_callback_confirmed": {"true"}})
}

// liveRequestTokenLocked returns the unexpired request token t, or nil.
// s.mu must be held.
func (s *OAuth1Server) liveRequestTokenLocked(t string) *o1RequestToken {
	rt := s.reqTokens[t]
	if rt == nil || s.now().Sub(rt.created) > o1RequestTokenTTL {
		return nil
	}
	return rt
}

var o1Page = template.Must(template.New("oauth1").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize {{.Consumer}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}
button{display:block;width:100%;margin:.4rem 0;padding:.6rem;font-size:1rem}</style></head>
<body>{{if .Error}}<h1>Authorization failed</h1><p>{{.Error}}</p>{{else if .Verifier}}<h1>Authorized</h1>
<p>Enter this verifier in the application: <code>{{.Verifier}}</code></p>{{else}}
<h1>Authorize {{.Consumer}}?</h1><p>The application asks to act on your behalf. Sign in as:</p>
<form method="post" action="{{.Action}}"><input type="hidden" name="oauth_token" value="{{.Token}}">
{{range .Users}}<button name="user" value="{{.ID}}">{{.Name}} ({{.Username}})</button>{{end}}
<button name="deny" value="1">Deny</button></form>{{end}}</body></html>
`))

type o1PageData struct {
	Consumer, Action, Token, Verifier, Error string
	Users                                    []User
}

func (x *o1Exchange) page(status int, d o1PageData) {
	if d.Error != "" {
		x.rec.Problem = "page_error"
	}
	x.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	x.w.Header().Set("Cache-Control", "no-store")
	x.w.WriteHeader(status)
	_ = o1Page.Execute(x.w, d)
}

func (s *OAuth1Server) handleAuthorize(x *o1Exchange, jira bool) {
	var form url.Values
	switch x.r.Method {
	case http.MethodGet:
		form = x.r.URL.Query()
	case http.MethodPost:
		var err error
		if form, err = url.ParseQuery(string(x.body)); err != nil {
			x.page(http.StatusBadRequest, o1PageData{Error: "The form does not parse."})
			return
		}
	default:
		x.w.Header().Set("Allow", "GET, POST")
		http.Error(x.w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token := form.Get("oauth_token")
	s.mu.Lock()
	rt := s.liveRequestTokenLocked(token)
	if rt == nil || rt.userID != "" {
		s.mu.Unlock()
		x.page(http.StatusBadRequest, o1PageData{Error: "Unknown, expired or already authorized request token."})
		return
	}
	callback := rt.callback
	s.mu.Unlock()
	userID := s.cfg.AutoApprove
	deny := false
	if x.r.Method == http.MethodPost {
		userID, deny = form.Get("user"), form.Get("deny") != ""
	}
	if deny {
		s.mu.Lock()
		delete(s.reqTokens, token)
		s.mu.Unlock()
		q := url.Values{"denied": {token}}
		if jira {
			q = url.Values{"oauth_token": {token}, "oauth_verifier": {"denied"}}
		}
		s.redirect(x, callback, q)
		return
	}
	if userID == "" {
		x.page(http.StatusOK, o1PageData{Consumer: s.cfg.ConsumerKey, Action: x.r.URL.Path, Token: token, Users: s.cfg.Users})
		return
	}
	if _, ok := s.user(userID); !ok {
		x.page(http.StatusBadRequest, o1PageData{Error: "Unknown user."})
		return
	}
	verifier := o1Random()
	s.mu.Lock()
	if rt := s.liveRequestTokenLocked(token); rt == nil || rt.userID != "" {
		s.mu.Unlock()
		x.page(http.StatusBadRequest, o1PageData{Error: "Unknown, expired or already authorized request token."})
		return
	}
	rt.userID, rt.verifier = userID, verifier
	s.mu.Unlock()
	if callback == "oob" {
		x.page(http.StatusOK, o1PageData{Verifier: verifier})
		return
	}
	s.redirect(x, callback, url.Values{"oauth_token": {token}, "oauth_verifier": {verifier}})
}

func (s *OAuth1Server) redirect(x *o1Exchange, callback string, params url.Values) {
	u, _ := url.Parse(callback) // checked at the request-token step
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	x.w.Header().Set("Cache-Control", "no-store")
	http.Redirect(x.w, x.r, u.String(), http.StatusFound)
}

func (s *OAuth1Server) handleAccessToken(x *o1Exchange) {
	if !x.onlyPost() {
		return
	}
	params, status, problem := s.verify(x, func(token string) (string, string, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if rt := s.liveRequestTokenLocked(token); rt != nil {
			return rt.secret, "", true
		}
		return "", "", false
	})
	if problem != "" {
		x.problem(status, problem)
		return
	}
	token := params["oauth_token"]
	s.mu.Lock()
	rt := s.liveRequestTokenLocked(token)
	// Spent by the first correctly signed exchange, whatever happens next.
	delete(s.reqTokens, token)
	s.mu.Unlock()
	switch {
	case rt == nil:
		x.problem(http.StatusUnauthorized, "token_used")
		return
	case rt.userID == "":
		x.problem(http.StatusUnauthorized, "permission_unknown")
		return
	case params["oauth_verifier"] == "":
		x.problem(http.StatusBadRequest, "parameter_absent")
		return
	case subtle.ConstantTimeCompare([]byte(params["oauth_verifier"]), []byte(rt.verifier)) != 1:
		x.problem(http.StatusUnauthorized, "verifier_invalid")
		return
	}
	at, as := o1Random(), o1Random()
	s.mu.Lock()
	s.access[at] = &o1AccessToken{secret: as, userID: rt.userID}
	s.mu.Unlock()
	u, _ := s.user(rt.userID)
	x.form(url.Values{"oauth_token": {at}, "oauth_token_secret": {as}, "user_id": {u.ID}, "screen_name": {u.Username}})
}

func (s *OAuth1Server) handleAPI(x *o1Exchange) {
	if x.r.URL.Path == OAuth1PathInvalidate && !x.onlyPost() {
		return
	}
	params, status, problem := s.verify(x, func(token string) (string, string, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if at := s.access[token]; at != nil {
			return at.secret, at.userID, true
		}
		return "", "", false
	})
	if problem != "" {
		x.problem(status, problem)
		return
	}
	token := params["oauth_token"]
	s.mu.Lock()
	at := s.access[token]
	s.mu.Unlock()
	if at == nil { // revoked between the check and now
		x.problem(http.StatusUnauthorized, "token_rejected")
		return
	}
	u, _ := s.user(at.userID)
	switch x.r.URL.Path {
	case OAuth1PathInvalidate:
		s.mu.Lock()
		delete(s.access, token)
		s.mu.Unlock()
		x.json(map[string]string{"access_token": token})
	case OAuth1PathWhoami:
		x.json(u)
	case OAuth1PathEcho:
		q := x.r.URL.Query()
		var form url.Values
		if o1IsForm(x.r) {
			form, _ = url.ParseQuery(string(x.body))
		}
		x.json(map[string]any{
			"method": x.r.Method, "path": x.r.URL.Path, "query": q, "form": form,
			"content_type": x.r.Header.Get("Content-Type"), "user_id": u.ID,
		})
	case OAuth1PathVerifyCredentials:
		out := map[string]any{
			"id": o1Number(u.ID), "id_str": u.ID, "name": u.Name, "screen_name": u.Username,
			"profile_image_url_https": u.AvatarURL,
		}
		// X returns the email only when asked and when it is verified.
		if x.r.URL.Query().Get("include_email") == "true" && u.EmailVerified && u.Email != "" {
			out["email"] = u.Email
		}
		x.json(out)
	case JiraPathMyself:
		base := o1Origin(x.r)
		out := map[string]any{
			"self": base + "/rest/api/2/user?username=" + url.QueryEscape(u.Username),
			"key":  "JIRAUSER" + u.ID, "name": u.Username, "emailAddress": u.Email,
			"displayName": u.Name, "active": true, "timeZone": "UTC",
		}
		if u.AvatarURL != "" {
			out["avatarUrls"] = map[string]string{"48x48": u.AvatarURL, "24x24": u.AvatarURL}
		}
		x.json(out)
	}
}

func o1Number(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

// verify checks the request's OAuth protocol parameters and signature.
// secretFor returns the secret (and user) of the token the request
// presents, and whether that token is acceptable here. It returns the
// protocol parameters, or an HTTP status and oauth_problem.
func (s *OAuth1Server) verify(x *o1Exchange, secretFor func(token string) (secret, userID string, ok bool)) (map[string]string, int, string) {
	oauth, all, err := o1Collect(x.r, x.body)
	if err != nil {
		return nil, http.StatusBadRequest, "parameter_rejected"
	}
	for _, p := range []string{"oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"} {
		if oauth[p] == "" {
			return nil, http.StatusBadRequest, "parameter_absent"
		}
	}
	if subtle.ConstantTimeCompare([]byte(oauth["oauth_consumer_key"]), []byte(s.cfg.ConsumerKey)) != 1 {
		return nil, http.StatusUnauthorized, "consumer_key_unknown"
	}
	if oauth["oauth_signature_method"] != s.cfg.SignatureMethod {
		return nil, http.StatusBadRequest, "signature_method_rejected"
	}
	if v, ok := oauth["oauth_version"]; ok && v != "1.0" {
		return nil, http.StatusBadRequest, "version_rejected"
	}
	ts, err := strconv.ParseInt(oauth["oauth_timestamp"], 10, 64)
	now := s.now()
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > s.cfg.TimestampWindow {
		return nil, http.StatusUnauthorized, "timestamp_refused"
	}
	token := oauth["oauth_token"]
	tokenSecret, _, ok := secretFor(token)
	if !ok {
		if token == "" {
			return nil, http.StatusBadRequest, "parameter_absent"
		}
		return nil, http.StatusUnauthorized, "token_rejected"
	}
	base := o1SignatureBase(x.r.Method, o1BaseURI(x.r), all)
	sig, err := base64.StdEncoding.DecodeString(oauth["oauth_signature"])
	if err != nil || !s.signatureValid(base, tokenSecret, sig) {
		return nil, http.StatusUnauthorized, "signature_invalid"
	}
	// Nonces are remembered only for correctly signed requests, so a
	// forged request cannot burn a nonce.
	nonceKey := oauth["oauth_timestamp"] + "\x00" + oauth["oauth_nonce"] + "\x00" + token
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, at := range s.nonces {
		if now.Sub(at) > 2*s.cfg.TimestampWindow {
			delete(s.nonces, k)
		}
	}
	if _, used := s.nonces[nonceKey]; used {
		return nil, http.StatusUnauthorized, "nonce_used"
	}
	s.nonces[nonceKey] = now
	return oauth, 0, ""
}

func (s *OAuth1Server) signatureValid(base, tokenSecret string, sig []byte) bool {
	switch s.cfg.SignatureMethod {
	case "RSA-SHA1":
		digest := sha1.Sum([]byte(base))
		return rsa.VerifyPKCS1v15(s.cfg.RSAPublicKey, crypto.SHA1, digest[:], sig) == nil
	default:
		mac := hmac.New(sha1.New, []byte(o1PercentEncode(s.cfg.ConsumerSecret)+"&"+o1PercentEncode(tokenSecret)))
		mac.Write([]byte(base))
		return hmac.Equal(mac.Sum(nil), sig)
	}
}

// o1Pair is one request parameter.
type o1Pair struct{ k, v string }

func o1IsForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// o1Collect gathers the request parameters of RFC 5849 section 3.4.1.3.1:
// the query, a form body, and the Authorization header's protocol
// parameters (without realm). oauth holds the protocol parameters from
// the one place they were sent: the header if it has them, else the body,
// else the query. all excludes oauth_signature.
func o1Collect(r *http.Request, body []byte) (oauth map[string]string, all []o1Pair, err error) {
	add := func(v url.Values) {
		for k, vs := range v {
			for _, x := range vs {
				all = append(all, o1Pair{k, x})
			}
		}
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, err
	}
	add(query)
	var form url.Values
	if o1IsForm(r) {
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, nil, err
		}
		add(form)
	}
	oauth = map[string]string{}
	if h := r.Header.Get("Authorization"); len(h) > 6 && strings.EqualFold(h[:6], "OAuth ") {
		for part := range strings.SplitSeq(h[6:], ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
				return nil, nil, fmt.Errorf("malformed Authorization header")
			}
			if k, err = url.PathUnescape(k); err != nil {
				return nil, nil, err
			}
			if v, err = url.PathUnescape(v[1 : len(v)-1]); err != nil {
				return nil, nil, err
			}
			if k == "realm" {
				continue
			}
			if _, dup := oauth[k]; dup {
				return nil, nil, fmt.Errorf("duplicate parameter %s", k)
			}
			oauth[k] = v
			all = append(all, o1Pair{k, v})
		}
	} else {
		src := form
		if src.Get("oauth_signature") == "" {
			src = query
		}
		for k, vs := range src {
			if strings.HasPrefix(k, "oauth_") && len(vs) > 0 {
				oauth[k] = vs[0]
			}
		}
	}
	// oauth_signature is not part of the base string.
	removed := false
	all = slices.DeleteFunc(all, func(p o1Pair) bool {
		if p.k == "oauth_signature" && !removed {
			removed = true
			return true
		}
		return false
	})
	return oauth, all, nil
}

// o1BaseURI is the base string URI of RFC 5849 section 3.4.1.2: scheme and
// host in lower case, the default port left out, the path, no query.
func o1BaseURI(r *http.Request) string {
	return o1Origin(r) + r.URL.EscapedPath()
}

func o1Origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if h, port, err := net.SplitHostPort(host); err == nil &&
		(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	return scheme + "://" + host
}

// o1SignatureBase is the signature base string of RFC 5849 section
// 3.4.1.1: the method, the base string URI and the normalized parameters
// (section 3.4.1.3.2: encoded, sorted by name then value, joined).
func o1SignatureBase(method, baseURI string, params []o1Pair) string {
	enc := make([]o1Pair, len(params))
	for i, p := range params {
		enc[i] = o1Pair{o1PercentEncode(p.k), o1PercentEncode(p.v)}
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].k != enc[j].k {
			return enc[i].k < enc[j].k
		}
		return enc[i].v < enc[j].v
	})
	var norm strings.Builder
	for i, p := range enc {
		if i > 0 {
			norm.WriteByte('&')
		}
		norm.WriteString(p.k)
		norm.WriteByte('=')
		norm.WriteString(p.v)
	}
	return strings.ToUpper(method) + "&" + o1PercentEncode(baseURI) + "&" + o1PercentEncode(norm.String())
}

// o1PercentEncode is the percent-encoding of RFC 5849 section 3.6: every
// byte except the unreserved characters ALPHA, DIGIT, "-", ".", "_" and
// "~" becomes %XX with upper-case hex digits.
func o1PercentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
