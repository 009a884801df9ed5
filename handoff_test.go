package ginoauth_test

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// sharedCoordinator is a RefreshCoordinator that stands for a store other
// instances read (Redis): it keeps what it is given, for the test to look
// at.
type sharedCoordinator struct {
	lock   sync.Mutex
	mu     sync.Mutex
	values map[string][]byte
}

func (s *sharedCoordinator) Lock(context.Context, string) (func(), error) {
	s.lock.Lock()
	return s.lock.Unlock, nil
}

func (s *sharedCoordinator) Put(_ context.Context, key string, value []byte, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[string][]byte{}
	}
	s.values[key] = bytes.Clone(value)
	return nil
}

func (s *sharedCoordinator) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values[key], nil
}

// TestHandoffSealedInSharedCoordinator: a refreshed token handed on through
// a shared coordinator is sealed (no token readable there), and a request
// that still carries the spent token picks it up instead of refreshing
// again.
func TestHandoffSealedInSharedCoordinator(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	co := &sharedCoordinator{}
	a := newApp(t, srv, func(cfg *ginoauth.Config, _ *ginoauth.Provider) {
		cfg.Storage = &ginoauth.SessionStorage{Coordinator: co}
	})
	var got []*ginoauth.Token
	var mu sync.Mutex
	a.engine.GET("/force", func(c *gin.Context) {
		tok, err := a.bp.Refresh(c)
		if err != nil {
			c.String(http.StatusBadGateway, "%v", err)
			return
		}
		mu.Lock()
		got = append(got, tok)
		mu.Unlock()
	})
	b := newBrowser(t)
	if p := b.login(a); p.status != http.StatusOK {
		t.Fatalf("login: %d", p.status)
	}
	spent := b.Cookies(a.ts.URL + "/")
	if p := b.get(a.ts.URL + "/force"); p.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", p.status, p.body)
	}
	// The answer is lost: the browser comes back with the spent token.
	var restore []*http.Cookie
	for _, c := range spent {
		restore = append(restore, &http.Cookie{Name: c.Name, Value: c.Value, Path: "/"})
	}
	b.ReplaceCookies(a.ts.URL+"/", restore)
	if p := b.get(a.ts.URL + "/force"); p.status != http.StatusOK {
		t.Fatalf("refresh with the spent token: %d %s", p.status, p.body)
	}
	if n := srv.Grants("refresh_token"); n != 1 || len(got) != 2 || !got[0].Same(got[1]) {
		t.Fatalf("%d refresh grants, tokens the same %t: want one refresh, its token handed on", n, len(got) == 2 && got[0].Same(got[1]))
	}
	co.mu.Lock()
	defer co.mu.Unlock()
	if len(co.values) == 0 {
		t.Fatal("nothing handed on through the coordinator")
	}
	for _, v := range co.values {
		if bytes.Contains(v, []byte(got[0].AccessToken)) || bytes.Contains(v, []byte(got[0].RefreshToken)) {
			t.Error("a token is readable in the shared coordinator")
		}
	}
}
