package meetup_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/meetup"
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
		want       *ginoauth.Profile
	}{
		{"numeric id", `{"data":{"self":{"id":1234,"name":"Cool Developer","email":"cool@example.com"}}}`,
			&ginoauth.Profile{ID: "1234", Email: "cool@example.com", Name: "Cool Developer"}},
		{"string id", `{"data":{"self":{"id":"271828","name":"Cool Developer","email":null}}}`,
			&ginoauth.Profile{ID: "271828", Name: "Cool Developer"}},
		{"graphql error", `{"data":null,"errors":[{"message":"Not authorized"}]}`, nil},
		{"no self", `{"data":{"self":null}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/gql-ext" {
					t.Errorf("got %s %s, want POST /gql-ext", r.Method, r.URL.Path)
				}
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				var q struct{ Query string }
				if err := json.NewDecoder(r.Body).Decode(&q); err != nil || !strings.Contains(q.Query, "self") {
					t.Errorf("query = %q (%v), want a self query", q.Query, err)
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p := meetup.Provider(ginoauth.Config{})
			p.APIBaseURL = srv.URL + "/"
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "key"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
			if tt.want == nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Raw) != tt.body {
				t.Errorf("Raw = %s, want the response body", got.Raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, *tt.want)
			}
		})
	}
}
