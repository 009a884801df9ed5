package ginoauth

import (
	"bytes"
	"sync"
	"time"
)

// maxLocalKey is the longest key localValues keeps as an array: the
// handoff's names are 47 bytes, and with its length a key is 48.
const maxLocalKey = 47

// localChunkSize is the size of localValues' chunks; a larger value gets a
// chunk of its own size.
const localChunkSize = 16 << 10

// localValues holds the in-process coordinator's values where the garbage
// collector has nothing to look at: keys of up to maxLocalKey bytes as
// arrays, and the values copied into chunks of bytes that entries point
// into. A token handed on stays 15 minutes (handoffTTL), so a busy process
// holds many; kept as a map of strings to byte slices, the collector would
// mark two objects for each of them in every cycle. A chunk is let go once
// its last value has expired; values are put with one TTL, so a chunk's
// values expire together. Longer keys, which ginoauth never makes, go to a
// map of strings.
type localValues struct {
	mu        sync.Mutex
	m         map[localKey]localEntry
	chunks    []localChunk // chunks[i] has the number first+i
	first     int          // the number of chunks[0]
	sweepSize int
	long      expiring[[]byte]
}

type localKey struct {
	n uint8
	b [maxLocalKey]byte
}

type localEntry struct {
	chunk  int64 // chunk number
	off, n int32 // where the value is in the chunk
	exp    int64 // Unix nanoseconds
}

type localChunk struct {
	b    []byte // nil once let go
	live int    // entries in it
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
	if old, ok := v.m[k]; ok {
		v.release(old)
	}
	last := len(v.chunks) - 1
	if last < 0 || cap(v.chunks[last].b)-len(v.chunks[last].b) < len(value) {
		if last >= 0 && v.chunks[last].live == 0 {
			v.chunks[last].b = nil // full, and its values are gone
		}
		v.chunks = append(v.chunks, localChunk{b: make([]byte, 0, max(localChunkSize, len(value)))})
		v.trim()
		last = len(v.chunks) - 1
	}
	c := &v.chunks[last]
	v.m[k] = localEntry{chunk: int64(v.first + last), off: int32(len(c.b)), n: int32(len(value)), exp: now + int64(ttl)}
	c.b = append(c.b, value...)
	c.live++
}

// release drops e's claim on its chunk, letting go of the chunk when it was
// the last, unless values are still being added to it.
func (v *localValues) release(e localEntry) {
	i := int(e.chunk) - v.first
	c := &v.chunks[i]
	c.live--
	if c.live > 0 || i == len(v.chunks)-1 {
		return
	}
	c.b = nil
	v.trim()
}

// trim drops the chunks let go at the head.
func (v *localValues) trim() {
	for len(v.chunks) > 1 && v.chunks[0].b == nil {
		v.chunks = v.chunks[1:]
		v.first++
	}
}

// sweep drops the expired entries and the chunks they leave empty.
func (v *localValues) sweep(now int64) {
	for k, e := range v.m {
		if now >= e.exp {
			delete(v.m, k)
			v.release(e)
		}
	}
	v.chunks = append([]localChunk(nil), v.chunks...) // let go of the dropped head
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
	return bytes.Clone(v.chunks[int(e.chunk)-v.first].b[e.off : e.off+e.n])
}
