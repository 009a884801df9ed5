package google_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/google"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

var signer = sync.OnceValues(func() (*oidctest.Signer, error) { return oidctest.NewSigner("g1") })

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// googleServer answers Google's key set, userinfo and revocation URLs.
func googleServer(t *testing.T, userinfo string, revoked *url.Values) *http.Client {
	t.Helper()
	s, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		full := r.Header.Get("X-Forwarded-Host") + r.URL.Path
		switch full {
		case "www.googleapis.com/oauth2/v3/certs":
			s.ServeHTTP(w, r)
		case "openidconnect.googleapis.com/v1/userinfo":
			if r.Header.Get("Authorization") != "Bearer at-1" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, userinfo)
		case "oauth2.googleapis.com/revoke":
			_ = r.ParseForm()
			mu.Lock()
			*revoked = r.PostForm
			mu.Unlock()
		default:
			t.Errorf("unexpected request to %s", full)
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return oidctest.Client(srv.URL)
}

func TestProfile(t *testing.T) {
	t.Parallel()
	// Google's documented userinfo answer.
	const userinfo = `{
		"sub": "104857362910485736291",
		"name": "Ada Ramos",
		"given_name": "Ada",
		"family_name": "Ramos",
		"picture": "https://img.example.com/a/photo.jpg",
		"email": "ada@example.com",
		"email_verified": true,
		"locale": "en",
		"hd": "example.com"
	}`
	var revoked url.Values
	hc := googleServer(t, userinfo, &revoked)
	bp, err := google.New(google.Config{Config: ginoauth.Config{ClientID: "cid", ClientSecret: "cs", HTTPClient: hc}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at-1", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	want := ginoauth.Profile{ID: "104857362910485736291", Email: "ada@example.com", EmailVerified: true,
		Name: "Ada Ramos", AvatarURL: "https://img.example.com/a/photo.jpg"}
	if got.ID != want.ID || got.Email != want.Email || got.EmailVerified != want.EmailVerified ||
		got.Name != want.Name || got.Username != "" || got.AvatarURL != want.AvatarURL {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if !json.Valid(got.Raw) || !strings.Contains(string(got.Raw), `"hd": "example.com"`) {
		t.Errorf("got Raw %s, want Google's JSON", got.Raw)
	}

	// Revoke posts the refresh token to Google's revocation endpoint, with
	// the client credentials in the body (the blueprint's AuthStyle).
	if err := bp.Revoke(context.Background(), &ginoauth.Token{AccessToken: "at-1", RefreshToken: "rt-1"}); err != nil {
		t.Fatal(err)
	}
	if revoked.Get("token") != "rt-1" || revoked.Get("token_type_hint") != "refresh_token" || revoked.Get("client_id") != "cid" {
		t.Errorf("got revocation form %v, want the refresh token and client ID", revoked)
	}
}

func TestHostedDomain(t *testing.T) {
	t.Parallel()
	s, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		domain string
		hd     any // the hd claim; nil for none
		ok     bool
	}{
		{name: "no restriction, consumer account", ok: true},
		{name: "same domain", domain: "example.com", hd: "example.com", ok: true},
		{name: "case differs", domain: "Example.com", hd: "example.COM", ok: true},
		{name: "other domain", domain: "example.com", hd: "evil.example"},
		{name: "consumer account", domain: "example.com"},
		{name: "any workspace", domain: "*", hd: "corp.example", ok: true},
		{name: "any workspace, consumer account", domain: "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var revoked url.Values
			p := google.Provider(google.Config{
				HostedDomain: tt.domain,
				Config:       ginoauth.Config{ClientID: "cid", HTTPClient: googleServer(t, "{}", &revoked)},
			})
			claims := map[string]any{"iss": "https://accounts.google.com", "aud": "cid", "sub": "1", "nonce": "n-1",
				"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
			if tt.hd != nil {
				claims["hd"] = tt.hd
			}
			raw, err := s.Sign(claims)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.VerifyIDToken(context.Background(), "", raw, "n-1")
			if (err == nil) != tt.ok {
				t.Errorf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	_, err := google.New(google.Config{HostedDomain: "example.com",
		Config: ginoauth.Config{ClientID: "cid", Scopes: []string{"https://www.googleapis.com/auth/drive.readonly"}}})
	if err == nil || !strings.Contains(err.Error(), "openid") {
		t.Errorf("got %v, want an error: HostedDomain needs the openid scope", err)
	}
	if _, err := google.New(google.Config{}); err == nil || !strings.Contains(err.Error(), "GOOGLE_OAUTH_CLIENT_ID") {
		t.Errorf("got %v, want a missing client ID error naming the variable", err)
	}
}
