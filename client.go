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
	"golang.org/x/oauth2"
)

// tokenSource is the token behind one API client: loaded once, refreshed
// when expired, saved through the storage.
type tokenSource struct {
	b    *Blueprint
	load func(ctx context.Context) (*Token, error)
	swap func(ctx context.Context, old, new *Token) (*Token, error)
	// drop deletes the stored token once the provider refused to refresh
	// it, so Authorized turns false and Required sends the user to log in.
	// Optional.
	drop func(ctx context.Context) error

	mu  sync.Mutex
	cur *Token
}

func (s *tokenSource) token(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		t, err := s.load(ctx)
		if err != nil {
			return nil, err
		}
		s.cur = t
	}
	if s.cur.validAt(s.b.cfg.now()) {
		return s.cur, nil
	}
	return s.refreshFrom(ctx, s.cur)
}

// replace refreshes bad, a token the provider refused although it looked
// valid, unless another request already replaced it.
func (s *tokenSource) replace(ctx context.Context, bad *Token) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.cur.AccessToken != bad.AccessToken {
		return s.cur, nil
	}
	return s.refreshFrom(ctx, bad)
}

// refreshFrom replaces old with a refreshed token. When the provider
// refuses, the stored token is dropped (if it is still old). s.mu is held.
func (s *tokenSource) refreshFrom(ctx context.Context, old *Token) (*Token, error) {
	s.cur = old
	t, err := s.b.refresh(ctx, old, s.load, s.swap)
	if err != nil {
		if ge, ok := AsError(err); ok && ge.Kind == KindReauthRequired && s.drop != nil {
			s.dropIfUnchanged(ctx)
		}
		return nil, err
	}
	s.cur = t
	return t, nil
}

// dropIfUnchanged deletes the stored token if it is still the dead one (an
// instance that saved a newer token in the meantime keeps it).
func (s *tokenSource) dropIfUnchanged(ctx context.Context) {
	cur, err := s.load(ctx)
	if err != nil || cur.AccessToken != s.cur.AccessToken {
		return
	}
	if err := s.drop(ctx); err != nil {
		s.b.logDebug("ginoauth: could not delete a dead token", "kind", string(KindStorageFailed))
	}
}

// Client returns an *http.Client for the provider's API that carries the
// user's token. Relative URLs ("user", "v1/me") are resolved against the
// provider's API base URL. When the token expires, the client refreshes it
// once, however many requests need it at the same moment, saves the new
// token through the storage and runs the TokenRefreshed hook. A token that
// cannot be refreshed makes requests fail with an error matching
// ErrReauthRequired.
//
// The client belongs to the request: do not use it after the handler
// returns (use ClientFor for background work). It returns ErrNoToken when
// the user has no token.
func (b *Blueprint) Client(c *gin.Context) (*http.Client, error) {
	t, err := b.Token(c)
	if err != nil {
		return nil, err
	}
	return b.newClient(b.requestSource(c, t)), nil
}

// requestSource is the token source for a request: the storage, or the
// pending token while the Authorized hook runs.
func (b *Blueprint) requestSource(c *gin.Context, t *Token) *tokenSource {
	src := &tokenSource{b: b, cur: t}
	if v, ok := c.Get(pendingTokenKey{b}); ok && v != nil {
		// The hook decides whether the token is stored: only update the
		// pending copy.
		src.load = func(context.Context) (*Token, error) { return b.Token(c) }
		src.swap = func(_ context.Context, _, nt *Token) (*Token, error) {
			c.Set(pendingTokenKey{b}, nt)
			return nt, nil
		}
		return src
	}
	// The refresh path must see what other requests and instances saved,
	// not this request's cached copy.
	src.load = func(context.Context) (*Token, error) { return b.storedToken(c) }
	src.drop = func(context.Context) error { return b.DeleteToken(c) }
	if sw, ok := b.storage.(TokenSwapper); ok {
		src.swap = func(_ context.Context, old, nt *Token) (*Token, error) {
			c.Set(loadedTokenKey{b}, nil)
			cur, err := sw.SwapToken(c, b.name, old, nt)
			if err == nil {
				c.Set(loadedTokenKey{b}, cur)
			}
			return cur, err
		}
	} else {
		src.swap = func(_ context.Context, _, nt *Token) (*Token, error) {
			return nt, b.SetToken(c, nt)
		}
	}
	return src
}

// ClientFor is Client for work outside a request, such as a background job
// acting for a user: ref loads and saves that user's token (the GORM
// backend's TokenRef, for example). Refreshed tokens are saved through ref.
func (b *Blueprint) ClientFor(ctx context.Context, ref TokenRef) *http.Client {
	return b.newClient(&tokenSource{b: b, load: ref.Load, swap: ref.Swap})
}

// Refresh refreshes the user's token now, whether or not it has expired,
// saves it and returns it (Flask-Dance has no such call; its issue #105).
func (b *Blueprint) Refresh(c *gin.Context) (*Token, error) {
	t, err := b.Token(c)
	if err != nil {
		return nil, err
	}
	src := b.requestSource(c, t)
	return b.refreshNow(c.Request.Context(), t, src.load, src.swap)
}

