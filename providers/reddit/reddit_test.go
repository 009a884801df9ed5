package reddit_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/reddit"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

const meJSON = `{"is_employee":false,"has_verified_email":true,"id":"1w72","name":"spez",
	"icon_img":"https://styles.redditmedia.com/t5_3k30p/styles/profileIcon_snoo.png?width=256&amp;height=256&amp;s=abc",
	"snoovatar_img":"","created_utc":1118030400.0,"link_karma":100,"comment_karma":200,"verified":true}`

func TestProfile(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/me" {
			t.Errorf("path = %q, want /api/v1/me", r.URL.Path)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		if got, want := r.Header.Get("User-Agent"), reddit.DefaultUserAgent; got != want {
			t.Errorf("User-Agent = %q, want %q", got, want)
		}
		io.WriteString(w, meJSON)
	}))
	defer srv.Close()
	p := reddit.Provider(reddit.Config{})
	p.APIBaseURL = srv.URL + "/"
	bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != meJSON {
		t.Errorf("Raw = %s, want the response body", got.Raw)
	}
	got.Raw = nil
	want := ginoauth.Profile{ID: "1w72", Name: "spez", Username: "spez",
		AvatarURL: "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon_snoo.png?width=256&height=256&s=abc"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

// TestUserAgent checks that the blueprint from New sends the configured
// User-Agent on API calls, through the caller's own HTTP client, and
// leaves a request's own User-Agent alone.
func TestUserAgent(t *testing.T) {
	t.Parallel()
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	var viaCallerTransport bool
	caller := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		viaCallerTransport = true
		// Reddit's API host is served by the test server.
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = "http", strings.TrimPrefix(srv.URL, "http://")
		return http.DefaultTransport.RoundTrip(r)
	})}
	const ua = "web:com.example.app:v1.0 (by /u/example)"
	bp, err := reddit.New(reddit.Config{Config: ginoauth.Config{ClientID: "id", HTTPClient: caller}, UserAgent: ua})
	if err != nil {
		t.Fatal(err)
	}
	client := bp.ClientFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
	resp, err := client.Get("api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g := <-got; g != ua {
		t.Errorf("User-Agent = %q, want %q", g, ua)
	}
	if !viaCallerTransport {
		t.Error("the caller's HTTPClient transport was not used")
	}
	req, _ := http.NewRequest(http.MethodGet, "api/v1/me", nil)
	req.Header.Set("User-Agent", "custom/1")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g := <-got; g != "custom/1" {
		t.Errorf("User-Agent = %q, want the request's own %q", g, "custom/1")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
