package heroku_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/heroku"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

const accountJSON = `{"allow_tracking":true,"beta":false,"created_at":"2012-01-01T12:00:00Z",
	"email":"username@example.com","federated":false,"id":"01234567-89ab-cdef-0123-456789abcdef",
	"last_login":"2012-01-01T12:00:00Z","name":"Tina Edmonds","sms_number":"+1 ***-***-1234",
	"two_factor_authentication":false,"updated_at":"2012-01-01T12:00:00Z","verified":false}`

func TestProfile(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/account" {
			t.Errorf("path = %q, want /account", r.URL.Path)
		}
		if got, want := r.Header.Get("Accept"), "application/vnd.heroku+json; version=3"; got != want {
			t.Errorf("Accept = %q, want %q", got, want)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		io.WriteString(w, accountJSON)
	}))
	defer srv.Close()
	p := heroku.Provider(heroku.Config{})
	p.APIBaseURL = srv.URL + "/"
	bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != accountJSON {
		t.Errorf("Raw = %s, want the response body", got.Raw)
	}
	got.Raw = nil
	want := ginoauth.Profile{ID: "01234567-89ab-cdef-0123-456789abcdef", Email: "username@example.com", Name: "Tina Edmonds"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

// TestAcceptHeader checks the versioned Accept header on API calls: the
// default, a chosen version, and a request that sets its own.
func TestAcceptHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, version, requestAccept, want string
	}{
		{"default", "", "", "application/vnd.heroku+json; version=3"},
		{"variant", "3.sdk", "", "application/vnd.heroku+json; version=3.sdk"},
		{"caller's own", "", "application/vnd.heroku+json; version=3.webhooks", "application/vnd.heroku+json; version=3.webhooks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Get("Accept")
				io.WriteString(w, "[]")
			}))
			defer srv.Close()
			p := heroku.Provider(heroku.Config{APIVersion: tt.version})
			p.APIBaseURL = srv.URL + "/"
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, "apps", nil)
			if tt.requestAccept != "" {
				req.Header.Set("Accept", tt.requestAccept)
			}
			resp, err := bp.ClientFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if g := <-got; g != tt.want {
				t.Errorf("Accept = %q, want %q", g, tt.want)
			}
		})
	}
}
