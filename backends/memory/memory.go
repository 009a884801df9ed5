// Package memory provides a [ginoauth.Storage] that keeps tokens in process
// memory, one entry per (owner, provider). The owner is the user's session
// by default, or whatever Config.Owner returns (a local user ID).
//
// It is for tests and single-process development: tokens are lost when the
// process exits and are not shared between instances. Unlike Flask-Dance's
// MemoryStorage it never shares one token between all users, unless a test
// asks for that with [Static].
package memory

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
)

// Config configures a Storage.
type Config struct {
	// Owner returns the key of the current token owner, such as the
	// logged-in local user's ID; ok is false when there is none. Optional.
	// Default: a random ID kept in the user's gin-contrib/sessions session.
	Owner func(c *gin.Context) (owner string, ok bool)
	// SessionName selects the session under sessions.SessionsMany when
	// Owner is nil. Optional.
	SessionName string
}

// ErrNoOwner is returned when Config.Owner says there is no owner.
var ErrNoOwner = errors.New("memory: no token owner for this request")

// Storage is an in-memory token storage, safe for concurrent use.
type Storage struct {
	cfg    Config
	static *ginoauth.Token

	mu     sync.RWMutex
	tokens map[key]*ginoauth.Token // never nil values
}

type key struct{ owner, provider string }

// New returns an empty Storage.
func New(cfg Config) *Storage {
	return &Storage{cfg: cfg, tokens: make(map[key]*ginoauth.Token)}
}

// Static returns a storage in which every request has t, whoever sends it,
// and which ignores writes: Flask-Dance's MemoryStorage(token), for testing
// the app's authorized pages. Never use it in production.
func Static(t *ginoauth.Token) *Storage {
	return &Storage{static: t.Clone(), tokens: make(map[key]*ginoauth.Token)}
}

const ownerKey = "ginoauth_memory_owner"

func sessionOf(c *gin.Context, name string) (sessions.Session, error) {
	v, ok := c.Get(sessions.DefaultKey)
	if !ok {
		return nil, ginoauth.ErrNoSession
	}
	switch s := v.(type) {
	case sessions.Session:
		return s, nil
	case map[string]sessions.Session:
		if one, ok := s[name]; ok {
			return one, nil
		}
	}
	return nil, ginoauth.ErrNoSession
}

// Ref implements ginoauth.Storage. A request without an owner (Config.Owner
// says none) has no token and cannot store one.
func (s *Storage) Ref(c *gin.Context, provider string) (ginoauth.TokenRef, error) {
	if s.static != nil {
		return staticRef{s.static}, nil
	}
	if s.cfg.Owner != nil {
		o, ok := s.cfg.Owner(c)
		if !ok {
			o = ""
		}
		return &ref{s: s, owner: o, provider: provider}, nil
	}
	sess, err := sessionOf(c, s.cfg.SessionName)
	if err != nil {
		return nil, err
	}
	o, _ := sess.Get(ownerKey).(string)
	return &ref{s: s, owner: o, provider: provider, sess: sess}, nil
}

// OwnerRef returns a ginoauth.TokenRef for owner's token, for tests that
// start logged in and for Blueprint.ClientFor outside a request.
func (s *Storage) OwnerRef(owner, provider string) ginoauth.TokenRef {
	return &ref{s: s, owner: owner, provider: provider}
}

type ref struct {
	s               *Storage
	owner, provider string
	sess            sessions.Session // where a new owner ID goes, if any
	mu              sync.Mutex
}

func (r *ref) Load(context.Context) (*ginoauth.Token, error) {
	r.mu.Lock()
	o := r.owner
	r.mu.Unlock()
	r.s.mu.RLock()
	t, ok := r.s.tokens[key{o, r.provider}]
	r.s.mu.RUnlock()
	if !ok || o == "" {
		return nil, ginoauth.ErrNoToken
	}
	return t.Clone(), nil
}

func (r *ref) Swap(_ context.Context, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.owner == "" {
		if new == nil {
			return nil, nil
		}
		if r.sess == nil {
			return nil, ErrNoOwner
		}
		r.owner = rand.Text()
		r.sess.Set(ownerKey, r.owner)
		if err := r.sess.Save(); err != nil {
			return nil, err
		}
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{r.owner, r.provider}
	cur := s.tokens[k]
	if old != nil && !cur.Same(old) {
		return cur.Clone(), nil
	}
	if new == nil {
		delete(s.tokens, k)
		return nil, nil
	}
	s.tokens[k] = new.Clone()
	return new, nil
}

// staticRef is the token of a Static storage: every request has it, and
// writes are ignored.
type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t.Clone(), nil }

func (r staticRef) Swap(_ context.Context, _, new *ginoauth.Token) (*ginoauth.Token, error) {
	return new, nil
}
