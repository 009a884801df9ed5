package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/ginoauth/ginoauth/backends/gormstore"
)

func TestLoginStartsOnlyWithPostAndCSRF(t *testing.T) {
	t.Parallel()
	_, ts := startApp(t, nil)
	other := newVisitor(t, ts).csrf() // a valid token, of another session

	tests := []struct {
		name       string
		method     string
		token      func(v *visitor) string // nil: no token sent
		wantStatus int
		wantIn     string // in the body, or in Location for redirects
	}{
		{"GET redirects home", http.MethodGet, nil, http.StatusSeeOther, "/"},
		{"POST without token", http.MethodPost, nil, http.StatusForbidden, "This form has expired"},
		{"POST with a wrong token", http.MethodPost, func(*visitor) string { return "not-the-token" }, http.StatusForbidden, "This form has expired"},
		{"POST with another session's token", http.MethodPost, func(*visitor) string { return other }, http.StatusForbidden, "This form has expired"},
		{"POST with the session's token", http.MethodPost, (*visitor).csrf, http.StatusFound, "/dev-provider/authorize?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVisitor(t, ts)
			v.get("/") // a session with a CSRF token
			var p page
			if tt.method == http.MethodGet {
				p = v.get("/login/dev")
			} else {
				form := url.Values{}
				if tt.token != nil {
					form.Set("csrf_token", tt.token(v))
				}
				p = v.post("/login/dev", form)
			}
			if p.Status != tt.wantStatus {
				t.Fatalf("status: got %d, want %d", p.Status, tt.wantStatus)
			}
			if got := p.Body + p.Location; !strings.Contains(got, tt.wantIn) {
				t.Errorf("response: got %q, want it to contain %q", got, tt.wantIn)
			}
		})
	}

	t.Run("the redirect carries PKCE and a state", func(t *testing.T) {
		v := newVisitor(t, ts)
		p := v.post("/login/dev", url.Values{"csrf_token": {v.csrf()}})
		u, err := url.Parse(p.Location)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
			t.Errorf("authorization URL query: got %v, want an S256 code challenge and a state", q)
		}
	})
}

func TestErrorPages(t *testing.T) {
	t.Parallel()
	a, ts := startApp(t, nil)

	tests := []struct {
		name       string
		run        func(v *visitor) page
		wantStatus int
		wantTitle  string
		wantKind   string
	}{
		{
			name:       "denied",
			run:        func(v *visitor) page { return v.answer(v.startLogin("dev"), "dev", "") },
			wantStatus: http.StatusBadRequest, wantTitle: "Login cancelled", wantKind: "provider_denied",
		},
		{
			name: "state expired or replayed",
			run: func(v *visitor) page {
				v.get("/")
				return v.get("/login/dev/authorized?code=abc&state=never-issued")
			},
			wantStatus: http.StatusBadRequest, wantTitle: "This login has expired", wantKind: "state_missing",
		},
		{
			name: "provider down during login",
			run: func(v *visitor) page {
				chooser := v.startLogin("sandbox")
				a.sandbox.FailNext("/token", http.StatusServiceUnavailable, "down for maintenance")
				return v.answer(chooser, "sandbox", "1002")
			},
			wantStatus: http.StatusBadGateway, wantTitle: "Sandbox is not answering", wantKind: "exchange_failed",
		},
		{
			name: "provider down during a token refresh",
			run: func(v *visitor) page {
				v.login("dev", "1003")
				expireStoredToken(t, a, "dev", v.localUser())
				a.dev.FailNext("/token", http.StatusServiceUnavailable, "down for maintenance")
				return v.get("/profile/dev")
			},
			wantStatus: http.StatusBadGateway, wantTitle: "Dev is not answering", wantKind: "refresh_failed",
		},
		{
			name: "account linked to another user",
			run: func(v *visitor) page {
				first := newVisitor(t, ts)
				first.login("dev", "1001")
				first.login("sandbox", "1001") // sandbox's 1001 now belongs to this user
				v.login("dev", "1002")
				return v.login("sandbox", "1001")
			},
			wantStatus: http.StatusInternalServerError, wantTitle: "Account already in use", wantKind: "hook_failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.run(newVisitor(t, ts))
			if p.Status != tt.wantStatus {
				t.Errorf("status: got %d, want %d", p.Status, tt.wantStatus)
			}
			body := html.UnescapeString(p.Body)
			if !strings.Contains(body, `id="error-title">`+tt.wantTitle+"<") {
				t.Errorf("page: got %q, want the title %q", body, tt.wantTitle)
			}
			if !strings.Contains(body, `id="error-kind">`+tt.wantKind+"<") {
				t.Errorf("page: want the error kind %q", tt.wantKind)
			}
			if !strings.Contains(body, `name="csrf_token"`) {
				t.Error("page: want a Try again form carrying the CSRF token")
			}
		})
	}
}

