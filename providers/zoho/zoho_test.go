package zoho_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
	"github.com/ginoauth/ginoauth/providers/zoho"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// Zoho CRM's documented answer for GET crm/v2/users?type=CurrentUser
// (abridged).
const currentUser = `{
	"users": [{
		"country": "US",
		"role": {"name": "Manager", "id": "3652397000000015969"},
		"first_name": "Ines",
		"last_name": "Moreau",
		"email": "ines@example.com",
		"zuid": "12345678",
		"full_name": "Ines Moreau",
		"id": "3652397000000186017",
		"status": "active"
	}],
	"info": {"per_page": 200, "count": 1, "page": 1, "more_records": false}
}`

// zohoServer records each request's host, path and Authorization header.
type seen struct{ host, path, query, auth string }

func zohoServer(t *testing.T) (*http.Client, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var reqs []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, seen{r.Header.Get("X-Forwarded-Host"), r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")})
		mu.Unlock()
		if r.Header.Get("Authorization") != "Zoho-oauthtoken at" {
			http.Error(w, `{"code":"INVALID_TOKEN"}`, http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, currentUser)
	}))
	t.Cleanup(srv.Close)
	return oidctest.Client(srv.URL), func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), reqs...)
	}
}

func TestProfileAndHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		apiDomain any
		wantHost  string
	}{
		{"api_domain from the token", "https://www.zohoapis.eu", "www.zohoapis.eu"},
		{"no api_domain", nil, "www.zohoapis.com"},
		{"foreign api_domain ignored", "https://evil.example", "www.zohoapis.com"},
		{"plain http api_domain ignored", "http://www.zohoapis.eu", "www.zohoapis.com"},
		// The outside review's api_domain allow-list finding: a host that
		// merely starts like Zoho's is not Zoho's.
		{"look-alike api_domain ignored", "https://www.zohoapis.attacker.example", "www.zohoapis.com"},
		{"api_domain with a port ignored", "https://www.zohoapis.eu:8443", "www.zohoapis.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hc, reqs := zohoServer(t)
			bp, err := zoho.New(zoho.Config{Config: ginoauth.Config{ClientID: "cid", HTTPClient: hc}})
			if err != nil {
				t.Fatal(err)
			}
			tok := &ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour), Extra: map[string]any{"api_domain": tt.apiDomain}}
			got, err := bp.ProfileFor(context.Background(), staticRef{tok})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "12345678" || got.Name != "Ines Moreau" || got.Email != "ines@example.com" || got.EmailVerified {
				t.Errorf("got %+v, want the CRM user mapped", got)
			}
			r := reqs()
			if len(r) != 1 || r[0].host != tt.wantHost || r[0].path != "/crm/v2/users" || r[0].query != "type=CurrentUser" {
				t.Errorf("got requests %+v, want one to %s/crm/v2/users?type=CurrentUser", r, tt.wantHost)
			}
		})
	}
}

// TestAPIHeader checks the Zoho-oauthtoken scheme on the blueprint's API
// client, for any request.
func TestAPIHeader(t *testing.T) {
	t.Parallel()
	hc, reqs := zohoServer(t)
	bp, err := zoho.New(zoho.Config{AccountsDomain: "accounts.zoho.in", Config: ginoauth.Config{ClientID: "cid", HTTPClient: hc}})
	if err != nil {
		t.Fatal(err)
	}
	client := bp.ClientFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	resp, err := client.Get("crm/v2/org")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	r := reqs()
	if len(r) != 1 || r[0].auth != "Zoho-oauthtoken at" || r[0].host != "www.zohoapis.in" || r[0].path != "/crm/v2/org" {
		t.Errorf("got %+v, want Authorization: Zoho-oauthtoken at www.zohoapis.in/crm/v2/org", r)
	}
}

func TestDomains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg           zoho.Config
		auth, apiBase string
	}{
		{zoho.Config{}, "https://accounts.zoho.com/oauth/v2/auth", "https://www.zohoapis.com/"},
		{zoho.Config{AccountsDomain: "accounts.zoho.com.au"}, "https://accounts.zoho.com.au/oauth/v2/auth", "https://www.zohoapis.com.au/"},
		{zoho.Config{AccountsDomain: "accounts.zohocloud.ca"}, "https://accounts.zohocloud.ca/oauth/v2/auth", "https://www.zohoapis.ca/"},
		{zoho.Config{AccountsDomain: "accounts.zoho.eu", APIDomain: "api.example.eu"}, "https://accounts.zoho.eu/oauth/v2/auth", "https://api.example.eu/"},
	}
	for _, tt := range tests {
		p := zoho.Provider(tt.cfg)
		if p.Endpoint.AuthURL != tt.auth || p.APIBaseURL != tt.apiBase {
			t.Errorf("%+v: got %q %q, want %q %q", tt.cfg, p.Endpoint.AuthURL, p.APIBaseURL, tt.auth, tt.apiBase)
		}
	}
	if _, err := zoho.New(zoho.Config{AccountsDomain: "https://accounts.zoho.eu", Config: ginoauth.Config{ClientID: "c"}}); err == nil {
		t.Error("got nil error for an AccountsDomain with a scheme")
	}
}
