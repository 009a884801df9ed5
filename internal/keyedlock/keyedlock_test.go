package keyedlock

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestExclusivePerKey(t *testing.T) {
	var m Mutexes
	var mu sync.Mutex
	held := map[string]int{}
	var wg sync.WaitGroup
	for i := range 40 {
		key := []string{"a", "b"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := m.Lock(context.Background(), key)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			held[key]++
			if held[key] > 1 {
				t.Errorf("two holders of %q", key)
			}
			mu.Unlock()
			mu.Lock()
			held[key]--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if n := m.Len(); n != 0 {
		t.Fatalf("%d keys left after every unlock, want 0", n)
	}
}

func TestLockGivesUpWithContext(t *testing.T) {
	var m Mutexes
	unlock, _ := m.Lock(context.Background(), "k")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := m.Lock(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	unlock()
	if n := m.Len(); n != 0 {
		t.Fatalf("%d keys left, want 0", n)
	}
}
