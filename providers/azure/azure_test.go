package azure_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/azure"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

var signer = sync.OnceValues(func() (*oidctest.Signer, error) { return oidctest.NewSigner("a1") })

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// Microsoft Graph's documented answer for GET /v1.0/me.
const me = `{
	"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
	"businessPhones": ["+1 555 0100"],
	"displayName": "Rowan Quill",
	"givenName": "Rowan",
	"jobTitle": "Cartographer",
	"mail": "rowan@contoso.example",
	"mobilePhone": null,
	"officeLocation": "4/210",
	"preferredLanguage": "en-US",
	"surname": "Quill",
	"userPrincipalName": "rowan@contoso.example",
	"id": "0b6f2c1e-3a4d-4e5f-8a9b-1c2d3e4f5a6b"
}`

// server answers Microsoft's key set URLs and Graph's /v1.0/me.
func server(t *testing.T) *http.Client {
	t.Helper()
	s, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Header.Get("X-Forwarded-Host")
		switch {
		case host == "login.microsoftonline.com" && strings.HasSuffix(r.URL.Path, "/discovery/v2.0/keys"):
			s.ServeHTTP(w, r)
		case host == "graph.microsoft.com" && r.URL.Path == "/v1.0/me":
			if r.Header.Get("Authorization") != "Bearer at-1" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, me)
		default:
			t.Errorf("unexpected request to %s%s", host, r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return oidctest.Client(srv.URL)
}

func TestGraphProfile(t *testing.T) {
	t.Parallel()
	bp, err := azure.New(azure.Config{Config: ginoauth.Config{ClientID: "cid", HTTPClient: server(t)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at-1", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "0b6f2c1e-3a4d-4e5f-8a9b-1c2d3e4f5a6b" || got.Email != "rowan@contoso.example" || got.Name != "Rowan Quill" ||
		got.Username != "rowan@contoso.example" || got.EmailVerified || got.AvatarURL != "" {
		t.Errorf("got %+v, want Graph's user mapped (EmailVerified false: Graph does not say)", got)
	}
	if !strings.Contains(string(got.Raw), "Cartographer") {
		t.Errorf("got Raw %s, want Graph's JSON", got.Raw)
	}
}

const (
	contoso  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	fabrikam = "b9419818-09af-49c2-b0c3-653adc1f376e"
)

func TestTenantChecks(t *testing.T) {
	t.Parallel()
	s, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	iss := func(tid string) string { return "https://login.microsoftonline.com/" + tid + "/v2.0" }
	tests := []struct {
		name    string
		cfg     azure.Config
		tid     string
		iss     string
		wantErr string // "" for valid
	}{
		{name: "common, work account", tid: contoso, iss: iss(contoso)},
		{name: "common, personal account", tid: azure.ConsumersTenantID, iss: iss(azure.ConsumersTenantID)},
		{name: "issuer of another tenant", tid: contoso, iss: iss(fabrikam), wantErr: "issuer does not match"},
		{name: "issuer template", tid: contoso, iss: "https://login.microsoftonline.com/{tenantid}/v2.0", wantErr: "issuer does not match"},
		{name: "no tid", iss: iss(contoso), wantErr: "tid"},
		{name: "single tenant, same", cfg: azure.Config{Tenant: contoso}, tid: contoso, iss: iss(contoso)},
		{name: "single tenant, other", cfg: azure.Config{Tenant: contoso}, tid: fabrikam, iss: iss(fabrikam), wantErr: "another tenant"},
		{name: "consumers, work account", cfg: azure.Config{Tenant: "consumers"}, tid: contoso, iss: iss(contoso), wantErr: "personal accounts only"},
		{name: "organizations, personal account", cfg: azure.Config{Tenant: "organizations"}, tid: azure.ConsumersTenantID,
			iss: iss(azure.ConsumersTenantID), wantErr: "work and school"},
		{name: "allowed tenants, listed", cfg: azure.Config{AllowedTenantIDs: []string{fabrikam, contoso}}, tid: contoso, iss: iss(contoso)},
		{name: "allowed tenants, not listed", cfg: azure.Config{AllowedTenantIDs: []string{fabrikam}}, tid: contoso, iss: iss(contoso), wantErr: "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			cfg.ClientID = "cid"
			cfg.HTTPClient = server(t)
			p := azure.Provider(cfg)
			claims := map[string]any{"iss": tt.iss, "aud": "cid", "sub": "s", "nonce": "n", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
			if tt.tid != "" {
				claims["tid"] = tt.tid
			}
			raw, err := s.Sign(claims)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.VerifyIDToken(context.Background(), "", raw, "n")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want valid", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// TestEndSessionURL: Blueprint.EndSession's RP-Initiated Logout endpoint.
func TestEndSessionURL(t *testing.T) {
	t.Parallel()
	if got := azure.Provider(azure.Config{Tenant: "contoso.onmicrosoft.com", Config: ginoauth.Config{ClientID: "cid"}}).EndSessionURL; got != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/logout" {
		t.Errorf("got %q, want %q", got, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/logout")
	}
}
