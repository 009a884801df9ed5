package ginoauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Client returns an *http.Client for the provider's API that carries the
// user's token. Relative URLs ("user", "v1/me") are resolved against the
// provider's API base URL. The token goes only to that origin and to
// Provider.APIOrigins: a request to any other origin fails.
//
// When the token has expired, the client refreshes it first, once however
// many requests and app instances need it at the same moment, saves the new
// token through the storage and runs the TokenRefreshed hook. When the API
// answers 401 (or 403 with error="invalid_token") the token was revoked or
// expired early: the client refreshes it and sends the request once more.
// A token that cannot be refreshed is deleted from the storage, so
// Authorized turns false and Required sends the user to log in, and the
// request fails with an error matching KindReauthRequired.
//
// Config.HTTPClient's Timeout bounds each request, the reading of its
// answer's body included. The client belongs to the request: do not use it after the handler returns
// (use ClientFor for background work). It returns ErrNoToken when the
// user has no token.
func (b *Blueprint) Client(c *gin.Context) (*http.Client, error) {
	src, err := b.source(c)
	if err != nil {
		return nil, err
	}
	if _, err := src.current(reqContext(c)); err != nil {
		return nil, err
	}
	return b.newClient(src), nil
}

// ClientFor is Client for work outside a request, such as a background job
// acting for a user: ref is that user's token (the GORM backend's Ref, for
// example). Refreshes go through the same sequence as in requests.
func (b *Blueprint) ClientFor(ctx context.Context, ref TokenRef) *http.Client {
	return b.newClient(&tokenSource{b: b, ref: ref})
}

// Refresh refreshes the user's token now, whether or not it has expired,
// saves it and returns it (Flask-Dance has no such call; its issue #105).
// When another request refreshed the token meanwhile, it returns that
// token. A token the provider refuses to refresh is deleted, and the error
// matches KindReauthRequired.
func (b *Blueprint) Refresh(c *gin.Context) (*Token, error) {
	src, err := b.source(c)
	if err != nil {
		return nil, err
	}
	ctx := reqContext(c)
	src.mu.Lock()
	defer src.mu.Unlock()
	t, err := src.currentLocked(ctx)
	if err != nil {
		return nil, err
	}
	return src.refreshLocked(ctx, t, !b.valid(t))
}

func (b *Blueprint) newClient(src *tokenSource) *http.Client {
	return b.apiClient(src, b.cfg.HTTPClient.Timeout)
}

// apiClient is newClient with each request bounded by timeout (0: by its
// context only). It is http.Client's Timeout: a request past it returns at
// once, while a refresh inside it goes on to its end, detached.
func (b *Blueprint) apiClient(src *tokenSource, timeout time.Duration) *http.Client {
	c := new(http.Client)
	b.initAPIClient(c, src, timeout)
	return c
}

// initAPIClient sets c up as apiClient's client.
func (b *Blueprint) initAPIClient(c *http.Client, src *tokenSource, timeout time.Duration) {
	base := b.cfg.HTTPClient
	*c = http.Client{
		Transport:     b.flow.transport(b, src, b.baseTransport()),
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       timeout,
	}
}

// apiTransport authorizes API requests and resolves relative URLs.
type apiTransport struct {
	b    *Blueprint
	src  *tokenSource
	base http.RoundTripper
	// sign sets the credentials on the request; nil means the provider's
	// AuthorizeRequest or a Bearer header.
	sign func(req *http.Request, t *Token) error
	// rejected reports whether an answer says the token is dead.
	rejected func(resp *http.Response) bool
}

func (oauth2Flow) transport(b *Blueprint, src *tokenSource, base http.RoundTripper) http.RoundTripper {
	return &apiTransport{b: b, src: src, base: base, rejected: b.rejected}
}

// resolve makes a relative request URL absolute against the API base.
func (b *Blueprint) resolve(u *url.URL) (*url.URL, error) {
	if u.IsAbs() {
		return u, nil
	}
	if u.Host != "" {
		// "//host/path" would resolve to another host than the API's.
		return nil, errors.New("ginoauth: " + b.name + ": a scheme-relative URL names another host; give an absolute URL")
	}
	if b.apiBase == nil {
		return nil, errors.New("ginoauth: " + b.name + ": relative URL but the provider has no APIBaseURL")
	}
	// RFC 3986 joining against a base that ends in "/", with a leading "/"
	// on the reference treated as relative to the base path, so
	// "/user" and "user" both stay under https://host/api/v3/.
	ref := *u
	ref.Path = strings.TrimPrefix(ref.Path, "/")
	if ref.RawPath != "" {
		ref.RawPath = strings.TrimPrefix(ref.RawPath, "/")
	}
	return b.apiBase.ResolveReference(&ref), nil
}

