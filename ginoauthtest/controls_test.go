package ginoauthtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	c := code(t, srv, authParams(srv))
	srv.FailNext("/token", http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
	srv.FailNext("token", http.StatusInternalServerError, "boom")

	first := postForm(t, srv, "/token", url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect}}, true)
	wantOAuthError(t, first, http.StatusServiceUnavailable, "temporarily_unavailable")

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader("grant_type=x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != 500 || body != "boom" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("second: got %d %q %q, want 500 boom as text/plain", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	// The faults did not touch the code: it still works once.
	if res := exchange(t, srv, c); res.status != http.StatusOK {
		t.Errorf("third: got %d %v, want 200", res.status, res.body)
	}
	if got := srv.Count("/token"); got != 3 {
		t.Errorf("Count(/token): got %d, want 3 (failed requests are recorded)", got)
	}
	// Other endpoints were not affected.
	if resp, _ := get(t, srv.URL+"/jwks"); resp.StatusCode != http.StatusOK {
		t.Errorf("jwks: got %d, want 200", resp.StatusCode)
	}
}

func TestFailNextWithHijack(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	c := code(t, srv, authParams(srv))
	p := srv.Provider()
	cfg := oauth2.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoint: p.Endpoint, RedirectURL: testRedirect}

	srv.FailNextWithHijack("/token")
	_, err := cfg.Exchange(context.Background(), c)
	var re *oauth2.RetrieveError
	if err == nil || errors.As(err, &re) {
		t.Fatalf("exchange over a dropped connection: got %v, want a transport error", err)
	}
	if _, err := cfg.Exchange(context.Background(), c); err != nil {
		t.Errorf("exchange after the drop: got %v, want success (the code was never served)", err)
	}

	// A GET on a fresh connection fails too.
	tok, err := srv.IssueToken(alice)
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNextWithHijack("/api/whoami")
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("whoami: got %d, want a transport error", resp.StatusCode)
	}
}

func TestSetLatency(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})

	srv.SetLatency("/jwks", 50*time.Millisecond)
	start := time.Now()
	if resp, _ := get(t, srv.URL+"/jwks"); resp.StatusCode != http.StatusOK {
		t.Fatalf("status: got %d, want 200", resp.StatusCode)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("elapsed: got %v, want at least 50ms", d)
	}

	// A canceled request stops waiting at once.
	srv.SetLatency("/jwks", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/jwks", nil)
	start = time.Now()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("got an answer, want the client's deadline to end the request")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error: got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("elapsed: got %v, want the deadline to end the wait", d)
	}

	srv.SetLatency("/jwks", 0)
	if resp, _ := get(t, srv.URL+"/jwks"); resp.StatusCode != http.StatusOK {
		t.Errorf("after removing the latency: got %d, want 200", resp.StatusCode)
	}
}

func TestCloseEndsLatency(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true})
	srv.SetLatency("/jwks", time.Hour)
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/jwks")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Count("/jwks") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request never arrived")
		}
		time.Sleep(time.Millisecond) // poll with a deadline
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close blocked on a request waiting for its latency")
	}
	if err := <-done; err == nil {
		t.Error("the waiting request got an answer, want the connection closed")
	}
	srv.Close() // twice is fine
}

func TestExpireAccessTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	tok := mustTokens(t, srv, authParams(srv))
	at := tok.str("access_token")
	if resp, _ := callAPI(t, srv, "/api/whoami", at); resp.StatusCode != http.StatusOK {
		t.Fatalf("before: got %d, want 200", resp.StatusCode)
	}
	srv.ExpireAccessTokens()
	resp, _ := callAPI(t, srv, "/api/whoami", at)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("after: got %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	refreshed := postForm(t, srv, "/token", refreshForm(tok.str("refresh_token")), true)
	if refreshed.status != http.StatusOK {
		t.Fatalf("refresh: got %d %v, want 200", refreshed.status, refreshed.body)
	}
	if resp, _ := callAPI(t, srv, "/api/whoami", refreshed.str("access_token")); resp.StatusCode != http.StatusOK {
		t.Errorf("refreshed token: got %d, want 200", resp.StatusCode)
	}
}

func TestSetClock(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AccessTokenTTL: time.Minute})
	base := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	var mu sync.Mutex
	now := base
	srv.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	tok, err := srv.IssueToken(alice)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expiry.Equal(base.Add(time.Minute)) {
		t.Errorf("Expiry: got %v, want %v", tok.Expiry, base.Add(time.Minute))
	}
	if c := idClaims(t, tok.IDToken); c["iat"] != float64(base.Unix()) {
		t.Errorf("iat: got %v, want %d", c["iat"], base.Unix())
	}
	mu.Lock()
	now = base.Add(time.Minute)
	mu.Unlock()
	if resp, _ := callAPI(t, srv, "/api/whoami", tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("at expiry: got %d, want 401", resp.StatusCode)
	}
	reqs := srv.Requests()
	if got := reqs[len(reqs)-1].Time; !got.Equal(base.Add(time.Minute)) {
		t.Errorf("recorded Time: got %v, want %v", got, base.Add(time.Minute))
	}
	srv.SetClock(nil)
	if resp, _ := callAPI(t, srv, "/api/whoami", tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("real clock restored, token valid until 2031: got %d, want 200", resp.StatusCode)
	}
}

