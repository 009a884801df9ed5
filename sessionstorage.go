package ginoauth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth/internal/keyedlock"
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

	once  sync.Once
	local *localCoordinator
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
	r, err := st.ref(c, provider, false, "")
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ref is Ref for a blueprint: with a cookie store and apart, an ID token
// is kept apart from the token, in a cookie whose path is idPath, or not
// at all when idPath is "" (see cookieCell.apart).
func (st *SessionStorage) ref(c *gin.Context, provider string, apart bool, idPath string) (*sessionRef, error) {
	s, err := session(c, st.SessionName)
	if err != nil {
		return nil, err
	}
	r := &sessionRef{st: st, s: s, key: sessionTokenKey(provider), c: c}
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
	key  string
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
	t := r.load()
	if t == nil {
		return nil, ErrNoToken
	}
	return t, nil
}

// load returns a copy of the stored token, or nil.
func (r *sessionRef) load() *Token {
	if t := r.peek(); t != nil {
		return t.Clone()
	}
	return nil
}

// peek returns the stored token itself, decoded at most once per value:
// for comparisons, never to hand out.
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
		t, err := decodeToken([]byte(raw), idToken)
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
			return cur.Clone(), nil
		}
	}
	if new == nil && r.cell.get() == "" {
		return nil, nil
	}
	if handOn && old != nil && new != nil && old.RefreshToken != "" && !sameToken(old, new) {
		// The whole token, ID token included, for a request that lost
		// this one's answer.
		enc, err := encodeSessionToken(new)
		if err != nil {
			return nil, err
		}
		if err := r.handOn(ctx, old.RefreshToken, enc); err != nil {
			return nil, err
		}
	}
	var enc []byte
	var err error
	if k, ok := r.cell.(*cookieCell); ok {
		enc, err = k.apart(r.peek(), new)
	} else if new != nil {
		enc, err = encodeSessionToken(new)
	}
	if err != nil {
		return nil, err
	}
	raw := string(enc)
	if err := r.cell.set(raw); err != nil {
		return nil, err
	}
	r.last, r.raw = new.Clone(), raw
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

// maxHandoffChain bounds how many refreshes handedOn follows.
const maxHandoffChain = 8

// handedOn returns the newest token that replaced t, or nil.
func (r *sessionRef) handedOn(ctx context.Context, t *Token) (*Token, error) {
	co := r.st.coordinator()
	var newer *Token
	for range maxHandoffChain {
		if t.RefreshToken == "" {
			break
		}
		sealed, err := co.Get(ctx, r.names(t.RefreshToken).token)
		if err != nil {
			return nil, fmt.Errorf("ginoauth: refresh handoff: %w", err)
		}
		if sealed == nil {
			break
		}
		next, err := openHandoff(t.RefreshToken, sealed)
		if err != nil {
			break // not ours to read (or corrupt): ignore it
		}
		newer, t = next, next
	}
	return newer, nil
}

// handOn leaves the encoded token that replaced the one with spentRefresh
// in the coordinator, sealed.
func (r *sessionRef) handOn(ctx context.Context, spentRefresh string, encoded []byte) error {
	sealed, err := sealHandoff(spentRefresh, encoded)
	if err != nil {
		return err
	}
	if err := r.st.coordinator().Put(ctx, r.names(spentRefresh).token, sealed, handoffTTL); err != nil {
		return fmt.Errorf("ginoauth: refresh handoff: %w", err)
	}
	return nil
}

// handoffNames are the coordinator keys of a refresh token's lock and of
// the token handed on in its place: halves of one hash, which tells a
// reader of the coordinator nothing.
type handoffNames struct{ lock, token string }

func handoffNamesOf(refreshToken string) handoffNames {
	sum := sha256.Sum256([]byte("ginoauth handoff names\x00" + refreshToken))
	return handoffNames{
		lock:  "ginoauth:lock:" + hex.EncodeToString(sum[:16]),
		token: "ginoauth:token:" + hex.EncodeToString(sum[16:]),
	}
}

// names returns refreshToken's handoff names, computed once per request
// for the refresh token it last saw (a refresh asks for them up to three
// times).
func (r *sessionRef) names(refreshToken string) handoffNames {
	r.nmu.Lock()
	defer r.nmu.Unlock()
	if r.namesFor != refreshToken || r.namesOf.lock == "" {
		r.namesFor, r.namesOf = refreshToken, handoffNamesOf(refreshToken)
	}
	return r.namesOf
}

// handoffAEAD is AES-256-GCM under a key derived from the spent refresh
// token: only a request that holds that token can open what was handed on.
func handoffAEAD(refreshToken string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte("ginoauth handoff key\x00" + refreshToken))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func sealHandoff(refreshToken string, plain []byte) ([]byte, error) {
	aead, err := handoffAEAD(refreshToken)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, nil), nil
}

var errHandoffCorrupt = errors.New("ginoauth: refresh handoff: corrupt value")

func openHandoff(refreshToken string, sealed []byte) (*Token, error) {
	aead, err := handoffAEAD(refreshToken)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errHandoffCorrupt
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return nil, errHandoffCorrupt
	}
	return decodeSessionToken(plain)
}

// localCoordinator is the in-process RefreshCoordinator.
type localCoordinator struct {
	locks  keyedlock.Mutexes
	values expiring[[]byte]
}

func (l *localCoordinator) Lock(ctx context.Context, key string) (func(), error) {
	return l.locks.Lock(ctx, key)
}

func (l *localCoordinator) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	l.values.put(key, value, ttl)
	return nil
}

func (l *localCoordinator) Get(_ context.Context, key string) ([]byte, error) {
	v, _ := l.values.get(key)
	return v, nil
}

// expiring is a map whose entries expire. Expired entries are swept when
// the map has doubled since the last sweep.
type expiring[V any] struct {
	mu        sync.Mutex
	m         map[string]expiringValue[V]
	sweepSize int
}

type expiringValue[V any] struct {
	v   V
	exp time.Time
}

func (e *expiring[V]) put(key string, v V, ttl time.Duration) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = make(map[string]expiringValue[V])
	}
	if len(e.m) >= max(e.sweepSize, 64) {
		for k, x := range e.m {
			if !now.Before(x.exp) {
				delete(e.m, k)
			}
		}
		e.sweepSize = 2 * len(e.m)
	}
	e.m[key] = expiringValue[V]{v: v, exp: now.Add(ttl)}
}

func (e *expiring[V]) get(key string) (V, bool) { return e.lookup(key, false) }

// take is get, removing the entry.
func (e *expiring[V]) take(key string) (V, bool) { return e.lookup(key, true) }

func (e *expiring[V]) lookup(key string, remove bool) (V, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.m[key]
	if remove {
		delete(e.m, key)
	}
	if !ok || !time.Now().Before(x.exp) {
		var zero V
		return zero, false
	}
	return x.v, true
}