// expireStoredToken makes the user's stored token look expired, so the next
// API call refreshes it.
func expireStoredToken(t *testing.T, a *app, provider, userID string) {
	t.Helper()
	ctx := context.Background()
	tok, err := a.store.UserRef(provider, userID).Load(ctx)
	if err != nil {
		t.Fatalf("load token: %v", err)
	}
	tok = tok.Clone()
	tok.Expiry = time.Now().Add(-time.Minute)
	if _, err := a.store.UserRef(provider, userID).Swap(ctx, nil, tok); err != nil {
		t.Fatalf("save token: %v", err)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	_, ts := startApp(t, nil)
	v := newVisitor(t, ts)
	home := v.login("dev", "1002")
	if !strings.Contains(home.Body, "Welcome, Bob Example!") {
		t.Fatalf("after login: want the welcome flash, got %q", home.Body)
	}
	id := v.localUser()
	if id == "" {
		t.Fatal("after login: no local user on the home page")
	}

	if p := v.post("/logout", url.Values{"csrf_token": {"forged"}}); p.Status != http.StatusForbidden {
		t.Errorf("logout with a forged token: got %d, want %d", p.Status, http.StatusForbidden)
	}
	if got := v.localUser(); got != id {
		t.Fatalf("after a forged logout: got user %q, want still %q", got, id)
	}

	p := v.post("/logout", url.Values{"csrf_token": {v.csrf()}})
	if p.Status != http.StatusSeeOther || p.Location != "/" {
		t.Fatalf("logout: got %d to %q, want 303 to /", p.Status, p.Location)
	}
	home = v.get("/")
	if !strings.Contains(home.Body, "You are logged out.") || !strings.Contains(home.Body, "Log in with Dev") {
		t.Errorf("home after logout: want the flash and the login buttons, got %q", home.Body)
	}
	if got := v.localUser(); got != "" {
		t.Errorf("after logout: got user %q, want nobody", got)
	}
	if p := v.get("/profile/dev"); p.Status != http.StatusSeeOther {
		t.Errorf("profile after logout: got %d, want %d", p.Status, http.StatusSeeOther)
	}

	v.login("dev", "1002")
	if got := v.localUser(); got != id {
		t.Errorf("logging in again: got local user %q, want %q", got, id)
	}
}

func TestConnectAndDisconnect(t *testing.T) {
	t.Parallel()
	a, ts := startApp(t, nil)
	v := newVisitor(t, ts)
	v.login("dev", "1001")
	id := v.localUser()

	home := v.login("sandbox", "1003")
	if !strings.Contains(home.Body, "Connected your Sandbox account.") || !strings.Contains(home.Body, `data-provider="sandbox"`) {
		t.Fatalf("after connecting: want the flash and the sandbox account, got %q", home.Body)
	}
	if got := v.localUser(); got != id {
		t.Fatalf("connecting changed the local user: got %q, want %q", got, id)
	}
	p := v.get("/profile/sandbox")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Carol Example") {
		t.Fatalf("sandbox profile: got %d %q, want the API's answer about Carol", p.Status, p.Body)
	}

	accounts, err := a.accounts(context.Background(), id)
	if err != nil || len(accounts) != 2 {
		t.Fatalf("accounts: got %v, %v; want 2", accounts, err)
	}
	byProvider := map[string]OAuthAccount{}
	for _, acc := range accounts {
		byProvider[acc.Provider] = acc
	}
	if got := byProvider["sandbox"].AvatarURL; !strings.HasSuffix(got, "/static/avatars/carol.svg") {
		t.Errorf("sandbox avatar: got %q, want carol's", got)
	}

	disconnect := func(acc OAuthAccount) page {
		return v.post(fmt.Sprintf("/accounts/%d/disconnect", acc.ID), url.Values{"csrf_token": {v.csrf()}})
	}
	if p := v.post(fmt.Sprintf("/accounts/%d/disconnect", byProvider["sandbox"].ID), nil); p.Status != http.StatusForbidden {
		t.Errorf("disconnect without a token: got %d, want %d", p.Status, http.StatusForbidden)
	}
	revokes := a.sandbox.Count("/revoke")
	if p := disconnect(byProvider["sandbox"]); p.Status != http.StatusSeeOther {
		t.Fatalf("disconnect: got %d, want %d", p.Status, http.StatusSeeOther)
	}
	if got := a.sandbox.Count("/revoke"); got != revokes+1 {
		t.Errorf("revocation requests: got %d, want %d", got, revokes+1)
	}
	home = v.get("/")
	if strings.Contains(home.Body, `data-provider="sandbox"`) || !strings.Contains(home.Body, "Disconnected your Sandbox account") {
		t.Errorf("home after disconnect: want the flash and no sandbox account, got %q", home.Body)
	}

	// The last account stays: it is the only way to log in.
	disconnect(byProvider["dev"])
	home = v.get("/")
	if !strings.Contains(home.Body, "only account you log in with") || !strings.Contains(home.Body, `data-provider="dev"`) {
		t.Errorf("disconnecting the last account: want it kept with a flash, got %q", home.Body)
	}

	// Another user's account cannot be disconnected.
	intruder := newVisitor(t, ts)
	intruder.login("dev", "1002")
	intruder.post(fmt.Sprintf("/accounts/%d/disconnect", byProvider["dev"].ID), url.Values{"csrf_token": {intruder.csrf()}})
	if got, err := a.accounts(context.Background(), id); err != nil || len(got) != 1 {
		t.Errorf("after another user's attempt: got %v, %v; want the account kept", got, err)
	}
}

