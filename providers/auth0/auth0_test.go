package auth0_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/auth0"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	// Auth0's documented /userinfo answer.
	const userinfo = `{"sub":"auth0|65f1c2d3e4a5b6c7d8e9f001","name":"Lena Maria Vogel","given_name":"Lena","family_name":"Vogel",
		"middle_name":"Maria","nickname":"lena","preferred_username":"lvogel","profile":"https://example.com/lena",
		"picture":"https://img.example.com/lena.jpg","website":"https://example.com","email":"lena@example.com",
		"email_verified":true,"gender":"f","birthdate":"1990-01-01","zoneinfo":"America/Los_Angeles","locale":"en-US",
		"phone_number":"+1 555 0101","phone_number_verified":false,"updated_at":"1700000000"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "acme.eu.auth0.com/userinfo" || r.Header.Get("Authorization") != "Bearer at" {
			t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, userinfo)
	}))
	defer srv.Close()
	cfg := auth0.Config{Domain: "acme.eu.auth0.com",
		Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}}
	bp, err := auth0.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "auth0|65f1c2d3e4a5b6c7d8e9f001" || got.Name != "Lena Maria Vogel" || got.Username != "lvogel" ||
		got.Email != "lena@example.com" || !got.EmailVerified || got.AvatarURL != "https://img.example.com/lena.jpg" {
		t.Errorf("got %+v, want Auth0's userinfo mapped", got)
	}
	if iss := auth0.Provider(cfg).Issuer; iss != "https://acme.eu.auth0.com/" {
		t.Errorf("got issuer %q, want Auth0's, with its trailing slash", iss)
	}
}

func TestDomainValidation(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"", "https://acme.auth0.com", "acme.auth0.com/"} {
		if _, err := auth0.New(auth0.Config{Domain: d, Config: ginoauth.Config{ClientID: "cid"}}); err == nil {
			t.Errorf("Domain %q: got nil error, want a host name error", d)
		}
	}
}

// TestEndSessionURL: Blueprint.EndSession's RP-Initiated Logout endpoint.
func TestEndSessionURL(t *testing.T) {
	t.Parallel()
	if got := auth0.Provider(auth0.Config{Domain: "example.us.auth0.com", Config: ginoauth.Config{ClientID: "cid"}}).EndSessionURL; got != "https://example.us.auth0.com/oidc/logout" {
		t.Errorf("got %q, want %q", got, "https://example.us.auth0.com/oidc/logout")
	}
}
