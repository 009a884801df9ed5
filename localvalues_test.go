package ginoauth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLocalValues: the in-process coordinator's store returns what was put
// until it expires, across the sweeps that move its values into a new
// arena, for keys of any length, and never hands out its own bytes.
func TestLocalValues(t *testing.T) {
	var v localValues
	long := strings.Repeat("k", maxLocalKey+1)
	v.put("short", []byte("v1"), time.Hour)
	v.put(long, []byte("long value"), time.Hour)
	v.put("gone", []byte("old"), time.Millisecond)
	v.put("short", []byte("v2"), time.Hour) // replaced
	if got := v.get("short"); string(got) != "v2" {
		t.Errorf("get(short) = %q, want v2", got)
	}
	if got := v.get(long); string(got) != "long value" {
		t.Errorf("get(long key) = %q", got)
	}
	if got := v.get(long[:maxLocalKey]); got != nil {
		t.Errorf("a %d-byte prefix of the long key read %q", maxLocalKey, got)
	}
	got := v.get("short")
	got[0] = 'X'
	if again := v.get("short"); string(again) != "v2" {
		t.Errorf("changing a returned value changed the store: %q", again)
	}
	time.Sleep(5 * time.Millisecond)
	if got := v.get("gone"); got != nil {
		t.Errorf("an expired value read %q", got)
	}
	// Enough puts to sweep several times: the expired entry and the
	// replaced bytes go, the live values move and still read.
	for i := range 1000 {
		v.put(fmt.Sprint("key-", i), []byte(fmt.Sprint("value-", i)), time.Hour)
	}
	if _, ok := v.m[localKey{n: 4, b: [maxLocalKey]byte{'g', 'o', 'n', 'e'}}]; ok {
		t.Error("the expired entry survived the sweeps")
	}
	for i := range 1000 {
		if got := v.get(fmt.Sprint("key-", i)); string(got) != fmt.Sprint("value-", i) {
			t.Fatalf("after the sweeps, key-%d reads %q", i, got)
		}
	}
	if got := v.get("short"); string(got) != "v2" {
		t.Errorf("after the sweeps, get(short) = %q, want v2", got)
	}
	// Once every value has expired, the chunks go too.
	var w localValues
	for i := range 2000 {
		w.put(fmt.Sprint("key-", i), make([]byte, 100), 100*time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
	for i := range 100 {
		w.put(fmt.Sprint("new-", i), []byte("v"), time.Hour)
	}
	w.sweep(time.Now().UnixNano()) // as the next put past the sweep size would
	held := 0
	for _, c := range w.chunks {
		held += cap(c.b)
	}
	if held > 2*localChunkSize {
		t.Errorf("%d bytes of chunks held for 100 live bytes", held)
	}
	for i := range 100 {
		if got := w.get(fmt.Sprint("new-", i)); string(got) != "v" {
			t.Fatalf("new-%d reads %q", i, got)
		}
	}
}

// TestHandoffNames: the coordinator keys keep their form, which instances
// of other versions sharing a coordinator read.
func TestHandoffNames(t *testing.T) {
	sum := sha256.Sum256([]byte("ginoauth handoff names\x00refresh-1"))
	want := handoffNames{
		lock:  "ginoauth:lock:" + hex.EncodeToString(sum[:16]),
		token: "ginoauth:token:" + hex.EncodeToString(sum[16:]),
	}
	if got := handoffNamesOf("refresh-1"); got != want {
		t.Errorf("handoffNamesOf = %+v, want %+v", got, want)
	}
}
