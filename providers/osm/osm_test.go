package osm_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/osm"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const body = `{"version":"0.6","generator":"OpenStreetMap server","copyright":"OpenStreetMap and contributors",
		"attribution":"http://www.openstreetmap.org/copyright","license":"http://opendatacommons.org/licenses/odbl/1-0/",
		"user":{"id":1234,"display_name":"mapper","account_created":"2020-01-01T00:00:00Z","description":"",
		"contributor_terms":{"agreed":true,"pd":false},
		"img":{"href":"https://www.openstreetmap.org/rails/active_storage/representations/redirect/abc/avatar.png"},
		"roles":[],"changesets":{"count":42},"traces":{"count":0},"blocks":{"received":{"count":0,"active":0}},
		"home":{"lat":49.4,"lon":8.7,"zoom":3},"languages":["en"],"messages":{"received":{"count":0,"unread":0},"sent":{"count":0}}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/0.6/user/details.json" {
			t.Errorf("path = %q, want /api/0.6/user/details.json", r.URL.Path)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	p := osm.Provider(ginoauth.Config{})
	p.APIBaseURL = srv.URL + "/api/0.6/"
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
	want := ginoauth.Profile{ID: "1234", Name: "mapper", Username: "mapper",
		AvatarURL: "https://www.openstreetmap.org/rails/active_storage/representations/redirect/abc/avatar.png"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}
