package digitalocean_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/digitalocean"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const body = `{"account":{"droplet_limit":25,"floating_ip_limit":5,"volume_limit":100,"name":"Sammy the Shark",
		"email":"sammy@digitalocean.com","uuid":"b6fr89dbf6d9156cace5f3c78dc9851d957381ef","email_verified":true,
		"status":"active","status_message":" ",
		"team":{"uuid":"5df3e3004a17e242b7c20ca6c9fc25b701a47ece","name":"My Team"}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/account" {
			t.Errorf("path = %q, want /v2/account", r.URL.Path)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	p := digitalocean.Provider(ginoauth.Config{})
	p.APIBaseURL = srv.URL + "/v2/"
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
	want := ginoauth.Profile{ID: "b6fr89dbf6d9156cace5f3c78dc9851d957381ef", Email: "sammy@digitalocean.com",
		EmailVerified: true, Name: "Sammy the Shark"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}
