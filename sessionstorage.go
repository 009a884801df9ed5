package ginoauth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
)

// SessionStorage keeps tokens with the user's gin-contrib/sessions session.
// It is the default storage: good for prototypes and apps without user
// accounts.
//
// With a server-side session store (Redis, PostgreSQL) the token is the
// session value "{provider}_oauth_token" (Flask-Dance's key), and the
// cookie carries only a session ID. With a cookie store (give it an
// encryption key: cookie.NewStore(authKey, encryptionKey), so the browser
// cannot read the token) a token of up to 800 bytes stays in the session
// cookie; a larger one travels in cookies of its own, "{session}.{provider}.0",
// ".1", ..., sealed with the store's keys and each under the browsers'
// 4,096-byte limit, so JWT-sized tokens of several providers fit beside the
// session cookie. A token too large even for that (over about 16 KB) fails
// with ErrTokenTooLarge.
//
// With a cookie store, a blueprint's token does not carry its OpenID
// Connect ID token, which nothing reads on an API request: the token keeps
// the ID token's subject, and the ID token goes into a cookie of its own,
// "{session}.{provider}.id", whose Path is the blueprint's end-session
// route, sealed under a key kept in the token (none when the provider has
// no end-session endpoint). Token.IDToken and the verified claims are
// therefore empty outside the Authorized and TokenRefreshed hooks and that
// route: keep what the app needs of the claims in its session in the
// Authorized hook, or use a server-side store.
//
// A session is read once at the start of a request, so a request cannot see
// a token that a concurrent request of the same browser refreshed (and a
// browser that disconnected never received the refreshed token at all).
// Each refresh therefore also leaves the new token, sealed with a key only
// the holders of the spent refresh token can derive, in the Coordinator for
// a while; a request that comes with the spent token picks the new one up
// there instead of spending the refresh token a second time.
type SessionStorage struct {
	// SessionName selects the session under sessions.SessionsMany.
	// Optional.
	SessionName string
	// Coordinator is where app instances lock refreshes of a session-held
	// token and hand the refreshed token on. Optional. Default: one in
	// process memory, enough for a single instance; several instances
	// behind a load balancer need a shared one (backends/redislock).
	Coordinator RefreshCoordinator

	once   sync.Once
	local  *localCoordinator
	prefix lastJoin // the token cookies' names' prefix
}

// RefreshCoordinator is what [SessionStorage] needs to coordinate refreshes
// across app instances: a lock and a small store of sealed values with a
// lifetime. backends/redislock implements it with Redis.
type RefreshCoordinator interface {
	// Lock blocks until the caller holds the lock named key, or ctx ends.
	// unlock must be called exactly once.
	Lock(ctx context.Context, key string) (unlock func(), err error)
	// Put keeps value under key for ttl.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get returns the value under key, or nil when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
}

// handoffTTL is how long a refreshed session-held token stays available to
// requests that still carry the token it replaced: a browser that lost the
// response of a refresh and comes back within this time keeps its login.
const handoffTTL = 15 * time.Minute

func (st *SessionStorage) coordinator() RefreshCoordinator {
	if st.Coordinator != nil {
		return st.Coordinator
	}
	st.once.Do(func() { st.local = &localCoordinator{} })
	return st.local
}

func sessionTokenKey(provider string) string { return provider + "_oauth_token" }

