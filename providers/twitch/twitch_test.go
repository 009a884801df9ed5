package twitch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/twitch"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       ginoauth.Profile
	}{
		{"with email", `{"data":[{"id":"141981764","login":"twitchdev","display_name":"TwitchDev","type":"",
			"broadcaster_type":"partner","description":"Supporting third-party developers.",
			"profile_image_url":"https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png",
			"offline_image_url":"https://static-cdn.jtvnw.net/jtv_user_pictures/3f13ab61-channel_offline_image-1920x1080.png",
			"view_count":5980557,"email":"not-real@email.com","created_at":"2016-12-14T20:32:28Z"}]}`,
			ginoauth.Profile{ID: "141981764", Email: "not-real@email.com", EmailVerified: true, Name: "TwitchDev",
				Username: "twitchdev", AvatarURL: "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-profile_image-300x300.png"}},
		{"without email scope", `{"data":[{"id":"141981764","login":"twitchdev","display_name":"TwitchDev","profile_image_url":""}]}`,
			ginoauth.Profile{ID: "141981764", Name: "TwitchDev", Username: "twitchdev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/helix/users" {
					t.Errorf("path = %q, want /helix/users", r.URL.Path)
				}
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				if got, want := r.Header.Get("Client-Id"), "hof5gwx0su6owfnys0yan9c87zr6t"; got != want {
					t.Errorf("Client-Id = %q, want %q", got, want)
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p := twitch.Provider(ginoauth.Config{ClientID: "hof5gwx0su6owfnys0yan9c87zr6t"})
			p.APIBaseURL = srv.URL + "/helix/"
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "hof5gwx0su6owfnys0yan9c87zr6t"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Raw) != tt.body {
				t.Errorf("Raw = %s, want the response body", got.Raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// TestClientIDFromEnv checks Flask-Dance's bug is gone: with the client ID
// only in the environment, API calls still carry it as Client-Id.
func TestClientIDFromEnv(t *testing.T) {
	t.Setenv("TWITCH_OAUTH_CLIENT_ID", "env-client-id")
	t.Setenv("TWITCH_OAUTH_CLIENT_SECRET", "env-secret")
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Client-Id")
		io.WriteString(w, `{"data":[]}`)
	}))
	defer srv.Close()
	// Twitch's API host is served by the test server.
	toSrv := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = "http", strings.TrimPrefix(srv.URL, "http://")
		return http.DefaultTransport.RoundTrip(r)
	})}
	bp, err := twitch.New(ginoauth.Config{HTTPClient: toSrv})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := bp.ClientFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}}).Get("streams")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g := <-got; g != "env-client-id" {
		t.Errorf("Client-Id = %q, want %q", g, "env-client-id")
	}
}

func TestRevokesTheAccessToken(t *testing.T) {
	p := twitch.Provider(ginoauth.Config{})
	if !p.RevokeAccessToken || p.RevocationURL == "" {
		t.Fatalf("RevokeAccessToken = %v, RevocationURL = %q; want Twitch's access-token revocation", p.RevokeAccessToken, p.RevocationURL)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
