package keycloak_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/keycloak"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	// Keycloak's userinfo answer for the default scopes.
	const userinfo = `{"sub":"f1a3c2e4-9b7d-4c1e-8f2a-6d5b4c3a2b1c","email_verified":false,"name":"Ada Ramos",
		"preferred_username":"ada","given_name":"Ada","family_name":"Ramos","email":"ada@example.com"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "sso.example.com/realms/acme/protocol/openid-connect/userinfo" ||
			r.Header.Get("Authorization") != "Bearer at" {
			t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, userinfo)
	}))
	defer srv.Close()
	bp, err := keycloak.New(keycloak.Config{BaseURL: "https://sso.example.com", Realm: "acme",
		Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "f1a3c2e4-9b7d-4c1e-8f2a-6d5b4c3a2b1c" || got.Username != "ada" || got.Email != "ada@example.com" ||
		got.EmailVerified || got.Name != "Ada Ramos" {
		t.Errorf("got %+v, want Keycloak's userinfo mapped (email not verified)", got)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base, realm string
		ok          bool
	}{
		{"https://sso.example.com", "acme", true},
		{"http://localhost:8080", "acme", true},
		{"http://127.0.0.1:8080/auth", "acme", true},
		{"http://sso.example.com", "acme", false},
		{"sso.example.com", "acme", false},
		{"https://sso.example.com", "", false},
		{"", "acme", false},
	}
	for _, tt := range tests {
		_, err := keycloak.New(keycloak.Config{BaseURL: tt.base, Realm: tt.realm, Config: ginoauth.Config{ClientID: "cid"}})
		if (err == nil) != tt.ok {
			t.Errorf("BaseURL %q, Realm %q: got %v, want ok=%v", tt.base, tt.realm, err, tt.ok)
		}
	}
}

// TestEndSessionURL: Blueprint.EndSession's RP-Initiated Logout endpoint.
func TestEndSessionURL(t *testing.T) {
	t.Parallel()
	if got := keycloak.Provider(keycloak.Config{BaseURL: "https://kc.example", Realm: "main", Config: ginoauth.Config{ClientID: "cid"}}).EndSessionURL; got != "https://kc.example/realms/main/protocol/openid-connect/logout" {
		t.Errorf("got %q, want %q", got, "https://kc.example/realms/main/protocol/openid-connect/logout")
	}
}