// RoundTrip sends req with the user's token. When the provider says the
// token is dead (see rejected), the token is refreshed once and the request
// sent again, if its body can be replayed; a token that cannot be
// refreshed ends the request with an error matching KindReauthRequired.
func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u, err := t.b.resolve(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if t.b.tokenOrigins != nil && !t.b.onAPIHost(u) && !t.b.tokenOrigins[origin(u)] && req.Response == nil {
		closeBody(req)
		return nil, errors.New("ginoauth: " + t.b.name + ": " + origin(u) + " is not the API's origin: the token goes only to APIBaseURL's origin and Provider.APIOrigins")
	}
	tok, err := t.src.token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, u, tok)
	if err != nil || !t.rejected(resp) || !t.sentToken(req, u) {
		return resp, err
	}
	nt, rerr := t.src.replace(req.Context(), tok)
	if rerr != nil {
		drain(resp)
		closeBody(req)
		return nil, rerr
	}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, nil // cannot replay: the caller sees the refusal and retries
	}
	drain(resp)
	r := req
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r = req.Clone(req.Context())
		r.Body = body
	}
	return t.send(r, u, nt)
}

// rejected reports whether resp says the access token is dead: a 401, or a
// 403 whose WWW-Authenticate says invalid_token (RFC 6750 section 3.1), or
// any 403 from a provider that answers so for revoked tokens.
func (b *Blueprint) rejected(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		return b.provider.ForbiddenMeansRevoked ||
			strings.Contains(resp.Header.Get("WWW-Authenticate"), `invalid_token`)
	}
	return false
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// sentToken reports whether a request to u carries the token: not after a
// redirect from another origin.
func (t *apiTransport) sentToken(req *http.Request, u *url.URL) bool {
	return !crossOriginRedirect(req, u)
}

// origin is u's scheme and host, lowercase, with the scheme's default port
// left out.
func origin(u *url.URL) string {
	host := strings.ToLower(u.Host)
	scheme := strings.ToLower(u.Scheme)
	if h, port, ok := strings.Cut(host, ":"); ok && (scheme == "https" && port == "443" || scheme == "http" && port == "80") && !strings.Contains(port, ":") {
		host = h
	}
	return scheme + "://" + host
}

// crossOriginRedirect reports whether req follows a redirect from another
// origin (scheme, host and port) than u's.
func crossOriginRedirect(req *http.Request, u *url.URL) bool {
	if req.Response == nil || req.Response.Request == nil {
		return false
	}
	return origin(req.Response.Request.URL) != origin(u)
}

// send sends one authorized copy of req to u.
func (t *apiTransport) send(req *http.Request, u *url.URL, tok *Token) (*http.Response, error) {
	// A copy of req with its own header and URL, the parts changed here
	// and by AuthorizeRequest: req.Clone would copy the URL once more.
	r2 := req.WithContext(req.Context())
	r2.Header = req.Header.Clone()
	if r2.Header == nil {
		r2.Header = make(http.Header)
	}
	uu := *u // never share the caller's URL with AuthorizeRequest
	r2.URL = &uu
	r2.Host = ""
	for k, v := range t.b.provider.Header {
		if r2.Header.Get(k) == "" {
			r2.Header[k] = v
		}
	}
	if !t.sentToken(req, u) {
		return t.base.RoundTrip(r2)
	}
	var err error
	switch {
	case t.sign != nil:
		err = t.sign(r2, tok)
	case t.b.provider.AuthorizeRequest != nil:
		err = t.b.provider.AuthorizeRequest(r2, tok)
	default:
		r2.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	if err != nil {
		closeBody(req)
		return nil, err
	}
	return t.base.RoundTrip(r2)
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}

// pendingRef is a token slot in memory: the new token while the Authorized
// hook runs, before the hook decides whether it is stored.
type pendingRef struct {
	mu sync.Mutex
	t  *Token
}

func (r *pendingRef) token() *Token {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t
}

func (r *pendingRef) Load(context.Context) (*Token, error) {
	if t := r.token(); t != nil {
		return t, nil
	}
	return nil, ErrNoToken
}

func (r *pendingRef) Swap(_ context.Context, old, new *Token) (*Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old != nil && !sameToken(r.t, old) {
		return r.t, nil
	}
	r.t = new
	return new, nil
}

func (b *Blueprint) baseTransport() http.RoundTripper {
	if t := b.cfg.HTTPClient.Transport; t != nil {
		return t
	}
	return http.DefaultTransport
}

// onAPIHost reports whether u has APIBaseURL's scheme and host as they are
// written: the usual request, whose origin needs no normalizing.
func (b *Blueprint) onAPIHost(u *url.URL) bool {
	return b.apiBase != nil && u.Scheme == b.apiBase.Scheme && u.Host == b.apiBase.Host
}
