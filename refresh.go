package ginoauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"

	"github.com/gin-gonic/gin"
)

var errNotRefreshable = errors.New("no refresh token")

// refresh is the one refresh sequence, for requests and background jobs
// alike. seen is the token the caller found expired or refused (dead), or
// wants refreshed early:
//
//	lock (in process, then the storage's RefreshLocker) → reload: if another
//	caller replaced seen with a usable token, use it → refresh at the
//	provider → Swap(old, new); on conflict use the winner's token → unlock
//
// It runs under a context detached from the caller's cancellation, bounded
// by the HTTP client's Timeout, so a client that disconnects mid-refresh
// never loses the rotated token. A refresh the provider refuses, or a dead
// token that cannot be refreshed, deletes the token (if it is still the one
// seen) and returns an error matching KindReauthRequired.
func (b *Blueprint) refresh(ctx context.Context, ref TokenRef, seen *Token, dead bool) (*Token, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout())
	defer cancel()
	key := b.lockKey(seen)
	unlock, err := b.locks.Lock(ctx, key)
	if err != nil {
		return nil, &Error{Kind: KindRefreshFailed, Provider: b.name, Err: err}
	}
	defer unlock()
	if l, ok := ref.(RefreshLocker); ok {
		unlockRef, err := l.LockRefresh(ctx, seen)
		if err != nil {
			return nil, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
		}
		defer unlockRef()
	}
	cur, err := ref.Load(ctx)
	switch {
	case errors.Is(err, ErrNoToken):
		return nil, ErrNoToken // deleted meanwhile (logout)
	case err != nil:
		return nil, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	case !sameToken(cur, seen) && b.valid(cur):
		return cur, nil // another request or instance refreshed it
	}
	if !sameToken(cur, seen) {
		key = b.lockKey(cur)
	}
	if nt, ok := b.unsaved.take(key); ok {
		// This process refreshed cur before, but could not save the new
		// token (a database outage): save it now instead of spending the
		// refresh token again.
		return b.saveRefreshed(ctx, ref, cur, nt, key)
	}
	if !dead && !b.refreshable(cur) {
		// An early refresh of a token that still works: keep it.
		return nil, &Error{Kind: KindReauthRequired, Provider: b.name, Err: errNotRefreshable}
	}
	nt, err := b.refreshAtProvider(ctx, cur)
	if errors.Is(err, KindReauthRequired) {
		// Drop the dead token, unless another writer replaced it.
		if got, serr := ref.Swap(ctx, cur, nil); serr == nil && got != nil && b.valid(got) {
			return got, nil
		}
		b.logDebug("ginoauth: token refused, dropped", "kind", string(KindReauthRequired))
		return nil, err
	}
	if err != nil {
		b.logDebug("ginoauth: refresh failed", "kind", kindOf(err))
		return nil, err
	}
	return b.saveRefreshed(ctx, ref, cur, nt, key)
}

// saveRefreshed swaps nt, refreshed from cur, into ref. A token that cannot
// be saved is kept in process memory, under cur's lock key, for the next
// refresh of cur.
func (b *Blueprint) saveRefreshed(ctx context.Context, ref TokenRef, cur, nt *Token, key string) (*Token, error) {
	got, err := ref.Swap(ctx, cur, nt)
	if err != nil {
		b.unsaved.put(key, nt, handoffTTL)
		return nil, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	}
	if got == nil {
		return nil, ErrNoToken // deleted meanwhile: the logout wins
	}
	if sameToken(got, nt) {
		b.logDebug("ginoauth: token refreshed")
		b.runTokenRefreshed(ctx, nt)
	}
	return got, nil
}

func (b *Blueprint) refreshAtProvider(ctx context.Context, old *Token) (*Token, error) {
	if !b.refreshable(old) {
		return nil, &Error{Kind: KindReauthRequired, Provider: b.name, Err: errNotRefreshable}
	}
	return b.flow.refresh(ctx, b, old)
}

// lockKey names the in-process refresh lock of t: every copy of one issued
// token shares it. It is a hash, so no token is kept as a map key.
func (b *Blueprint) lockKey(t *Token) string {
	k := t.RefreshToken
	if k == "" {
		k = t.AccessToken
	}
	sum := sha256.Sum256([]byte(k))
	return string(sum[:])
}

func kindOf(err error) string {
	if ge, ok := asError(err); ok {
		return string(ge.Kind)
	}
	return "unknown"
}

