package dropbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/dropbox"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const body = `{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
		"name":{"given_name":"Franz","surname":"Ferdinand","familiar_name":"Franz",
		"display_name":"Franz Ferdinand (Personal)","abbreviated_name":"FF"},
		"email":"franz@example.com","email_verified":true,"disabled":false,"locale":"en",
		"referral_link":"https://db.tt/ZITNuhtI","is_paired":true,
		"account_type":{".tag":"business"},"root_info":{".tag":"user","root_namespace_id":"3235641","home_namespace_id":"3235641"},
		"profile_photo_url":"https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA?vers=1556069330102&size=128x128",
		"country":"US"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/2/users/get_current_account" {
			t.Errorf("got %s %s, want POST /2/users/get_current_account", r.Method, r.URL.Path)
		}
		if b, _ := io.ReadAll(r.Body); len(b) != 0 {
			t.Errorf("body = %q, want none", b)
		}
		if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
			t.Errorf("Authorization = %q, want %q", got, want)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	p := dropbox.Provider(dropbox.Config{})
	p.APIBaseURL = srv.URL + "/2/"
	bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "key"})
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
	want := ginoauth.Profile{ID: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", Email: "franz@example.com",
		EmailVerified: true, Name: "Franz Ferdinand (Personal)",
		AvatarURL: "https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA?vers=1556069330102&size=128x128"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

func TestRequireRole(t *testing.T) {
	t.Parallel()
	for _, role := range []string{"", dropbox.RoleWork, dropbox.RolePersonal} {
		if _, err := dropbox.New(dropbox.Config{Config: ginoauth.Config{ClientID: "key"}, RequireRole: role}); err != nil {
			t.Errorf("RequireRole %q: got %v, want no error", role, err)
		}
	}
	if _, err := dropbox.New(dropbox.Config{Config: ginoauth.Config{ClientID: "key"}, RequireRole: "team"}); err == nil {
		t.Error(`RequireRole "team": got nil error, want one`)
	}
}
