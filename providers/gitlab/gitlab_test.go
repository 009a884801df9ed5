package gitlab_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/gitlab"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// GitLab's documented answer for GET /api/v4/user (abridged).
const user = `{
	"id": 1,
	"username": "john_smith",
	"email": "john@example.com",
	"name": "John Smith",
	"state": "active",
	"locked": false,
	"avatar_url": "http://localhost:3000/uploads/user/avatar/1/index.jpg",
	"web_url": "http://localhost:3000/john_smith",
	"created_at": "2012-05-23T08:00:58Z",
	"public_email": "john@example.com",
	"confirmed_at": %s,
	"two_factor_enabled": true
}`

func TestProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		confirmedAt string
		want        bool
	}{
		{"confirmed", `"2012-05-23T09:05:22Z"`, true},
		{"unconfirmed", `null`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "gitlab.example.com/api/v4/user" || r.Header.Get("Authorization") != "Bearer at" {
					t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
					http.NotFound(w, r)
					return
				}
				_, _ = io.WriteString(w, strings.Replace(user, "%s", tt.confirmedAt, 1))
			}))
			defer srv.Close()
			bp, err := gitlab.New(gitlab.Config{Hostname: "gitlab.example.com",
				Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "1" || got.Username != "john_smith" || got.Name != "John Smith" || got.Email != "john@example.com" ||
				got.AvatarURL != "http://localhost:3000/uploads/user/avatar/1/index.jpg" || got.EmailVerified != tt.want {
				t.Errorf("got %+v, want GitLab's user mapped with EmailVerified %v", got, tt.want)
			}
		})
	}
}

// TestInsecureSkipVerify runs a login against a GitLab whose certificate
// is self-signed: it fails unless InsecureSkipVerify is set.
func TestInsecureSkipVerify(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer"})
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	for _, insecure := range []bool{false, true} {
		var gotErr *ginoauth.Error
		base := &http.Client{Timeout: 5 * time.Second}
		bp, err := gitlab.New(gitlab.Config{
			Hostname: host, InsecureSkipVerify: insecure,
			Config: ginoauth.Config{ClientID: "cid", ClientSecret: "cs", HTTPClient: base,
				Hooks: ginoauth.Hooks{Error: func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { gotErr = err }}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if base.Transport != nil {
			t.Errorf("New changed the caller's HTTPClient")
		}
		gin.SetMode(gin.TestMode)
		r := gin.New()
		r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
		bp.Register(r.Group("/login"))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login/gitlab", nil))
		loc, _ := url.Parse(w.Header().Get("Location"))
		req := httptest.NewRequest(http.MethodGet, "/login/gitlab/authorized?code=c&state="+loc.Query().Get("state"), nil)
		for _, c := range w.Result().Cookies() {
			req.AddCookie(c)
		}
		w = httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if insecure {
			if gotErr != nil || w.Code != http.StatusFound {
				t.Errorf("InsecureSkipVerify: got %d %v, want the login to succeed", w.Code, gotErr)
			}
			continue
		}
		if gotErr == nil || gotErr.Kind != ginoauth.KindExchangeFailed || !strings.Contains(gotErr.Error(), "certificate") {
			t.Errorf("verified TLS: got %v, want a certificate error", gotErr)
		}
	}
}

type customTransport struct{}

func (customTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("unused")
}

func TestInsecureSkipVerifyCustomTransport(t *testing.T) {
	t.Parallel()
	_, err := gitlab.New(gitlab.Config{InsecureSkipVerify: true,
		Config: ginoauth.Config{ClientID: "cid", HTTPClient: &http.Client{Transport: customTransport{}}}})
	if err == nil || !strings.Contains(err.Error(), "*http.Transport") {
		t.Errorf("got %v, want an error about the transport type", err)
	}
}
