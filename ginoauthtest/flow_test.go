package ginoauthtest_test

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// app is a small gin application with one blueprint for a test provider.
type app struct {
	url     string
	bp      *ginoauth.Blueprint
	browser *http.Client
	clock   ginoauthtest.Clock // the app's clock
}

// newApp serves a blueprint for srv with the routes
// /login/{name}, /login/{name}/authorized, /me (profile), /whoami (API),
// /token (the stored access token), /logout and /as/:user (IssueToken).
func newApp(t *testing.T, srv *ginoauthtest.Server, change func(p *ginoauth.Provider)) *app {
	t.Helper()
	gin.SetMode(gin.TestMode)
	p := srv.Provider()
	if change != nil {
		change(&p)
	}
	a := &app{}
	bp, err := ginoauth.New(p, ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		Now: a.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("flow-test-authentication-key-32b"))))
	bp.Register(r.Group("/login"))
	r.GET("/me", bp.Required(), func(c *gin.Context) {
		prof, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "profile failed")
			return
		}
		c.String(http.StatusOK, "%s|%s", prof.ID, prof.Name)
	})
	r.GET("/whoami", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusInternalServerError, "no client")
			return
		}
		resp, err := client.Get("whoami")
		if errors.Is(err, ginoauth.KindReauthRequired) {
			c.String(http.StatusUnauthorized, "reauth")
			return
		}
		if err != nil {
			c.String(http.StatusBadGateway, "api failed")
			return
		}
		resp.Body.Close()
		c.String(resp.StatusCode, "api %d", resp.StatusCode)
	})
	r.GET("/token", func(c *gin.Context) {
		tok, err := bp.Token(c)
		if err != nil {
			c.String(http.StatusNotFound, "none")
			return
		}
		c.String(http.StatusOK, tok.AccessToken)
	})
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			c.String(http.StatusBadGateway, "logout failed")
			return
		}
		c.String(http.StatusOK, "bye")
	})
	r.GET("/as/:user", func(c *gin.Context) {
		tok, err := srv.IssueToken(c.Param("user"))
		if err == nil {
			err = bp.SetToken(c, tok)
		}
		if err != nil {
			c.String(http.StatusInternalServerError, "login failed")
			return
		}
		c.String(http.StatusOK, "logged in")
	})
	ts := httptest.NewServer(r)
	t.Cleanup(ts.Close)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	a.url, a.bp, a.browser = ts.URL, bp, &http.Client{Jar: jar}
	return a
}

func (a *app) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := a.browser.Get(a.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp, readBody(t, resp)
}

func TestFlowAutoApprove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      ginoauthtest.Config
		change   func(p *ginoauth.Provider)
		wantAuth string
	}{
		{"defaults", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice}, nil, "basic"},
		{"issuer parameter required", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, SendIssuer: true}, nil, "basic"},
		{"PKCE required", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, RequirePKCE: true}, nil, "basic"},
		{"public client", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, PublicClient: true}, nil, "none"},
		{"client_secret_post", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice}, func(p *ginoauth.Provider) {
			p.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		}, "post"},
		{"form_post callback", ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice}, nil, "basic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.cfg)
			change := tt.change
			formPost := tt.name == "form_post callback"
			if formPost {
				change = func(p *ginoauth.Provider) {
					p.FormPostCallback = true
					p.AuthParams = map[string]string{"response_mode": "form_post"}
				}
			}
			a := newApp(t, srv, change)
			resp, body := a.get(t, "/me")
			if formPost {
				// A browser would run the page's script; post its form.
				action, fields := parseForm(t, body)
				if !strings.HasPrefix(action, a.url+"/login/test/authorized") {
					t.Fatalf("form action: got %q, want the callback", action)
				}
				var err error
				resp, err = a.browser.PostForm(action, fields)
				if err != nil {
					t.Fatal(err)
				}
				body = readBody(t, resp)
			}
			if resp.StatusCode != http.StatusOK || body != alice+"|Alice Liddell" {
				t.Fatalf("got %d %q, want 200 %q", resp.StatusCode, body, alice+"|Alice Liddell")
			}
			if got := srv.Grants("authorization_code"); got != 1 {
				t.Errorf("code exchanges: got %d, want 1", got)
			}
			for _, r := range srv.Requests() {
				if r.Path == "/authorize" && r.Form.Get("code_challenge_method") != "S256" {
					t.Errorf("authorization request without S256 PKCE: %v", r.Form)
				}
				if r.Path == "/token" && r.ClientAuth != tt.wantAuth {
					t.Errorf("client authentication: got %q, want %q", r.ClientAuth, tt.wantAuth)
				}
			}
		})
	}
}

