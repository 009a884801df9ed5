package authentiq_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/authentiq"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	const userinfo = `{"sub":"7a6d7c1e2b","name":"Ada Ramos","given_name":"Ada","family_name":"Ramos",
		"email":"ada@example.com","email_verified":true,"aq:location":{"country":"GB"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "id.example.org/userinfo" || r.Header.Get("Authorization") != "Bearer at" {
			t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, userinfo)
	}))
	defer srv.Close()
	bp, err := authentiq.New(authentiq.Config{Hostname: "id.example.org",
		Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "7a6d7c1e2b" || got.Name != "Ada Ramos" || got.Email != "ada@example.com" || !got.EmailVerified {
		t.Errorf("got %+v, want the userinfo mapped", got)
	}
	if _, err := authentiq.New(authentiq.Config{Hostname: "https://id.example.org", Config: ginoauth.Config{ClientID: "cid"}}); err == nil {
		t.Error("got nil error for a Hostname with a scheme")
	}
}
