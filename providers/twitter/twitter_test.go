package twitter_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/twitter"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const body = `{"data":{"id":"2244994945","name":"X Dev","username":"TwitterDev",
		"profile_image_url":"https://pbs.twimg.com/profile_images/1445764922474827784/W2zEPN7U_normal.jpg"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/2/users/me" || r.URL.Query().Get("user.fields") != "profile_image_url" {
			t.Errorf("got %s, want /2/users/me?user.fields=profile_image_url", r.URL)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	p := twitter.Provider(ginoauth.Config{})
	p.APIBaseURL = srv.URL + "/2/"
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
	want := ginoauth.Profile{ID: "2244994945", Name: "X Dev", Username: "TwitterDev",
		AvatarURL: "https://pbs.twimg.com/profile_images/1445764922474827784/W2zEPN7U_normal.jpg"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

func TestClientAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   ginoauth.Config
		style oauth2.AuthStyle
	}{
		{"confidential", ginoauth.Config{ClientID: "id", ClientSecret: "secret"}, oauth2.AuthStyleInHeader},
		{"secret func", ginoauth.Config{ClientID: "id", ClientSecretFunc: func(context.Context) (string, error) { return "s", nil }}, oauth2.AuthStyleInHeader},
		{"public", ginoauth.Config{ClientID: "id"}, oauth2.AuthStyleInParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := twitter.Provider(tt.cfg)
			if p.Endpoint.AuthStyle != tt.style {
				t.Errorf("AuthStyle = %v, want %v", p.Endpoint.AuthStyle, tt.style)
			}
			if got := p.TokenParams["client_id"]; got != "id" {
				t.Errorf("TokenParams client_id = %q, want %q", got, "id")
			}
			if p.DisablePKCE {
				t.Error("DisablePKCE is set; X requires PKCE")
			}
		})
	}
}
