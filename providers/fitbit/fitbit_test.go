package fitbit_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/fitbit"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const body = `{"user":{"age":36,"avatar":"https://static0.fitbit.com/images/profile/defaultProfile_100.png",
		"avatar150":"https://static0.fitbit.com/images/profile/defaultProfile_150.png",
		"displayName":"Jane D.","encodedId":"22BWR4","firstName":"Jane","fullName":"Jane Doe",
		"gender":"FEMALE","lastName":"Doe","memberSince":"2019-05-01","timezone":"America/Los_Angeles"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/1/user/-/profile.json" {
			t.Errorf("path = %q, want /1/user/-/profile.json", r.URL.Path)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	p := fitbit.Provider(ginoauth.Config{})
	p.APIBaseURL = srv.URL + "/"
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
	want := ginoauth.Profile{ID: "22BWR4", Name: "Jane Doe", Username: "Jane D.",
		AvatarURL: "https://static0.fitbit.com/images/profile/defaultProfile_150.png"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

func TestProviderTokenParams(t *testing.T) {
	t.Parallel()
	if got := fitbit.Provider(ginoauth.Config{}).TokenParams; got != nil {
		t.Errorf("without a client ID: TokenParams = %v, want none", got)
	}
	got := fitbit.Provider(ginoauth.Config{ClientID: "22942C"}).TokenParams
	if want := map[string]string{"client_id": "22942C"}; !reflect.DeepEqual(got, want) {
		t.Errorf("TokenParams = %v, want %v", got, want)
	}
}
