// Package redislock provides a [ginoauth.RefreshCoordinator] on Redis, for
// apps that keep tokens in the user's session (ginoauth.SessionStorage) and
// run several instances.
//
// A session is read once per request, so two instances serving the same
// browser at once cannot see each other's refresh, and a browser that
// disconnected never receives the refreshed token. The coordinator lets
// them share one refresh: the first instance takes a lock named after the
// refresh token, refreshes, and leaves the new token in Redis, sealed with a
// key derived from the spent refresh token; the others wait on the lock and
// then pick that token up instead of spending the refresh token again.
//
//	coord := redislock.New(pool, redislock.Config{})
//	bp, err := github.New(github.Config{Storage: &ginoauth.SessionStorage{Coordinator: coord}})
//
// Waiting for the lock blocks in Redis (BLPOP on a wake-up list the holder
// pushes to when it unlocks), with no polling. A lock whose holder died
// expires after Config.LockTTL.
package redislock

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/gomodule/redigo/redis"
)

// Config configures a [Coordinator].
type Config struct {
	// Prefix is put before every key. Optional. Default "" (the keys
	// already start with "ginoauth:").
	Prefix string
	// LockTTL is how long a lock lasts if its holder never releases it
	// (the process died). Keep it longer than a refresh takes
	// (the Timeout of ginoauth.Config.HTTPClient). Optional. Default 30 seconds.
	LockTTL time.Duration
}

// Coordinator is a ginoauth.RefreshCoordinator on a Redis connection pool.
// It is safe for concurrent use.
type Coordinator struct {
	pool *redis.Pool
	cfg  Config
}

var _ ginoauth.RefreshCoordinator = (*Coordinator)(nil)

// New returns a Coordinator that uses pool's connections. A waiter holds
// one connection while it waits, so size the pool for the refreshes that
// may be in flight at once.
func New(pool *redis.Pool, cfg Config) *Coordinator {
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = 30 * time.Second
	}
	return &Coordinator{pool: pool, cfg: cfg}
}

// unlockScript releases the lock if the caller still holds it, and leaves
// one wake-up token for the next waiter.
var unlockScript = redis.NewScript(2, `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('RPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], -1, -1)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`)

// ErrLockTimeout is returned by Lock when ctx ended before the lock was
// free.
var ErrLockTimeout = errors.New("redislock: timed out waiting for another instance's refresh")

// Lock implements ginoauth.RefreshCoordinator.
func (co *Coordinator) Lock(ctx context.Context, key string) (func(), error) {
	lockKey, wakeKey := co.cfg.Prefix+key, co.cfg.Prefix+key+":wake"
	owner := rand.Text()
	conn, err := co.pool.GetContext(ctx)
	if err != nil {
		return nil, co.fail(ctx, err) // a context that ended while waiting for a connection
	}
	defer conn.Close()
	ttl := co.cfg.LockTTL.Milliseconds()
	for {
		ok, err := redis.String(redis.DoContext(conn, ctx, "SET", lockKey, owner, "NX", "PX", ttl))
		if err == nil && ok == "OK" {
			return func() { co.unlock(lockKey, wakeKey, owner) }, nil
		}
		if err != nil && !errors.Is(err, redis.ErrNil) {
			return nil, co.fail(ctx, err)
		}
		// Wait for the holder's wake-up, at most until its lock expires or
		// ctx ends.
		left, err := redis.Int64(redis.DoContext(conn, ctx, "PTTL", lockKey))
		if err != nil {
			return nil, co.fail(ctx, err)
		}
		wait := time.Duration(max(left, 1)) * time.Millisecond
		if d, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(d))
		}
		if wait <= 0 {
			return nil, ErrLockTimeout
		}
		// BLPOP's timeout is in seconds (fractions allowed); the read
		// deadline leaves it room to answer.
		_, err = redis.DoWithTimeout(conn, wait+time.Second, "BLPOP", wakeKey, fmt.Sprintf("%.3f", wait.Seconds()))
		if err != nil && !errors.Is(err, redis.ErrNil) {
			return nil, co.fail(ctx, err)
		}
	}
}

func (co *Coordinator) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(ErrLockTimeout, ctx.Err())
	}
	return fmt.Errorf("redislock: %w", err)
}

// unlock runs on a context of its own: the refresh may have used up the
// caller's. If it fails, the lock expires after LockTTL.
func (co *Coordinator) unlock(lockKey, wakeKey, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := co.pool.GetContext(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = unlockScript.DoContext(ctx, conn, lockKey, wakeKey, owner, co.cfg.LockTTL.Milliseconds())
}

// Put implements ginoauth.RefreshCoordinator.
func (co *Coordinator) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	conn, err := co.pool.GetContext(ctx)
	if err != nil {
		return fmt.Errorf("redislock: %w", err)
	}
	defer conn.Close()
	if _, err := redis.DoContext(conn, ctx, "SET", co.cfg.Prefix+key, value, "PX", max(ttl.Milliseconds(), 1)); err != nil {
		return fmt.Errorf("redislock: put: %w", err)
	}
	return nil
}

// Get implements ginoauth.RefreshCoordinator.
func (co *Coordinator) Get(ctx context.Context, key string) ([]byte, error) {
	conn, err := co.pool.GetContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("redislock: %w", err)
	}
	defer conn.Close()
	v, err := redis.Bytes(redis.DoContext(conn, ctx, "GET", co.cfg.Prefix+key))
	if errors.Is(err, redis.ErrNil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redislock: get: %w", err)
	}
	return v, nil
}
