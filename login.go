package ginoauth

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"
)

// loginHandler is the login route's handler.
func (b *Blueprint) loginHandler() gin.HandlerFunc {
	return func(c *gin.Context) {
		dedupeCookies(c)
		if b.cfg.LoginPOSTOnly {
			if c.Request.Method != http.MethodPost {
				c.Header("Allow", http.MethodPost)
				c.AbortWithStatus(http.StatusMethodNotAllowed)
				return
			}
			if err := b.origins.Check(c.Request); err != nil {
				b.fail(c, &Error{Kind: KindCrossOrigin, Err: err})
				return
			}
		}
		b.flow.login(c, b)
	}
}

// StartLogin begins a login for c's session and returns the provider's
// authorization URL instead of redirecting to it, for single-page apps that
// navigate themselves. next is where the browser goes after the login (only
// same-site relative paths are kept). The BeforeLogin hook does not run.
func (b *Blueprint) StartLogin(c *gin.Context, next string) (string, error) {
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		return "", &Error{Kind: KindConfig, Provider: b.name, Err: err}
	}
	if _, ok := b.flow.(oauth2Flow); !ok {
		return "", fmt.Errorf("ginoauth: %s: StartLogin is for OAuth 2 blueprints", b.name)
	}
	authURL, err := b.beginOAuth2(c, s, next)
	if err != nil {
		return "", err
	}
	return authURL, nil
}

func (b *Blueprint) beginOAuth2(c *gin.Context, s sessions.Session, next string) (string, error) {
	now := b.cfg.Now()
	p := pendingLogin{State: rand.Text(), Created: now.Unix()}
	if next != "" && !b.cfg.DisableNext && safeNext(next) {
		p.Next = next
	}
	var buf [4]oauth2.AuthCodeOption
	opts := buf[:0]
	if !b.provider.DisablePKCE {
		p.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(p.Verifier))
	}
	if b.provider.OpenID {
		p.Nonce = rand.Text()
		opts = append(opts, oauth2.SetAuthURLParam("nonce", p.Nonce))
	}
	for k, v := range b.cfg.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	cfg := b.oauthFor(c)
	authURL := cfg.AuthCodeURL(p.State, opts...)
	if sep := b.provider.ScopeSeparator; sep != "" && sep != " " && len(cfg.Scopes) > 1 {
		authURL = rewriteScope(authURL, strings.Join(cfg.Scopes, sep))
	}
	if err := b.addPendingLogin(s, p, now); err != nil {
		return "", &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	}
	return authURL, nil
}

func rewriteScope(authURL, scope string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return authURL
	}
	q := u.Query()
	q.Set("scope", scope)
	u.RawQuery = q.Encode()
	return u.String()
}

// oauthFor is the oauth2.Config for this request (its callback URL).
func (b *Blueprint) oauthFor(c *gin.Context) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     b.oauth.ClientID,
		ClientSecret: b.oauth.ClientSecret,
		Endpoint:     b.oauth.Endpoint,
		Scopes:       b.oauth.Scopes,
		RedirectURL:  b.callbackURL(c),
	}
}

func (oauth2Flow) login(c *gin.Context, b *Blueprint) {
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		b.fail(c, &Error{Kind: KindConfig, Err: err})
		return
	}
	var next string
	if c.Request.URL.RawQuery != "" { // c.Query would make a map for none
		next = c.Query("next")
	}
	if next == "" && c.Request.Method == http.MethodPost {
		next = c.PostForm("next")
	}
	authURL, err := b.beginOAuth2(c, s, next)
	if err != nil {
		ge, _ := asError(err)
		b.fail(c, ge)
		return
	}
	if b.runBeforeLogin(c, authURL) {
		return
	}
	b.logDebug("ginoauth: login: redirecting to provider")
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, authURL)
}

