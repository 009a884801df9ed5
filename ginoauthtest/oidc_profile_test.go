package ginoauthtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestWhoami(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: alice})
	at := mustTokens(t, srv, with(authParams(srv), "scope", "profile")).str("access_token")
	var u ginoauthtest.User
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/whoami", nil)
	req.Header.Set("Authorization", "bearer "+at) // the scheme is case-insensitive
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
		t.Fatal(err)
	}
	if want := ginoauthtest.DefaultUsers()[0]; resp.StatusCode != 200 || u != want {
		t.Errorf("got %d %+v, want 200 %+v", resp.StatusCode, u, want)
	}
	if resp, _ := callAPI(t, srv, "/api/whoami", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without token: got %d, want 401", resp.StatusCode)
	}
}

// bearerTransport adds a fixed access token, standing in for the
// blueprint's client in a direct test of the Profile function.
type bearerTransport string

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

func TestProviderProfile(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	tok, err := srv.IssueToken("1003")
	if err != nil {
		t.Fatal(err)
	}
	p := srv.Provider()
	got, err := p.Profile(context.Background(), &http.Client{Transport: bearerTransport(tok.AccessToken)}, tok)
	if err != nil {
		t.Fatal(err)
	}
	want := ginoauth.Profile{ID: "1003", Email: "carol@example.org", EmailVerified: true, Name: "Carol Danvers", Username: "carol"}
	raw := got.Raw
	got.Raw = nil
	if !equalProfile(*got, want) {
		t.Errorf("got %+v, want %+v", *got, want)
	}
	if !json.Valid(raw) || !strings.Contains(string(raw), `"sub":"1003"`) {
		t.Errorf("Raw: got %s, want the userinfo JSON", raw)
	}
	srv.RevokeAll()
	if _, err := p.Profile(context.Background(), &http.Client{Transport: bearerTransport(tok.AccessToken)}, tok); err == nil ||
		!strings.Contains(err.Error(), "401") {
		t.Errorf("revoked token: got %v, want an error with status 401", err)
	}
}

func equalProfile(a, b ginoauth.Profile) bool {
	return a.ID == b.ID && a.Email == b.Email && a.EmailVerified == b.EmailVerified &&
		a.Name == b.Name && a.Username == b.Username && a.AvatarURL == b.AvatarURL
}
