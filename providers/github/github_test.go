package github_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/github"
)

// ref is a TokenRef over one in-memory token.
type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const userJSON = `{"login":"octocat","id":583231,"node_id":"MDQ6VXNlcjU4MzIzMQ==",
		"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","name":"The Octocat",
		"email":%s,"type":"User"}`
	tests := []struct {
		name         string
		email        string // JSON value of /user's email
		emails       string // /user/emails body; "" answers 404 (no user:email scope)
		wantEmail    string
		wantVerified bool
	}{
		{"public verified", `"octo@example.com"`,
			`[{"email":"octo@example.com","primary":false,"verified":true,"visibility":"public"},
			  {"email":"main@example.com","primary":true,"verified":true,"visibility":"private"}]`,
			"octo@example.com", true},
		{"public unverified in list", `"octo@example.com"`,
			`[{"email":"octo@example.com","primary":true,"verified":false,"visibility":"public"}]`,
			"octo@example.com", false},
		{"private primary verified", `null`,
			`[{"email":"other@example.com","primary":false,"verified":true,"visibility":null},
			  {"email":"main@example.com","primary":true,"verified":true,"visibility":"private"}]`,
			"main@example.com", true},
		{"private primary unverified", `null`,
			`[{"email":"main@example.com","primary":true,"verified":false,"visibility":"private"}]`,
			"main@example.com", false},
		{"public without scope", `"octo@example.com"`, "", "octo@example.com", false},
		{"nothing without scope", `null`, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(fmt.Sprintf(userJSON, tt.email))
			mux := http.NewServeMux()
			mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				w.Write(body)
			})
			mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
				if tt.emails == "" {
					http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
					return
				}
				w.Write([]byte(tt.emails))
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()

			p := github.Provider(github.Config{})
			p.APIBaseURL = srv.URL + "/"
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
			if err != nil {
				t.Fatal(err)
			}
			want := ginoauth.Profile{ID: "583231", Email: tt.wantEmail, EmailVerified: tt.wantVerified,
				Name: "The Octocat", Username: "octocat",
				AvatarURL: "https://avatars.githubusercontent.com/u/583231?v=4"}
			if got.ID != want.ID || got.Email != want.Email || got.EmailVerified != want.EmailVerified ||
				got.Name != want.Name || got.Username != want.Username || got.AvatarURL != want.AvatarURL {
				t.Errorf("got %+v, want %+v", *got, want)
			}
			if string(got.Raw) != string(body) {
				t.Errorf("Raw = %s, want the /user body", got.Raw)
			}
		})
	}
}

func TestProfileError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		check  func(error) bool
		want   string
	}{
		// GitHub answers a revoked token with 401: the token is dead.
		{http.StatusUnauthorized, func(err error) bool { return errors.Is(err, ginoauth.KindReauthRequired) }, "KindReauthRequired"},
		// An outage is a profile failure with GitHub's status.
		{http.StatusServiceUnavailable, func(err error) bool {
			e, ok := errors.AsType[*ginoauth.Error](err)
			return ok && e.Kind == ginoauth.KindProfileFailed && e.HTTPStatus == http.StatusServiceUnavailable
		}, "KindProfileFailed with status 503"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"message":"Bad credentials"}`, tc.status)
		}))
		p := github.Provider(github.Config{})
		p.APIBaseURL = srv.URL + "/"
		bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
		if !tc.check(err) {
			t.Errorf("profile answer %d: got %v, want %s", tc.status, err, tc.want)
		}
		srv.Close()
	}
}

func TestEnterpriseHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		host                 string
		auth, token, apiBase string
	}{
		{"default", "", "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token", "https://api.github.com/"},
		{"github.com", "github.com", "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token", "https://api.github.com/"},
		{"enterprise", "ghe.example.com", "https://ghe.example.com/login/oauth/authorize", "https://ghe.example.com/login/oauth/access_token", "https://ghe.example.com/api/v3/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := github.Provider(github.Config{Host: tt.host})
			if p.Endpoint.AuthURL != tt.auth || p.Endpoint.TokenURL != tt.token || p.APIBaseURL != tt.apiBase {
				t.Errorf("got %s %s %s, want %s %s %s", p.Endpoint.AuthURL, p.Endpoint.TokenURL, p.APIBaseURL, tt.auth, tt.token, tt.apiBase)
			}
		})
	}
	for _, bad := range []string{"https://ghe.example.com", "ghe.example.com/path", "user@host"} {
		if _, err := github.New(github.Config{Config: ginoauth.Config{ClientID: "id"}, Host: bad}); err == nil {
			t.Errorf("New with Host %q: got nil error, want one", bad)
		}
	}
}