// runBeforeLogin runs the BeforeLogin hook and saves what it changed in
// the session. It returns true when the request is finished (the hook took
// over, or failed and the error was handled).
func (b *Blueprint) runBeforeLogin(c *gin.Context, authURL string) bool {
	h := b.hooks.BeforeLogin
	if h == nil {
		return false
	}
	err := h(c, b, authURL)
	if takenOver(c) {
		return true
	}
	if err != nil {
		b.fail(c, &Error{Kind: KindHookFailed, Err: err})
		return true
	}
	if s, serr := session(c, b.cfg.SessionName); serr == nil {
		if err := s.Save(); err != nil { // a no-op when the hook changed nothing
			b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
			return true
		}
	}
	return false
}

// takenOver reports whether a hook wrote a response or aborted the request.
func takenOver(c *gin.Context) bool {
	return c.IsAborted() || c.Writer.Written()
}

// safeNext reports whether next is a same-site relative path that is safe to
// redirect to after login: it starts with a single "/", has no scheme or
// host, no backslash, no control characters, and still means the same thing
// after percent-decoding. "//evil.com", "/\evil.com", "https://evil.com" and
// their encoded forms are refused.
func safeNext(next string) bool {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return false
	}
	// Check the raw form and every decoding of it, so an encoded "//" or
	// "\" cannot survive one decode step in a browser or proxy.
	s := next
	for range 3 {
		if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
			return false
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '\\' || c < 0x20 || c == 0x7f {
				return false
			}
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
			return false
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return false
		}
		if d == s {
			return true
		}
		if d == "" || d[0] != '/' {
			return false
		}
		s = d
	}
	return false
}

// callbackURL is the absolute URL of the authorized route for this request.
func (b *Blueprint) callbackURL(c *gin.Context) string {
	if b.cfg.RedirectURL != "" {
		return b.cfg.RedirectURL
	}
	path := b.mountedAuthorized
	if path == "" {
		path = b.authorizedPath
	}
	scheme, host := b.requestOrigin(c)
	return b.callbackJoin.join(scheme, "://", host, path)
}

// requestOrigin is the scheme and host the browser used for this request,
// from the connection or, behind a trusted proxy, its forwarding headers.
func (b *Blueprint) requestOrigin(c *gin.Context) (scheme, host string) {
	scheme, host = "http", c.Request.Host
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if b.trustedPeer(c.Request) {
		if p, h := forwarded(c.Request); p != "" || h != "" {
			if p == "http" || p == "https" {
				scheme = p
			}
			if h != "" {
				host = h
			}
		}
	}
	return scheme, host
}

// lastJoin is a+b+c+d, remembered for the parts it was last asked for: the
// callback URL and the cookie names' prefix are the same for almost every
// request, and are then made once rather than once per request.
type lastJoin struct{ p atomic.Pointer[joined] }

type joined struct{ a, b, c, d, s string }

func (l *lastJoin) join(a, b, c, d string) string {
	if j := l.p.Load(); j != nil && j.a == a && j.b == b && j.c == c && j.d == d {
		return j.s
	}
	s := a + b + c + d
	l.p.Store(&joined{a, b, c, d, s})
	return s
}

func (b *Blueprint) trustedPeer(r *http.Request) bool {
	if len(b.proxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range b.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// forwarded reads the proxy's view of scheme and host: RFC 7239 Forwarded
// first, then X-Forwarded-Proto / X-Forwarded-Host. With several proxies the
// entry nearest the client is the first one.
func forwarded(r *http.Request) (proto, host string) {
	if f := r.Header.Get("Forwarded"); f != "" {
		first, _, _ := strings.Cut(f, ",")
		for pair := range strings.SplitSeq(first, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok {
				continue
			}
			v = strings.Trim(v, `"`)
			switch strings.ToLower(k) {
			case "proto":
				proto = strings.ToLower(v)
			case "host":
				host = v
			}
		}
		if proto != "" || host != "" {
			return proto, validHost(host)
		}
	}
	proto, _, _ = strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	host, _, _ = strings.Cut(r.Header.Get("X-Forwarded-Host"), ",")
	return strings.ToLower(strings.TrimSpace(proto)), validHost(strings.TrimSpace(host))
}

func validHost(h string) string {
	if h == "" || strings.ContainsAny(h, "/\\@?# ") {
		return ""
	}
	return h
}
