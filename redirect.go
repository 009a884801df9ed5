package ginoauth

import (
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

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
	scheme, host := "http", c.Request.Host
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
	path := b.mountedAuthorized
	if path == "" {
		path = b.authorizedPath
	}
	return scheme + "://" + host + path
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

// afterLoginURL is where to go once the login is done.
func (b *Blueprint) afterLoginURL(next string) string {
	if next != "" && safeNext(next) {
		return next
	}
	return b.cfg.AfterLogin
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Login failed</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
a{color:#0b5fff}code{background:#f2f2f2;padding:0 .25rem}</style></head>
<body><h1>Login failed</h1><p>{{.Message}}</p><p><small>Error: <code>{{.Kind}}</code></small></p>
{{if .Retry}}<p><a href="{{.Retry}}">Try again</a></p>{{end}}</body></html>
`))

// fail ends a login with err: the error hook first, then FailureURL or the
// default page. It never shows the cause's text, which may contain
// provider-controlled data, only the kind and a fixed message.
func (b *Blueprint) fail(c *gin.Context, err *Error) {
	if err.Provider == "" {
		err.Provider = b.name
	}
	_ = c.Error(err) // for gin's error logger and the app's middleware
	// Save what the callback changed (a consumed login state). Best effort:
	// the original error is the one to report.
	if s, serr := session(c, b.cfg.SessionName); serr == nil {
		_ = s.Save()
	}
	if b.logger != nil {
		b.logger.Debug("ginoauth: login failed", "provider", b.name, "kind", string(err.Kind), "status", err.Status())
	}
	if h := b.hooks.Error; h != nil {
		h(c, b, err)
		if takenOver(c) {
			return
		}
	}
	if b.cfg.FailureURL != "" {
		u := b.cfg.FailureURL
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		c.Redirect(http.StatusFound, u+sep+"error="+url.QueryEscape(string(err.Kind)))
		c.Abort()
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Status(err.Status())
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = errorPage.Execute(c.Writer, map[string]string{
		"Message": err.Message(),
		"Kind":    string(err.Kind),
		"Retry":   b.mountedLogin,
	})
	c.Abort()
}
