package interop_test

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// TestInteropOAuth2ConcurrentRefresh fires several API calls at once with
// one expired token. The server rotates refresh tokens, so a second refresh
// with the same refresh token would fail: every call must succeed on a
// single refresh.
func TestInteropOAuth2ConcurrentRefresh(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{})
	b := newInteropBrowser(t)
	interopO2Login(t, b, appTS.URL)
	if resp, body := b.get(appTS.URL + "/expire"); resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: got status %d (%s)", resp.StatusCode, body)
	}

	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := b.Client().Get(appTS.URL + "/api")
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("call %d: got status %d, want 200", i, s)
		}
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v (one shared refresh)", got, want)
	}
	var me map[string]string
	b.getJSON(appTS.URL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID {
		t.Errorf("resource after the burst: got %v, want user %s", me, interopUserID)
	}
}
