package bitbucket_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/bitbucket"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

const userJSON = `{"display_name":"Tutorials Account","links":{"self":{"href":"https://api.bitbucket.org/2.0/users/%7Ba2b3c4d5%7D"},
	"avatar":{"href":"https://secure.gravatar.com/avatar/abc?d=https%3A%2F%2Favatar-management--avatars.us-west-2.prod.public.atl-paas.net%2Finitials%2FTA-1.png"},
	"html":{"href":"https://bitbucket.org/%7Ba2b3c4d5%7D/"}},"created_on":"2019-01-01T00:00:00.000000+00:00",
	"type":"user","uuid":"{a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d}","has_2fa_enabled":null,
	"username":"tutorials","is_staff":false,"account_id":"557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443","nickname":"tutorials",
	"account_status":"active","location":null}`

func TestProfile(t *testing.T) {
	t.Parallel()
	avatar := "https://secure.gravatar.com/avatar/abc?d=https%3A%2F%2Favatar-management--avatars.us-west-2.prod.public.atl-paas.net%2Finitials%2FTA-1.png"
	tests := []struct {
		name   string
		emails string // "" answers 403
		want   ginoauth.Profile
	}{
		{"primary confirmed", `{"pagelen":10,"values":[
			{"is_primary":false,"is_confirmed":true,"type":"email","email":"old@example.com","links":{}},
			{"is_primary":true,"is_confirmed":true,"type":"email","email":"tutorials@example.com","links":{}}],"page":1,"size":2}`,
			ginoauth.Profile{ID: "{a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d}", Email: "tutorials@example.com", EmailVerified: true,
				Name: "Tutorials Account", Username: "tutorials", AvatarURL: avatar}},
		{"primary unconfirmed", `{"pagelen":10,"values":[
			{"is_primary":true,"is_confirmed":false,"type":"email","email":"tutorials@example.com","links":{}}],"page":1,"size":1}`,
			ginoauth.Profile{ID: "{a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d}", Email: "tutorials@example.com",
				Name: "Tutorials Account", Username: "tutorials", AvatarURL: avatar}},
		{"no email permission", "",
			ginoauth.Profile{ID: "{a2b3c4d5-e6f7-4a8b-9c0d-1e2f3a4b5c6d}", Name: "Tutorials Account", Username: "tutorials", AvatarURL: avatar}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux := http.NewServeMux()
			mux.HandleFunc("GET /2.0/user", func(w http.ResponseWriter, r *http.Request) {
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				io.WriteString(w, userJSON)
			})
			mux.HandleFunc("GET /2.0/user/emails", func(w http.ResponseWriter, r *http.Request) {
				if tt.emails == "" {
					http.Error(w, `{"type":"error","error":{"message":"Access denied"}}`, http.StatusForbidden)
					return
				}
				io.WriteString(w, tt.emails)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			p := bitbucket.Provider(ginoauth.Config{})
			p.APIBaseURL = srv.URL + "/2.0/"
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "key"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok"}})
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Raw) != userJSON {
				t.Errorf("Raw = %s, want the /user body", got.Raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}
