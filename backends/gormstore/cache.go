package gormstore

import (
	"sync"
	"time"

	"github.com/ginoauth/ginoauth"
)

// minCachedLife is how long a cached token must stay valid to be served from
// the cache. A token closer to expiry is read from the database, so a refresh
// always starts from the stored token, which another instance may have
// refreshed already.
const minCachedLife = time.Minute

type cacheKey struct{ provider, user string }

type cacheEntry struct {
	tok *ginoauth.Token // nil: the user has no token
	exp time.Time
}

// cache is the optional per-process read cache, keyed by (provider, user).
// Writes through this store invalidate it; writes by other instances show
// after at most the TTL.
type cache struct {
	ttl time.Duration

	mu        sync.RWMutex
	m         map[cacheKey]cacheEntry
	gen       uint64 // bumped by every invalidation
	sweepSize int
}

func newCache(ttl time.Duration) *cache {
	if ttl <= 0 {
		return nil
	}
	return &cache{ttl: ttl, m: make(map[cacheKey]cacheEntry), sweepSize: 1024}
}

// get returns the cached token (nil for a cached absence) and whether there
// was a usable entry. The token is the cache's own: clone it.
func (c *cache) get(k cacheKey, now time.Time) (*ginoauth.Token, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp) {
		return nil, false
	}
	if e.tok != nil && !e.tok.Expiry.IsZero() && !now.Add(minCachedLife).Before(e.tok.Expiry) {
		return nil, false
	}
	return e.tok, true
}

// generation is read before a database load; put stores the result only if
// no invalidation happened since, so a slow reader cannot cache a token that
// a concurrent write already replaced.
func (c *cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *cache) put(k cacheKey, t *ginoauth.Token, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= c.sweepSize {
		for key, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, key)
			}
		}
		c.sweepSize = max(1024, 2*len(c.m))
	}
	c.m[k] = cacheEntry{tok: t, exp: now.Add(c.ttl)}
}

func (c *cache) invalidate(k cacheKey) {
	c.mu.Lock()
	delete(c.m, k)
	c.gen++
	c.mu.Unlock()
}
