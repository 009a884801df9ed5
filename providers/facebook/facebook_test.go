package facebook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/facebook"
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
		{"with email and picture", `{"id":"10158563468787165","name":"Ada Lovelace","email":"ada@example.com",
			"picture":{"data":{"height":50,"is_silhouette":false,"url":"https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158563468787165","width":50}}}`,
			ginoauth.Profile{ID: "10158563468787165", Email: "ada@example.com", Name: "Ada Lovelace",
				AvatarURL: "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158563468787165"}},
		{"silhouette, no email", `{"id":"42","name":"Ada Lovelace",
			"picture":{"data":{"height":50,"is_silhouette":true,"url":"https://example.com/silhouette.png","width":50}}}`,
			ginoauth.Profile{ID: "42", Name: "Ada Lovelace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/me" || r.URL.Query().Get("fields") != "id,name,email,picture" {
					t.Errorf("got %s, want /me?fields=id,name,email,picture", r.URL)
				}
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			p := facebook.Provider(facebook.Config{})
			p.APIBaseURL = srv.URL + "/"
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
