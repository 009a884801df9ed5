package spotify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/spotify"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const body = `{"country":"SE","display_name":"JM Wizzler","email":"email@example.com",
		"explicit_content":{"filter_enabled":false,"filter_locked":false},
		"external_urls":{"spotify":"https://open.spotify.com/user/wizzler"},"followers":{"href":null,"total":3829},
		"href":"https://api.spotify.com/v1/users/wizzler","id":"wizzler",
		"images":[{"url":"https://i.scdn.co/image/ab67757000003b82_64","height":64,"width":64},
		          {"url":"https://i.scdn.co/image/ab6775700000ee85_300","height":300,"width":300}],
		"product":"premium","type":"user","uri":"spotify:user:wizzler"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/me" {
			t.Errorf("path = %q, want /v1/me", r.URL.Path)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	p := spotify.Provider(ginoauth.Config{})
	p.APIBaseURL = srv.URL + "/v1/"
	bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != body {
		t.Errorf("Raw = %s, want the response body", got.Raw)
	}
	got.Raw = nil
	want := ginoauth.Profile{ID: "wizzler", Email: "email@example.com", Name: "JM Wizzler", Username: "wizzler",
		AvatarURL: "https://i.scdn.co/image/ab6775700000ee85_300"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}