// tokenSource is one user's token behind an API client or a request: the
// storage's handle and the token last read or written through it. A request
// keeps one (so Required, Token and Client read the storage once); a
// background job makes its own.
type tokenSource struct {
	b   *Blueprint
	ref TokenRef

	mu     sync.Mutex
	loaded bool
	cur    *Token // nil: no token
}

// current returns the token, reading the storage the first time.
func (s *tokenSource) current(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.currentLocked(ctx)
}

func (s *tokenSource) currentLocked(ctx context.Context) (*Token, error) {
	if !s.loaded {
		if _, inMemory := s.ref.(memoryRef); ctx.Done() != nil && !inMemory {
			// Not interrupted when the client goes away: a database query
			// canceled halfway can leave its pooled connection failing the
			// next request's query (seen with pgx under the disconnect
			// storm). Bounded by the blueprint's timeout instead.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), s.b.timeout())
			defer cancel()
		}
		t, err := s.ref.Load(ctx)
		if err != nil && !errors.Is(err, ErrNoToken) {
			return nil, err
		}
		s.cur, s.loaded = t, true
	}
	if s.cur == nil {
		return nil, ErrNoToken
	}
	return s.cur, nil
}

// memoryRef is implemented by the token handles whose Load does no I/O
// (the session's, read with the session; a login's in progress): they need
// no detached context.
type memoryRef interface{ inMemory() }

func (*sessionRef) inMemory() {}
func (*pendingRef) inMemory() {}

// set records what a write through the handle stored.
func (s *tokenSource) set(t *Token) {
	s.mu.Lock()
	s.cur, s.loaded = t, true
	s.mu.Unlock()
}

// token returns a usable token: the current one, refreshed if it expired.
func (s *tokenSource) token(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.currentLocked(ctx)
	if err != nil {
		return nil, err
	}
	if s.b.valid(t) {
		return t, nil
	}
	return s.refreshLocked(ctx, t, true)
}

// replace refreshes bad, a token the provider refused although it looked
// valid, unless another request through this source already replaced it.
func (s *tokenSource) replace(ctx context.Context, bad *Token) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && !sameToken(s.cur, bad) {
		return s.cur, nil
	}
	return s.refreshLocked(ctx, bad, true)
}

// refreshLocked runs the refresh sequence for seen; dead says seen can no
// longer be used (expired, or refused by the API). s.mu is held.
func (s *tokenSource) refreshLocked(ctx context.Context, seen *Token, dead bool) (*Token, error) {
	t, err := s.b.refresh(ctx, s.ref, seen, dead)
	if err != nil {
		if errors.Is(err, KindReauthRequired) || errors.Is(err, ErrNoToken) {
			s.cur = nil // dropped, or gone meanwhile
		}
		return nil, err
	}
	s.cur = t
	return t, nil
}

// source returns the request's token source, creating it on first use.
func (b *Blueprint) source(c *gin.Context) (*tokenSource, error) {
	if v, ok := c.Get(sourceKey{b}); ok {
		if s, ok := v.(*tokenSource); ok && s != nil {
			return s, nil
		}
	}
	dedupeCookies(c) // a refresh may save the session the app saves too
	ref, err := b.tokenRef(c)
	if err != nil {
		return nil, err
	}
	s := &tokenSource{b: b, ref: ref}
	c.Set(sourceKey{b}, s)
	return s, nil
}

// tokenRef is the storage's handle of the request's token. The session
// storage keeps a cookie-held ID token for the end-session route only, or
// only its subject when the provider has no end-session endpoint.
func (b *Blueprint) tokenRef(c *gin.Context) (TokenRef, error) {
	if st, ok := b.storage.(*SessionStorage); ok && b.mountedEndSession != "" {
		idPath := b.mountedEndSession
		if b.provider.EndSessionURL == "" {
			idPath = ""
		}
		r, err := st.ref(c, b.tokenSessionKey, b.name, true, idPath)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return b.storage.Ref(c, b.name)
}

// sourceKey is the gin.Context key of a blueprint's per-request
// tokenSource: the one place a request caches the token.
type sourceKey struct{ b *Blueprint }

// reqContext is c's request context, or Background for a gin.Context made
// without a request (gin.CreateTestContext), so no method panics on it.
func reqContext(c *gin.Context) context.Context {
	if c.Request == nil {
		return context.Background()
	}
	return c.Request.Context()
}