// Ref implements [Storage]: the token in the request's session.
func (st *SessionStorage) Ref(c *gin.Context, provider string) (TokenRef, error) {
	r, err := st.ref(c, sessionTokenKey(provider), provider, false, "")
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ref is Ref for a blueprint, with the session key of provider's token
// (sessionTokenKey) made once: with a cookie store and apart, an ID token
// is kept apart from the token, in a cookie whose path is idPath, or not
// at all when idPath is "" (see cookieCell.apart).
func (st *SessionStorage) ref(c *gin.Context, key any, provider string, apart bool, idPath string) (*sessionRef, error) {
	s, err := session(c, st.SessionName)
	if err != nil {
		return nil, err
	}
	r := &sessionRef{st: st, s: s, key: key, c: c}
	if k := newCookieCell(c, r, provider); k != nil {
		k.idApart, k.idPath = apart, idPath
		r.cell = k
	} else {
		r.cell = sessionCell{r}
	}
	return r, nil
}

// sessionRef is one request's session's token slot. A request's session is
// used by one goroutine at a time in gin; mu guards the slot for handlers
// that call the API client from several goroutines.
type sessionRef struct {
	st   *SessionStorage
	s    sessions.Session
	c    *gin.Context
	key  any // the session key, a string
	cell tokenCell
	mu   sync.Mutex
	// last is the token last decoded from (or encoded to) the session,
	// and raw its encoding: the refresh sequence reloads the token to see
	// whether another request replaced it, and a value that has not
	// changed is not decoded again.
	last *Token
	raw  string
	// namesFor is the refresh token whose handoff names namesOf holds;
	// nmu guards them (LockRefresh runs without mu).
	nmu      sync.Mutex
	namesFor string
	namesOf  handoffNames
}

// Load implements [TokenRef]. A corrupt entry reads as no token, so the
// user can log in again and overwrite it.
func (r *sessionRef) Load(context.Context) (*Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.peek()
	if t == nil {
		return nil, ErrNoToken
	}
	return t, nil
}

// peek returns the stored token, decoded at most once per value. It is
// handed out as it is: a Token a storage returns is read-only.
func (r *sessionRef) peek() *Token {
	raw := r.cell.get()
	if raw == "" {
		return nil
	}
	if raw != r.raw || r.last == nil {
		var idToken func(key string) string
		if k, ok := r.cell.(*cookieCell); ok {
			idToken = k.idToken
		}
		t, err := decodeToken(raw, idToken)
		if err != nil {
			return nil
		}
		r.last, r.raw = t, raw
	}
	return r.last
}

// Swap implements [TokenRef]. A refreshed token (old has a refresh token)
// is handed on through the coordinator before the session is saved, so it
// survives a response that never reaches the browser.
func (r *sessionRef) Swap(ctx context.Context, old, new *Token) (*Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.swap(ctx, old, new, true)
}

// swap is Swap with r.mu held; handOn false skips the handoff, for a token
// that came from one.
func (r *sessionRef) swap(ctx context.Context, old, new *Token, handOn bool) (*Token, error) {
	if old != nil {
		if cur := r.peek(); !sameToken(cur, old) {
			return cur, nil
		}
	}
	if new == nil && r.cell.get() == "" {
		return nil, nil
	}
	// new's whole encoding, ID token included, made at most once.
	var whole string
	encodeWhole := func() (string, error) {
		var err error
		if whole == "" && new != nil {
			whole, err = encodeSessionToken(new)
		}
		return whole, err
	}
	if handOn && old != nil && new != nil && old.RefreshToken != "" && !sameToken(old, new) {
		// For a request that lost this one's answer.
		enc, err := encodeWhole()
		if err != nil {
			return nil, err
		}
		if err := r.handOn(ctx, old.RefreshToken, []byte(enc)); err != nil {
			return nil, err
		}
	}
	var enc string
	var err error
	if k, ok := r.cell.(*cookieCell); ok {
		enc, err = k.apart(r.peek(), new, encodeWhole)
	} else {
		enc, err = encodeWhole()
	}
	if err != nil {
		return nil, err
	}
	if err := r.cell.set(enc); err != nil {
		return nil, err
	}
	r.last, r.raw = new, enc
	return new, nil
}

// LockRefresh implements [RefreshLocker]: it takes the coordinator's lock
// of t's refresh token, then brings the session up to date with any token
// that replaced t (following a chain of refreshes).
func (r *sessionRef) LockRefresh(ctx context.Context, t *Token) (func(), error) {
	if t.RefreshToken == "" {
		return func() {}, nil
	}
	co := r.st.coordinator()
	unlock, err := co.Lock(ctx, r.names(t.RefreshToken).lock)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: refresh lock: %w", err)
	}
	newer, err := r.handedOn(ctx, t)
	if err == nil && newer != nil {
		r.mu.Lock()
		_, err = r.swap(ctx, t, newer, false)
		r.mu.Unlock()
	}
	if err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}