func TestTokensEncryptedAtRest(t *testing.T) {
	t.Parallel()
	a, ts := startApp(t, nil)
	v := newVisitor(t, ts)
	v.login("dev", "1001")
	var rows []gormstore.Account
	if err := a.db.Table(gormstore.DefaultTable).Find(&rows).Error; err != nil || len(rows) != 1 {
		t.Fatalf("rows: got %d, %v; want 1", len(rows), err)
	}
	if got := rows[0].Token; !strings.HasPrefix(got, "gcm2:") || strings.Contains(got, "access_token") {
		t.Errorf("stored token: got a value starting %q, want an AES-GCM sealed token", got[:min(len(got), 8)])
	}
}

func TestPagesWithoutLogin(t *testing.T) {
	t.Parallel()
	_, ts := startApp(t, nil)
	tests := []struct {
		name, path string
		wantStatus int
		wantIn     string
	}{
		{"home", "/", http.StatusOK, "Log in with Dev"},
		{"profile", "/profile/dev", http.StatusSeeOther, ""},
		{"unknown provider", "/profile/nope", http.StatusSeeOther, ""},
		{"not found", "/nope", http.StatusNotFound, "Page not found"},
		{"stylesheet", "/static/style.css", http.StatusOK, ".card"},
		{"avatar", "/static/avatars/alice.svg", http.StatusOK, "<svg"},
		{"dev provider discovery", "/dev-provider/.well-known/openid-configuration", http.StatusOK, `"issuer"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newVisitor(t, ts).get(tt.path)
			if p.Status != tt.wantStatus || !strings.Contains(p.Body, tt.wantIn) {
				t.Errorf("GET %s: got %d %q, want %d with %q", tt.path, p.Status, p.Body, tt.wantStatus, tt.wantIn)
			}
		})
	}
}

// TestRedisSessions runs a login with sessions in Redis.
func TestRedisSessions(t *testing.T) {
	addr := os.Getenv("GINOAUTH_REDIS_ADDR")
	if addr == "" {
		t.Skip("set GINOAUTH_REDIS_ADDR (e.g. 127.0.0.1:6379) to test Redis sessions")
	}
	// A database of its own, so the test can count what the app wrote.
	const db = 7
	conn, err := redigo.Dial("tcp", addr, redigo.DialDatabase(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Do("FLUSHDB"); err != nil {
		t.Fatal(err)
	}
	_, ts := startApp(t, func(c *config) { c.RedisURL = fmt.Sprintf("redis://%s/%d", addr, db) })
	v := newVisitor(t, ts)
	v.login("dev", "1001")
	if v.localUser() == "" {
		t.Fatal("with Redis sessions: not logged in after the login")
	}
	if p := v.get("/profile/dev"); p.Status != http.StatusOK || !strings.Contains(p.Body, "alice@example.com") {
		t.Errorf("profile: got %d %q", p.Status, p.Body)
	}
	keys, err := redigo.Strings(conn.Do("KEYS", "session_*"))
	if err != nil || len(keys) == 0 {
		t.Fatalf("Redis holds no session after the login: %v, %v", keys, err)
	}
	u, _ := url.Parse(ts.URL)
	for _, c := range v.c.Jar.Cookies(u) {
		if len(c.Value) > 300 {
			t.Errorf("cookie %s is %d bytes: the session should be in Redis, the cookie only its ID", c.Name, len(c.Value))
		}
	}
	_, _ = conn.Do("FLUSHDB")
}
