package nylas_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/nylas"
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
		name     string
		cfg      nylas.Config
		basePath string
		path     string
		body     string
		want     ginoauth.Profile
	}{
		{"v3", nylas.Config{}, "/v3/", "/v3/grants/me",
			`{"request_id":"5fa64c92-e840-4357-86b9-2aa364d35b88","data":{"id":"e19f8e1a-eb1c-41c0-b6a6-d2e59daf7f47",
			"provider":"google","grant_status":"valid","email":"nyla@example.com","scope":["openid","email"],
			"created_at":1617817109,"updated_at":1617817109}}`,
			ginoauth.Profile{ID: "e19f8e1a-eb1c-41c0-b6a6-d2e59daf7f47", Email: "nyla@example.com"}},
		{"v2", nylas.Config{V2: true}, "/", "/account",
			`{"id":"awa6ltos76vz5hvphkp8k17nt","object":"account","account_id":"awa6ltos76vz5hvphkp8k17nt",
			"name":"Ben Bitdiddle","email_address":"benbitdiddle@gmail.com","provider":"gmail",
			"organization_unit":"label","sync_state":"running","linked_at":1470231381}`,
			ginoauth.Profile{ID: "awa6ltos76vz5hvphkp8k17nt", Email: "benbitdiddle@gmail.com", Name: "Ben Bitdiddle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != tt.path {
					t.Errorf("path = %q, want %q", r.URL.Path, tt.path)
				}
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p := nylas.Provider(tt.cfg)
			p.APIBaseURL = srv.URL + tt.basePath
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
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

func TestRegion(t *testing.T) {
	t.Parallel()
	p := nylas.Provider(nylas.Config{Region: nylas.RegionEU})
	if got, want := p.Endpoint.AuthURL, "https://api.eu.nylas.com/v3/connect/auth"; got != want {
		t.Errorf("AuthURL = %q, want %q", got, want)
	}
	if got, want := p.Endpoint.TokenURL, "https://api.eu.nylas.com/v3/connect/token"; got != want {
		t.Errorf("TokenURL = %q, want %q", got, want)
	}
	if got, want := p.APIBaseURL, "https://api.eu.nylas.com/v3/"; got != want {
		t.Errorf("APIBaseURL = %q, want %q", got, want)
	}
	if _, err := nylas.New(nylas.Config{Config: ginoauth.Config{ClientID: "id"}, Region: "evil.com/x"}); err == nil {
		t.Error("New with a malformed Region: got nil error, want one")
	}
}
