// Package keyedlock is a set of mutexes by name whose Lock waits with a
// context: the in-process refresh lock of the blueprint, of the session
// storage's default coordinator and of the GORM store on SQLite.
package keyedlock

import (
	"context"
	"sync"
)

// Mutexes is a set of mutexes by key. The zero value is ready to use; a
// key's mutex exists only while someone holds or waits for it.
type Mutexes struct {
	mu    sync.Mutex
	locks map[string]*lock
}

type lock struct {
	ch      chan struct{} // holds one value while the lock is taken
	waiters int
}

// Lock blocks until the caller holds key's mutex, or ctx ends. unlock must
// be called exactly once.
func (m *Mutexes) Lock(ctx context.Context, key string) (unlock func(), err error) {
	m.mu.Lock()
	if m.locks == nil {
		m.locks = make(map[string]*lock)
	}
	l := m.locks[key]
	if l == nil {
		l = &lock{ch: make(chan struct{}, 1)}
		m.locks[key] = l
	}
	l.waiters++
	m.mu.Unlock()
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; m.release(l, key) }, nil
	case <-ctx.Done():
		m.release(l, key)
		return nil, ctx.Err()
	}
}

// release ends a holder's or waiter's claim on l, removing key's mutex
// after the last.
func (m *Mutexes) release(l *lock, key string) {
	m.mu.Lock()
	if l.waiters--; l.waiters == 0 {
		delete(m.locks, key)
	}
	m.mu.Unlock()
}

// Len returns how many keys are held or waited for.
func (m *Mutexes) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.locks)
}
