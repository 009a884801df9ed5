package okta_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
	"github.com/ginoauth/ginoauth/providers/okta"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	// Okta's documented userinfo answer.
	const userinfo = `{"sub":"00u1a2b3c4d5E6f7g8h9","name":"Kai Okafor","nickname":"kai","given_name":"Kai",
		"middle_name":"Tobi","family_name":"Okafor","profile":"https://example.com/kai","zoneinfo":"America/Los_Angeles",
		"locale":"en-US","updated_at":1700000000,"email":"kai@example.com","email_verified":true,
		"preferred_username":"kai@example.com"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "dev-1.okta.com/oauth2/aus9/v1/userinfo" || r.Header.Get("Authorization") != "Bearer at" {
			t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, userinfo)
	}))
	defer srv.Close()
	cfg := okta.Config{Domain: "dev-1.okta.com", AuthorizationServerID: "aus9",
		Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}}
	bp, err := okta.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "00u1a2b3c4d5E6f7g8h9" || got.Name != "Kai Okafor" || got.Username != "kai@example.com" ||
		got.Email != "kai@example.com" || !got.EmailVerified {
		t.Errorf("got %+v, want Okta's userinfo mapped", got)
	}
	p := okta.Provider(cfg)
	if p.Issuer != "https://dev-1.okta.com/oauth2/aus9" || p.RevocationURL != "https://dev-1.okta.com/oauth2/aus9/v1/revoke" ||
		p.EndSessionURL != "https://dev-1.okta.com/oauth2/aus9/v1/logout" {
		t.Errorf("got issuer %q, revocation %q, end session %q", p.Issuer, p.RevocationURL, p.EndSessionURL)
	}
}

func TestDomainValidation(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"", "https://dev-1.okta.com", "dev-1.okta.com/oauth2", "user@dev-1.okta.com"} {
		if _, err := okta.New(okta.Config{Domain: d, Config: ginoauth.Config{ClientID: "cid"}}); err == nil {
			t.Errorf("Domain %q: got nil error, want a host name error", d)
		}
	}
}
