package discord_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/discord"
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
		name string
		body string
		want ginoauth.Profile
	}{
		{"full", `{"id":"80351110224678912","username":"nelly","discriminator":"0","global_name":"Nelly",
			"avatar":"8342729096ea3675442027381ff50dfe","verified":true,"email":"nelly@example.com","flags":64}`,
			ginoauth.Profile{ID: "80351110224678912", Email: "nelly@example.com", EmailVerified: true, Name: "Nelly",
				Username: "nelly", AvatarURL: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"}},
		{"animated avatar, no email scope", `{"id":"80351110224678912","username":"nelly","discriminator":"0",
			"global_name":null,"avatar":"a_1269e74af4df7417b13759eae50c83dc"}`,
			ginoauth.Profile{ID: "80351110224678912", Name: "nelly", Username: "nelly",
				AvatarURL: "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"}},
		{"default avatar, new user name", `{"id":"80351110224678912","username":"nelly","discriminator":"0",
			"avatar":null,"email":"nelly@example.com","verified":false}`,
			ginoauth.Profile{ID: "80351110224678912", Email: "nelly@example.com", Name: "nelly", Username: "nelly",
				AvatarURL: "https://cdn.discordapp.com/embed/avatars/5.png"}}, // (id >> 22) % 6
		{"default avatar, legacy discriminator", `{"id":"80351110224678912","username":"nelly","discriminator":"1337","avatar":null}`,
			ginoauth.Profile{ID: "80351110224678912", Name: "nelly", Username: "nelly",
				AvatarURL: "https://cdn.discordapp.com/embed/avatars/2.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v10/users/@me" {
					t.Errorf("path = %q, want /api/v10/users/@me", r.URL.Path)
				}
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			p := discord.Provider(discord.Config{})
			p.APIBaseURL = srv.URL + "/api/v10/"
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
