package provutil

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ginoauth/ginoauth"
	"golang.org/x/oauth2"
)

func TestCheckHost(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"gitlab.example.com", "idp.example:8443", "127.0.0.1"} {
		if err := CheckHost(h, "x.example"); err != nil {
			t.Errorf("CheckHost(%q) = %v, want nil", h, err)
		}
	}
	for _, h := range []string{"", "https://gitlab.example.com", "gitlab.example.com/path", "user@host", "a b", "host?x=1", "host#f"} {
		if err := CheckHost(h, "x.example"); err == nil || !strings.Contains(err.Error(), `"x.example"`) {
			t.Errorf("CheckHost(%q) = %v, want an error naming the example", h, err)
		}
	}
}

func TestNewReadsCredentialsFromTheEnvironment(t *testing.T) {
	p := ginoauth.Provider{Name: "acme", Endpoint: oauth2.Endpoint{AuthURL: "https://a.example/auth", TokenURL: "https://a.example/token"}}
	if _, err := New(p, ginoauth.Config{}, "ACME"); err == nil || !strings.Contains(err.Error(), "ACME_OAUTH_CLIENT_ID") {
		t.Fatalf("no credentials: got %v, want an error naming ACME_OAUTH_CLIENT_ID", err)
	}
	t.Setenv("ACME_OAUTH_CLIENT_ID", "id-from-env")
	t.Setenv("ACME_OAUTH_CLIENT_SECRET", "secret-from-env")
	cfg := ginoauth.Config{}
	FillCredentials(&cfg, "ACME")
	if cfg.ClientID != "id-from-env" || cfg.ClientSecret != "secret-from-env" {
		t.Fatalf("FillCredentials: got %q / %q", cfg.ClientID, cfg.ClientSecret)
	}
	explicit := ginoauth.Config{ClientID: "given"}
	FillCredentials(&explicit, "ACME")
	if explicit.ClientID != "given" {
		t.Fatalf("an explicit ClientID was replaced by %q", explicit.ClientID)
	}
	if _, err := New(p, ginoauth.Config{}, "ACME"); err != nil {
		t.Fatalf("credentials from the environment: %v", err)
	}
}

func TestGetJSON(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("Accept") != "application/json" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		_, _ = w.Write([]byte(`{"id": 12345678901, "name": "Ada"}`))
	}))
	defer srv.Close()
	var v struct {
		ID   any    `json:"id"`
		Name string `json:"name"`
	}
	raw, err := GetJSON(t.Context(), srv.Client(), srv.URL+"/me", &v)
	if err != nil || v.Name != "Ada" || String(v.ID) != "12345678901" || len(raw) == 0 {
		t.Fatalf("GetJSON: %v, %+v, id %q", err, v, String(v.ID))
	}
	if _, err := GetJSON(t.Context(), srv.Client(), srv.URL+"/down", &v); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a 503 answer: got %v", err)
	}
}

func TestHasScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scopes []string
		want   bool
	}{
		{[]string{"openid", "offline_access"}, true},
		{[]string{"openid offline_access"}, true},
		{[]string{"offline_access_extra"}, false},
		{[]string{"xoffline_access"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := HasScope(tt.scopes, "offline_access"); got != tt.want {
			t.Errorf("HasScope(%q): got %v, want %v", tt.scopes, got, tt.want)
		}
	}
}
