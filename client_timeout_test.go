package ginoauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// TestAPIClientTimeout: Config.HTTPClient's Timeout bounds an API request
// of the blueprint's client, as it bounds the token requests.
func TestAPIClientTimeout(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv, func(cfg *ginoauth.Config, _ *ginoauth.Provider) {
		// Long enough for a loaded, race-built suite to answer the first
		// call; far shorter than the hanging API below.
		cfg.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	})
	b := newBrowser(t)
	if p := b.login(a); p.status != http.StatusOK {
		t.Fatalf("login: %d", p.status)
	}
	if p := b.get(a.ts.URL + "/api"); p.status != http.StatusOK {
		t.Fatalf("API call: %d %s", p.status, p.body)
	}
	srv.SetLatency("/api/whoami", time.Hour)
	start := time.Now()
	p := b.get(a.ts.URL + "/api")
	if p.status != http.StatusBadGateway || !strings.Contains(p.body, "Timeout exceeded") && !strings.Contains(p.body, "deadline") {
		t.Errorf("API call to a hanging API: %d %q, want 502 and a timeout error", p.status, p.body)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the API call took %v, want about the 2s timeout", d)
	}
}