func TestFlowChooser(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	t.Run("pick bob", func(t *testing.T) {
		t.Parallel()
		a := newApp(t, srv, nil)
		resp, page := a.get(t, "/me")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Bob Builder") {
			t.Fatalf("got %d, want the chooser page", resp.StatusCode)
		}
		action, fields := parseForm(t, page)
		fields.Set("user", "1002")
		resp, err := a.browser.PostForm(action, fields)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != http.StatusOK || body != "1002|Bob Builder" {
			t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, "1002|Bob Builder")
		}
	})
	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		a := newApp(t, srv, nil)
		_, page := a.get(t, "/me")
		action, fields := parseForm(t, page)
		fields.Set("deny", "1")
		resp, err := a.browser.PostForm(action, fields)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "declined") {
			t.Errorf("got %d %q, want the blueprint's 400 page for access_denied", resp.StatusCode, body)
		}
		if _, body := a.get(t, "/token"); body != "none" {
			t.Errorf("stored token after deny: got %q, want none", body)
		}
	})
}

// TestFlowRefreshRotation checks that the blueprint refreshes an expired
// token and keeps the rotated refresh token: each refresh must spend the
// refresh token the previous one returned.
func TestFlowRefreshRotation(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice, RotateRefreshTokens: true, AccessTokenTTL: 5 * time.Second})
	a := newApp(t, srv, nil)
	if resp, body := a.get(t, "/me"); resp.StatusCode != http.StatusOK {
		t.Fatalf("login: got %d %q", resp.StatusCode, body)
	}
	for i := range 3 {
		a.clock.Advance(6 * time.Second) // the token has expired

		if resp, body := a.get(t, "/whoami"); resp.StatusCode != http.StatusOK || body != "api 200" {
			t.Fatalf("call %d: got %d %q, want 200 api 200", i, resp.StatusCode, body)
		}
	}
	var spent []string
	for _, r := range srv.Requests() {
		if r.Path == "/token" && r.Form.Get("grant_type") == "refresh_token" {
			spent = append(spent, r.Form.Get("refresh_token"))
		}
	}
	if len(spent) != 3 {
		t.Fatalf("refresh requests: got %d, want 3 (one per expiry)", len(spent))
	}
	for i := 1; i < len(spent); i++ {
		if spent[i] == spent[i-1] {
			t.Errorf("refresh %d reused the previous refresh token; the rotated one was not saved", i)
		}
	}
}

func TestFlowExpiredTokenAtProvider(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	a := newApp(t, srv, nil)
	a.get(t, "/me")
	srv.ExpireAccessTokens()
	// The client still believes its token is valid, so the API answers 401;
	// the client then refreshes once and retries.
	if resp, body := a.get(t, "/whoami"); body != "api 200" {
		t.Errorf("got %d %q, want the retried call's 200", resp.StatusCode, body)
	}
	if got := srv.Grants("refresh_token"); got != 1 {
		t.Errorf("refresh grants: got %d, want 1", got)
	}
	// Without a usable grant the call fails with KindReauthRequired, and
	// the dead token is dropped.
	srv.RevokeAll()
	srv.ExpireAccessTokens()
	if resp, body := a.get(t, "/whoami"); body != "reauth" {
		t.Errorf("got %d %q, want reauth", resp.StatusCode, body)
	}
	if _, body := a.get(t, "/token"); body != "none" {
		t.Errorf("stored token after a refused refresh: got %q, want none", body)
	}
}

func TestFlowIssueTokenAndLogout(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	a := newApp(t, srv, nil)
	if _, body := a.get(t, "/as/1003"); body != "logged in" {
		t.Fatalf("log in as: got %q", body)
	}
	if resp, body := a.get(t, "/me"); resp.StatusCode != http.StatusOK || body != "1003|Carol Danvers" {
		t.Fatalf("profile: got %d %q", resp.StatusCode, body)
	}
	_, at := a.get(t, "/token")
	if resp, body := a.get(t, "/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: got %d %q", resp.StatusCode, body)
	}
	var revoke *ginoauthtest.Request
	for _, r := range srv.Requests() {
		if r.Path == "/revoke" {
			revoke = &r
		}
	}
	if revoke == nil || revoke.ClientAuth != "basic" || revoke.Form.Get("token_type_hint") != "refresh_token" {
		t.Fatalf("revocation request: got %+v, want a refresh token revocation with basic auth", revoke)
	}
	if resp, _ := callAPI(t, srv, "/api/whoami", at); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("access token after logout: got %d, want 401", resp.StatusCode)
	}
	if _, body := a.get(t, "/token"); body != "none" {
		t.Errorf("stored token after logout: got %q, want none", body)
	}
	// Required sends the browser to log in again: the chooser page.
	if resp, page := a.get(t, "/me"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Sign in with test") {
		t.Errorf("after logout: got %d, want the chooser", resp.StatusCode)
	}
}
