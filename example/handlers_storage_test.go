package main

import (
	"context"
	"crypto/rand"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth/ginoauthtest"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// TestPostgreSQL runs the app on PostgreSQL, in a schema of its own.
func TestPostgreSQL(t *testing.T) {
	dsn := os.Getenv("GINOAUTH_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("set GINOAUTH_POSTGRES_DSN (e.g. \"host=127.0.0.1 user=postgres dbname=test sslmode=disable\") to test PostgreSQL")
	}
	t.Parallel()
	admin, err := gorm.Open(postgres.Open(dsn), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	schema := "example_" + strings.ToLower(rand.Text()[:10])
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	})
	_, ts := startApp(t, func(c *config) { c.DatabaseURL = dsn + " search_path=" + schema })
	v := newVisitor(t, ts)
	v.login("dev", "1003")
	id := v.localUser()
	v.post("/logout", url.Values{"csrf_token": {v.csrf()}})
	v.login("dev", "1003")
	if got := v.localUser(); id == "" || got != id {
		t.Errorf("on PostgreSQL: got local user %q after logging in again, want %q", got, id)
	}
}

func TestProfileRefreshesAnExpiredToken(t *testing.T) {
	t.Parallel()
	a, ts := startApp(t, nil)
	v := newVisitor(t, ts)
	v.login("dev", "1002")
	expireStoredToken(t, a, "dev", v.localUser())
	refreshes := a.dev.Grants("refresh_token")
	p := v.get("/profile/dev")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="api-status">200 OK<`) || !strings.Contains(p.Body, "bob@example.com") {
		t.Fatalf("profile with an expired token: got %d %q, want the API's answer", p.Status, p.Body)
	}
	if got := a.dev.Grants("refresh_token"); got != refreshes+1 {
		t.Errorf("refresh grants: got %d, want %d", got, refreshes+1)
	}
	tok, err := a.store.UserRef("dev", v.localUser()).Load(context.Background())
	if err != nil || !tok.Expiry.After(time.Now()) {
		t.Errorf("stored token after the refresh: got %v, %v; want a fresh one saved", tok, err)
	}
}

// TestProvidersFromEnvironment turns on every real provider with fake
// credentials, and the generic OpenID Connect one against a local test
// provider, which it logs in with.
func TestProvidersFromEnvironment(t *testing.T) {
	idp := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1002"})
	defer idp.Close()
	for k, v := range map[string]string{
		"GITHUB_OAUTH_CLIENT_ID": "gh-id", "GITHUB_OAUTH_CLIENT_SECRET": "gh-secret",
		"GOOGLE_OAUTH_CLIENT_ID": "go-id", "GOOGLE_OAUTH_CLIENT_SECRET": "go-secret",
		"GITLAB_OAUTH_CLIENT_ID": "gl-id", "GITLAB_OAUTH_CLIENT_SECRET": "gl-secret",
		"DISCORD_OAUTH_CLIENT_ID": "dc-id", "DISCORD_OAUTH_CLIENT_SECRET": "dc-secret",
		"OIDC_ISSUER": idp.URL, "OIDC_OAUTH_CLIENT_ID": idp.ClientID(), "OIDC_OAUTH_CLIENT_SECRET": idp.ClientSecret(),
	} {
		t.Setenv(k, v)
	}
	_, ts := startApp(t, nil)
	v := newVisitor(t, ts)
	home := v.get("/").Body
	for _, label := range []string{"Dev", "Sandbox", "GitHub", "Google", "GitLab", "Discord", "OpenID Connect"} {
		if !strings.Contains(home, "Log in with "+label+"<") {
			t.Errorf("home: no %q login button", label)
		}
	}

	tests := []struct{ provider, wantPrefix string }{
		{"github", "https://github.com/login/oauth/authorize?"},
		{"google", "https://accounts.google.com/"},
		{"gitlab", "https://gitlab.com/oauth/authorize?"},
		{"discord", "https://discord.com/"},
		{"oidc", idp.URL + "/authorize?"},
	}
	for _, tt := range tests {
		p := v.post("/login/"+tt.provider, url.Values{"csrf_token": {v.csrf()}})
		if p.Status != http.StatusFound || !strings.HasPrefix(p.Location, tt.wantPrefix) {
			t.Errorf("POST /login/%s: got %d to %q, want a redirect to %s", tt.provider, p.Status, p.Location, tt.wantPrefix)
		}
	}

	// A whole login through discovery, with a verified ID token.
	p := v.post("/login/oidc", url.Values{"csrf_token": {v.csrf()}})
	home = v.follow(p.Location).Body
	if !strings.Contains(home, "Welcome, Bob Builder! You are logged in with OpenID Connect.") {
		t.Fatalf("after the OpenID Connect login: got %q, want a welcome", home)
	}
	prof := v.get("/profile/oidc")
	if prof.Status != http.StatusOK || !strings.Contains(html.UnescapeString(prof.Body), `"id": "1002"`) {
		t.Errorf("OpenID Connect profile: got %d %q, want user 1002's profile", prof.Status, prof.Body)
	}
}

// TestRestartWithAnotherTokenKey restarts the app on the same database and
// session key but a new token key, as happens when TOKEN_KEY is not set:
// the stored token cannot be read until the user logs in again.
func TestRestartWithAnotherTokenKey(t *testing.T) {
	t.Parallel()
	dbPath, sessionKey := filepath.Join(t.TempDir(), "shared.db"), []byte(rand.Text())
	shared := func(c *config) { c.DBPath, c.SessionKey = dbPath, sessionKey }
	_, before := startApp(t, shared)
	v := newVisitor(t, before)
	v.login("dev", "1001")
	id := v.localUser()
	before.Close()

	_, after := startApp(t, shared) // a new random token key
	v.base = after.URL              // same cookies (a cookie jar ignores ports)
	if got := v.localUser(); got != id {
		t.Fatalf("after the restart: got local user %q, want %q", got, id)
	}
	p := v.get("/profile/dev")
	if body := html.UnescapeString(p.Body); p.Status != http.StatusInternalServerError || !strings.Contains(body, "Please log in again") {
		t.Fatalf("profile with an unreadable token: got %d %q, want the log-in-again page", p.Status, body)
	}
	v.login("dev", "1001")
	if got := v.localUser(); got != id {
		t.Errorf("after logging in again: got local user %q, want %q", got, id)
	}
	if p := v.get("/profile/dev"); p.Status != http.StatusOK || !strings.Contains(p.Body, "alice@example.com") {
		t.Errorf("profile after logging in again: got %d %q", p.Status, p.Body)
	}
}

// TestSignUpKeepsOnlyVerifiedEmails: the outside review's pre-account
// takeover. A user signed up through a provider that did not verify the
// address gets no email: an address nobody proved never identifies a user.
func TestSignUpKeepsOnlyVerifiedEmails(t *testing.T) {
	t.Parallel()
	a, ts := startApp(t, nil)
	for _, tc := range []struct {
		user, want string
	}{{"1003", ""}, {"1001", "alice@example.com"}} { // carol's address is unverified, alice's verified
		v := newVisitor(t, ts)
		v.login("dev", tc.user)
		id := v.localUser()
		var u User
		if err := a.db.First(&u, id).Error; err != nil {
			t.Fatal(err)
		}
		if u.Email != tc.want {
			t.Errorf("provider user %s: local email %q, want %q", tc.user, u.Email, tc.want)
		}
	}
}

// TestLogoutEndsCopiedSessions: the outside review found that a session
// cookie copied before the logout stayed valid for 30 days. Logging out
// ends every copy of the session.
func TestLogoutEndsCopiedSessions(t *testing.T) {
	t.Parallel()
	_, ts := startApp(t, nil)
	v := newVisitor(t, ts)
	v.login("dev", "1001")
	if v.localUser() == "" {
		t.Fatal("not logged in")
	}
	u, _ := url.Parse(ts.URL)
	stolen := v.c.Jar.Cookies(u) // copied by an attacker before the logout
	if p := v.post("/logout", url.Values{"csrf_token": {v.csrf()}}); p.Status != http.StatusSeeOther {
		t.Fatalf("logout: got %d", p.Status)
	}
	thief := newVisitor(t, ts)
	thief.c.Jar.SetCookies(u, stolen)
	if got := thief.localUser(); got != "" {
		t.Errorf("the copied session still logs in user %q after the logout", got)
	}
	if p := thief.get("/profile/dev"); p.Status == http.StatusOK {
		t.Errorf("the copied session still reaches the profile: %d", p.Status)
	}
	// The user logs in again and is the same user.
	v.login("dev", "1001")
	if v.localUser() == "" {
		t.Error("logging in again after the logout failed")
	}
}