func (b *Blueprint) newClient(src *tokenSource) *http.Client {
	base := b.cfg.HTTPClient
	return &http.Client{
		Transport:     b.flow.transport(b, src, b.baseTransport()),
		CheckRedirect: base.CheckRedirect,
		Jar:           base.Jar,
		Timeout:       base.Timeout,
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
}

func (b *Blueprint) oauth2Transport(src *tokenSource, base http.RoundTripper) http.RoundTripper {
	return &apiTransport{b: b, src: src, base: base}
}

// resolve makes a relative request URL absolute against the API base.
func (b *Blueprint) resolve(u *url.URL) (*url.URL, error) {
	if u.IsAbs() {
		return u, nil
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

// RoundTrip sends req with the user's token. When the provider answers 401
// although the token looked valid (it was revoked or expired early), a
// refreshable token is refreshed once and the request sent again, if its
// body can be replayed.
func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u, err := t.b.resolve(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	tok, err := t.src.token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.send(req, u, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !t.b.refreshable(tok) ||
		req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return resp, err
	}
	nt, rerr := t.src.replace(req.Context(), tok)
	if rerr != nil || nt.AccessToken == tok.AccessToken {
		return resp, nil // the provider's 401 stands
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
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

// send sends one authorized copy of req to u.
func (t *apiTransport) send(req *http.Request, u *url.URL, tok *Token) (*http.Response, error) {
	r2 := req.Clone(req.Context())
	uu := *u // never share the caller's URL with AuthorizeRequest
	r2.URL = &uu
	r2.Host = ""
	for k, v := range t.b.provider.Header {
		if r2.Header.Get(k) == "" {
			r2.Header[k] = v
		}
	}
	// Never carry the token across a redirect to another host.
	if req.Response != nil && req.Response.Request != nil && req.Response.Request.URL.Host != u.Host {
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

// refreshed remembers recent refreshes, so that a request that loaded the
// old token just after another request refreshed it uses the new token
// instead of spending the old refresh token a second time (providers that
// rotate refresh tokens would reject it and log the user out).
type refreshed struct {
	t  *Token
	at time.Time
}

const recentRefreshTTL = time.Minute

var errNotRefreshable = errors.New("no refresh token")

func (b *Blueprint) refreshKey(old *Token) string {
	k := old.RefreshToken
	if k == "" {
		k = old.AccessToken
	}
	return b.name + "\x00" + k
}

// refresh returns a valid token in place of old: a token another request or
// instance already saved, a recent in-process refresh, or a new one from the
// provider. Concurrent callers with the same old token share one provider
// request.
func (b *Blueprint) refresh(ctx context.Context, old *Token, load func(context.Context) (*Token, error), swap func(context.Context, *Token, *Token) (*Token, error)) (*Token, error) {
	key := b.refreshKey(old)
	if v, ok := b.recent.Load(key); ok {
		if r := v.(refreshed); b.cfg.now().Sub(r.at) < recentRefreshTTL && r.t.validAt(b.cfg.now()) {
			// Save it for this user too (their session may still hold old).
			return b.saveRefreshed(ctx, old, r.t, swap, false)
		}
	}
	return b.refreshNow(ctx, old, load, swap)
}

func (b *Blueprint) refreshNow(ctx context.Context, old *Token, load func(context.Context) (*Token, error), swap func(context.Context, *Token, *Token) (*Token, error)) (*Token, error) {
	key := b.refreshKey(old)
	v, err, _ := b.refreshes.Do(key, func() (any, error) {
		// Another request or instance may have refreshed and saved already.
		if cur, err := load(ctx); err == nil && cur.AccessToken != old.AccessToken {
			if cur.validAt(b.cfg.now()) {
				return cur, nil
			}
			// That token expired too. With rotating refresh tokens old's
			// refresh token is spent: refresh the stored token instead.
			old = cur
		}
		if !b.refreshable(old) {
			return nil, &Error{Kind: KindReauthRequired, Provider: b.name, Err: errNotRefreshable}
		}
		rf, ok := b.flow.(refresher)
		if !ok {
			return nil, &Error{Kind: KindReauthRequired, Provider: b.name, Err: errNotRefreshable}
		}
		nt, err := rf.refreshToken(ctx, b, old)
		if err != nil {
			ge, _ := AsError(err)
			if ge != nil && ge.Kind == KindReauthRequired {
				// The refresh token was spent: by another instance, if the
				// storage holds, or is about to hold, a newer token.
				if cur := b.awaitNewer(ctx, old, load); cur != nil {
					return cur, nil
				}
			}
			b.logDebug("ginoauth: refresh failed", "kind", kindOf(err))
			return nil, err
		}
		b.recent.Store(key, refreshed{t: nt, at: b.cfg.now()})
		b.pruneRecent()
		return b.saveRefreshed(ctx, old, nt, swap, true)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Token), nil
}

// awaitNewer polls the storage for a valid token other than old, for a
// short while: an instance that won a refresh race may not have committed
// its token yet when the provider turns the loser away.
func (b *Blueprint) awaitNewer(ctx context.Context, old *Token, load func(context.Context) (*Token, error)) *Token {
	wait := 20 * time.Millisecond
	deadline := time.Now().Add(min(b.cfg.Timeout, maxAwaitNewer))
	for {
		if cur, err := load(ctx); err == nil && cur.AccessToken != old.AccessToken && cur.validAt(b.cfg.now()) {
			return cur
		}
		if time.Now().Add(wait).After(deadline) {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(wait*2, 400*time.Millisecond)
	}
}

// maxAwaitNewer bounds awaitNewer.
const maxAwaitNewer = 2 * time.Second

func kindOf(err error) string {
	if ge, ok := AsError(err); ok {
		return string(ge.Kind)
	}
	return "unknown"
}

func (b *Blueprint) saveRefreshed(ctx context.Context, old, nt *Token, swap func(context.Context, *Token, *Token) (*Token, error), fresh bool) (*Token, error) {
	saved, err := swap(ctx, old, nt)
	if err != nil {
		return nil, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	}
	if saved == nil {
		saved = nt
	}
	if fresh && saved.AccessToken == nt.AccessToken {
		b.logDebug("ginoauth: token refreshed")
		b.runTokenRefreshed(ctx, nt)
	}
	return saved, nil
}

func (b *Blueprint) pruneRecent() {
	// Scan at most twice per TTL, not on every refresh: the map holds one
	// entry per refresh of the last minute, which is many under load.
	now := b.cfg.now()
	last := b.lastPrune.Load()
	if now.UnixNano()-last < int64(recentRefreshTTL/2) || !b.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	b.recent.Range(func(k, v any) bool {
		if now.Sub(v.(refreshed).at) >= recentRefreshTTL {
			b.recent.Delete(k)
		}
		return true
	})
}

// refresher is implemented by flows whose tokens can be refreshed.
type refresher interface {
	refreshToken(ctx context.Context, b *Blueprint, old *Token) (*Token, error)
}

func (oauth2Flow) transport(b *Blueprint, src *tokenSource, base http.RoundTripper) http.RoundTripper {
	return b.oauth2Transport(src, base)
}

// refreshToken asks the provider for a new token with old's refresh token.
// The request runs on its own deadline, detached from the caller's
// cancellation, because its result is shared and saved.
func (oauth2Flow) refreshToken(ctx context.Context, b *Blueprint, old *Token) (*Token, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Timeout)
	defer cancel()
	cfg := &oauth2.Config{
		ClientID:     b.oauth.ClientID,
		ClientSecret: b.oauth.ClientSecret,
		Endpoint:     b.oauth.Endpoint,
		Scopes:       b.oauth.Scopes,
	}
	if err := b.freshSecret(ctx, cfg); err != nil {
		return nil, &Error{Kind: KindConfig, Provider: b.name, Err: err}
	}
	capture := &captureTransport{base: b.baseTransport()}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: capture, Timeout: b.cfg.HTTPClient.Timeout})
	ctx = WithClientID(ctx, b.oauth.ClientID)
	ot, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken}).Token()
	if err != nil {
		ge := tokenEndpointError(KindRefreshFailed, err)
		ge.Provider = b.name
		if ge.Code == "invalid_grant" || ge.Code == "unauthorized_client" {
			ge.Kind = KindReauthRequired
		}
		return nil, ge
	}
	nt := tokenFromResponse(ot, capture.body)
	// Keep what the refresh response does not repeat.
	if nt.RefreshToken == "" {
		nt.RefreshToken = old.RefreshToken
	}
	if nt.IDToken == "" {
		nt.IDToken = old.IDToken
	} else if nt.IDToken != old.IDToken && b.provider.VerifyIDToken != nil {
		// OpenID Connect Core 12.2: a refreshed ID token is verified like the
		// first one, for the same subject; it carries no new nonce.
		claims, err := b.provider.VerifyIDToken(ctx, nt.IDToken, "")
		if err != nil {
			return nil, &Error{Kind: KindIDTokenInvalid, Provider: b.name, Err: err}
		}
		if oldClaims, ok := old.Extra["id_token_claims"].(map[string]any); ok && claims != nil && oldClaims["sub"] != claims["sub"] {
			return nil, &Error{Kind: KindIDTokenInvalid, Provider: b.name, Err: errors.New("refreshed ID token is for another subject")}
		}
		if nt.Extra == nil {
			nt.Extra = make(map[string]any, len(old.Extra)+1)
		}
		nt.Extra["id_token_claims"] = claims
	}
	if nt.Scopes == nil {
		nt.Scopes = old.Scopes
	}
	if nt.TokenType == "" {
		nt.TokenType = old.TokenType
	}
	for k, v := range old.Extra {
		if _, ok := nt.Extra[k]; !ok {
			if nt.Extra == nil {
				nt.Extra = make(map[string]any, len(old.Extra))
			}
			nt.Extra[k] = v
		}
	}
	return nt, nil
}
