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
	tokens map[key]*ginoauth.Token
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

func (s *Storage) owner(c *gin.Context, create bool) (string, error) {
	if s.cfg.Owner != nil {
		o, ok := s.cfg.Owner(c)
		if !ok {
			return "", ErrNoOwner
		}
		return o, nil
	}
	sess, err := sessionOf(c, s.cfg.SessionName)
	if err != nil {
		return "", err
	}
	if o, _ := sess.Get(ownerKey).(string); o != "" {
		return o, nil
	}
	if !create {
		return "", nil
	}
	o := rand.Text()
	sess.Set(ownerKey, o)
	if err := sess.Save(); err != nil {
		return "", err
	}
	return o, nil
}

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

// Token implements ginoauth.Storage.
func (s *Storage) Token(c *gin.Context, provider string) (*ginoauth.Token, error) {
	if s.static != nil {
		return s.static.Clone(), nil
	}
	o, err := s.owner(c, false)
	if err != nil {
		return nil, err
	}
	if o == "" {
		return nil, ginoauth.ErrNoToken
	}
	return s.Get(o, provider)
}

// SetToken implements ginoauth.Storage.
func (s *Storage) SetToken(c *gin.Context, provider string, t *ginoauth.Token) error {
	if s.static != nil {
		return nil
	}
	o, err := s.owner(c, true)
	if err != nil {
		return err
	}
	s.Put(o, provider, t)
	return nil
}

// DeleteToken implements ginoauth.Storage.
func (s *Storage) DeleteToken(c *gin.Context, provider string) error {
	if s.static != nil {
		return nil
	}
	o, err := s.owner(c, false)
	if err != nil || o == "" {
		return err
	}
	s.mu.Lock()
	delete(s.tokens, key{o, provider})
	s.mu.Unlock()
	return nil
}

// SwapToken implements ginoauth.TokenSwapper.
func (s *Storage) SwapToken(c *gin.Context, provider string, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	if s.static != nil {
		return new, nil
	}
	o, err := s.owner(c, true)
	if err != nil {
		return nil, err
	}
	return s.swap(o, provider, old, new), nil
}

func (s *Storage) swap(owner, provider string, old, new *ginoauth.Token) *ginoauth.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key{owner, provider}
	if cur, ok := s.tokens[k]; ok && old != nil && cur.AccessToken != old.AccessToken {
		return cur.Clone()
	}
	s.tokens[k] = new.Clone()
	return new
}

// Get returns owner's token for provider, or ginoauth.ErrNoToken.
func (s *Storage) Get(owner, provider string) (*ginoauth.Token, error) {
	s.mu.RLock()
	t, ok := s.tokens[key{owner, provider}]
	s.mu.RUnlock()
	if !ok {
		return nil, ginoauth.ErrNoToken
	}
	return t.Clone(), nil
}

// Put stores t as owner's token for provider, for tests that start logged
// in and for background jobs.
func (s *Storage) Put(owner, provider string, t *ginoauth.Token) {
	s.mu.Lock()
	s.tokens[key{owner, provider}] = t.Clone()
	s.mu.Unlock()
}

// Ref returns a ginoauth.TokenRef for owner's token, for use with
// Blueprint.ClientFor outside a request.
func (s *Storage) Ref(owner, provider string) ginoauth.TokenRef {
	return ref{s: s, owner: owner, provider: provider}
}

type ref struct {
	s               *Storage
	owner, provider string
}

func (r ref) Load(context.Context) (*ginoauth.Token, error) { return r.s.Get(r.owner, r.provider) }

func (r ref) Swap(_ context.Context, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	return r.s.swap(r.owner, r.provider, old, new), nil
}
