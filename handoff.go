package ginoauth

// The refresh handoff of the session storage (see SessionStorage): a
// refreshed token left in the coordinator for requests that still carry
// the token it replaced, and the in-process coordinator.

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
)

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
		next, err := r.openHandoff(t.RefreshToken, sealed)
		if err != nil {
			break // not ours to read (or corrupt): ignore it
		}
		newer, t = next, next
	}
	return newer, nil
}

// handOn leaves the encoded token that replaced the one with spentRefresh
// in the coordinator: sealed, unless the coordinator is this process's.
func (r *sessionRef) handOn(ctx context.Context, spentRefresh string, encoded []byte) error {
	sealed := encoded
	if _, local := r.st.coordinator().(*localCoordinator); !local {
		// Sealed for a shared store; in this process's memory, where the
		// sessions' tokens are anyway, it needs no sealing.
		var err error
		if sealed, err = sealHandoff(spentRefresh, encoded); err != nil {
			return err
		}
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
	// Both names in one string.
	const lock, token = "ginoauth:lock:", "ginoauth:token:"
	var buf [len(lock) + len(token) + 2*sha256.Size]byte
	b := buf[:0]
	b = hex.AppendEncode(append(b, lock...), sum[:16])
	b = hex.AppendEncode(append(b, token...), sum[16:])
	both := string(b)
	return handoffNames{lock: both[:len(lock)+32], token: both[len(lock)+32:]}
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

// openHandoff decodes what handOn left under spentRefresh's name.
func (r *sessionRef) openHandoff(spentRefresh string, value []byte) (*Token, error) {
	if _, local := r.st.coordinator().(*localCoordinator); local {
		return decodeSessionToken(string(value))
	}
	return openHandoff(spentRefresh, value)
}

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
	return decodeSessionToken(string(plain))
}

// localCoordinator is the in-process RefreshCoordinator.
type localCoordinator struct {
	values localValues
}

// Lock takes no lock: every refresh runs under its blueprint's in-process
// lock of the same token (Blueprint.refresh), which is all the exclusion
// one process needs.
func (l *localCoordinator) Lock(context.Context, string) (func(), error) {
	return func() {}, nil
}

func (l *localCoordinator) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	l.values.put(key, value, ttl)
	return nil
}

func (l *localCoordinator) Get(_ context.Context, key string) ([]byte, error) {
	return l.values.get(key), nil
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
