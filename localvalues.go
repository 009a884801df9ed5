package ginoauth

import (
	"bytes"
	"sync"
	"time"
)

// maxLocalKey is the longest key localValues keeps as an array; the
// handoff's names are 47 bytes.
const maxLocalKey = 48

// localValues holds the in-process coordinator's values where the garbage
// collector has nothing to look at: keys of up to maxLocalKey bytes as
// arrays, and the values in one byte arena that entries point into by
// offset. A token handed on stays 15 minutes (handoffTTL), so a busy
// process holds many; kept as a map of strings to byte slices, the
// collector would mark two objects for each of them in every cycle. Longer
// keys, which ginoauth never makes, go to a map of strings.
type localValues struct {
	mu        sync.Mutex
	m         map[localKey]localEntry
	arena     []byte
	sweepSize int
	long      expiring[[]byte]
}

type localKey struct {
	n uint8
	b [maxLocalKey]byte
}

type localEntry struct {
	off, n int
	exp    int64 // Unix nanoseconds
}

func (v *localValues) put(key string, value []byte, ttl time.Duration) {
	if len(key) > maxLocalKey {
		v.long.put(key, bytes.Clone(value), ttl)
		return
	}
	k := localKey{n: uint8(len(key))}
	copy(k.b[:], key)
	now := time.Now().UnixNano()
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[localKey]localEntry)
	}
	if len(v.m) >= max(v.sweepSize, 64) {
		v.sweep(now)
	}
	v.m[k] = localEntry{off: len(v.arena), n: len(value), exp: now + int64(ttl)}
	v.arena = append(v.arena, value...)
}

// sweep drops the expired entries and moves the others into a new arena,
// which also drops the bytes of values that were replaced.
func (v *localValues) sweep(now int64) {
	size := 0
	for k, e := range v.m {
		if now >= e.exp {
			delete(v.m, k)
		} else {
			size += e.n
		}
	}
	arena := make([]byte, 0, 2*size)
	for k, e := range v.m {
		v.m[k] = localEntry{off: len(arena), n: e.n, exp: e.exp}
		arena = append(arena, v.arena[e.off:e.off+e.n]...)
	}
	v.arena = arena
	v.sweepSize = 2 * len(v.m)
}

// get returns a copy of key's value, or nil.
func (v *localValues) get(key string) []byte {
	if len(key) > maxLocalKey {
		value, _ := v.long.get(key)
		return bytes.Clone(value)
	}
	k := localKey{n: uint8(len(key))}
	copy(k.b[:], key)
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.m[k]
	if !ok || time.Now().UnixNano() >= e.exp {
		return nil
	}
	return bytes.Clone(v.arena[e.off : e.off+e.n])
}