func TestRevokeAll(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	tok := mustTokens(t, srv, authParams(srv))
	issued, err := srv.IssueToken("1002")
	if err != nil {
		t.Fatal(err)
	}
	pending := code(t, srv, authParams(srv))
	srv.RevokeAll()
	for _, at := range []string{tok.str("access_token"), issued.AccessToken} {
		if resp, _ := callAPI(t, srv, "/api/whoami", at); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("access token: got %d, want 401", resp.StatusCode)
		}
	}
	for _, rt := range []string{tok.str("refresh_token"), issued.RefreshToken} {
		wantOAuthError(t, postForm(t, srv, "/token", refreshForm(rt), true), http.StatusBadRequest, "invalid_grant")
	}
	wantOAuthError(t, exchange(t, srv, pending), http.StatusBadRequest, "invalid_grant")
	// New logins work.
	mustTokens(t, srv, authParams(srv))
}

func TestIssueToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AccessTokenTTL: 2 * time.Hour})
	if _, err := srv.IssueToken("nobody"); err == nil || !strings.HasPrefix(err.Error(), "ginoauthtest: ") {
		t.Errorf("unknown user: got %v, want a ginoauthtest error", err)
	}
	before := time.Now()
	tok, err := srv.IssueToken("1002")
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.IDToken == "" {
		t.Errorf("got %v, want a Bearer token with refresh and ID tokens", tok)
	}
	if tok.Expiry.Before(before.Add(2*time.Hour)) || tok.Expiry.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("Expiry: got %v, want two hours from now", tok.Expiry)
	}
	if acct, _ := tok.Extra["test_account"].(map[string]any); acct["plan"] != "free" {
		t.Errorf("Extra: got %v, want test_account", tok.Extra)
	}
	if c := idClaims(t, tok.IDToken); c["sub"] != "1002" || c["aud"] != srv.ClientID() {
		t.Errorf("ID token: got sub %v aud %v", c["sub"], c["aud"])
	}
	if res := postForm(t, srv, "/token", refreshForm(tok.RefreshToken), true); res.status != http.StatusOK {
		t.Errorf("refresh: got %d, want 200", res.status)
	}
	if got := srv.Grants("authorization_code"); got != 0 {
		t.Errorf("Grants(authorization_code): got %d, want 0 (IssueToken makes no request)", got)
	}
}

func TestRequestsRecording(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	mustTokens(t, srv, with(authParams(srv), "nonce", "n"))
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2", len(reqs))
	}
	if r := reqs[0]; r.Method != "GET" || r.Path != "/authorize" || r.Form.Get("nonce") != "n" || r.ClientAuth != "" {
		t.Errorf("first: got %s %s form %v auth %q", r.Method, r.Path, r.Form, r.ClientAuth)
	}
	r := reqs[1]
	if r.Method != "POST" || r.Path != "/token" || r.ClientAuth != "basic" || r.Form.Get("grant_type") != "authorization_code" ||
		!strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") || r.Time.IsZero() {
		t.Errorf("second: got %s %s auth %q form %v", r.Method, r.Path, r.ClientAuth, r.Form)
	}
	reqs[1].Form.Set("grant_type", "changed")
	reqs[1].Header.Set("Authorization", "changed")
	if again := srv.Requests()[1]; again.Form.Get("grant_type") != "authorization_code" || again.Header.Get("Authorization") == "changed" {
		t.Error("Requests returned the server's own maps, want copies")
	}
	if got := srv.Grants("authorization_code"); got != 1 {
		t.Errorf("Grants: got %d, want 1", got)
	}
	srv.ResetRequests()
	if got := srv.Count("/authorize"); got != 0 {
		t.Errorf("Count after reset: got %d, want 0", got)
	}
}

// TestConcurrentUse exercises the server and its controls from many
// goroutines at once; run it with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, RotateRefreshTokens: true})
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	for i := range workers {
		wg.Go(func() {
			q := with(authParams(srv), "state", fmt.Sprint("w", i))
			resp, err := noFollow.Get(srv.URL + "/authorize?" + q.Encode())
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			cfg := oauth2.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), Endpoint: srv.Provider().Endpoint, RedirectURL: testRedirect}
			tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"))
			if err != nil {
				errs <- fmt.Errorf("worker %d exchange: %w", i, err)
				return
			}
			if _, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
				errs <- fmt.Errorf("worker %d refresh: %w", i, err)
			}
			if _, err := srv.IssueToken(alice); err != nil {
				errs <- err
			}
			srv.SetLatency("/jwks", time.Duration(i)*time.Microsecond)
			srv.FailNext("/nowhere", 500, "")
			srv.ExpireAccessTokens()
			_ = srv.Requests()
			_ = srv.Count("/token")
			_ = srv.Grants("refresh_token")
			srv.SetClock(time.Now)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.Grants("authorization_code"); got != workers {
		t.Errorf("Grants(authorization_code): got %d, want %d", got, workers)
	}
}
