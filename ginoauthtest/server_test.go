package ginoauthtest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestInvalidConfigPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start func()
	}{
		{"empty user ID", func() {
			ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: []ginoauthtest.User{{Name: "x"}}})
		}},
		{"duplicate user ID", func() {
			ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, Users: []ginoauthtest.User{{ID: "a"}, {ID: "a"}}})
		}},
		{"unknown AutoApprove", func() {
			ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "nobody"})
		}},
		{"relative redirect URI", func() {
			ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, RedirectURIs: []string{"/cb"}})
		}},
		{"relative issuer", func() { ginoauthtest.NewHandler(ginoauthtest.Config{InsecureAnyRedirectURI: true}, "/dev") }},
		{"issuer with query", func() {
			ginoauthtest.NewHandler(ginoauthtest.Config{InsecureAnyRedirectURI: true}, "http://127.0.0.1/dev?x=1")
		}},
		{"ftp issuer", func() {
			ginoauthtest.NewHandler(ginoauthtest.Config{InsecureAnyRedirectURI: true}, "ftp://127.0.0.1/dev")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.HasPrefix(msg, "ginoauthtest: ") {
					t.Errorf("got panic %v, want a ginoauthtest message", r)
				}
			}()
			tt.start()
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	srv := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true})
	if srv.ClientID() != "test-client" || srv.ClientSecret() != "test-secret" {
		t.Errorf("client: got %q/%q, want test-client/test-secret", srv.ClientID(), srv.ClientSecret())
	}
	users := srv.Users()
	if len(users) < 2 || !slices.Equal(users, ginoauthtest.DefaultUsers()) {
		t.Errorf("users: got %v, want DefaultUsers()", users)
	}
	users[0].Name = "changed"
	if srv.Users()[0].Name == "changed" {
		t.Error("Users returned the server's own slice")
	}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL: got %q, want a loopback URL", srv.URL)
	}
	if public := newServer(t, ginoauthtest.Config{InsecureAnyRedirectURI: true, PublicClient: true, ClientSecret: "ignored"}); public.ClientSecret() != "" {
		t.Errorf("public client secret: got %q, want empty", public.ClientSecret())
	}
}

func TestProvider(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       ginoauthtest.Config
		wantName  string
		wantStyle oauth2.AuthStyle
	}{
		{"defaults", ginoauthtest.Config{InsecureAnyRedirectURI: true}, "test", oauth2.AuthStyleInHeader},
		{"named, issuer parameter", ginoauthtest.Config{InsecureAnyRedirectURI: true, Name: "devbox", SendIssuer: true, Scopes: []string{"openid", "repo"}}, "devbox", oauth2.AuthStyleInHeader},
		{"public client", ginoauthtest.Config{InsecureAnyRedirectURI: true, PublicClient: true}, "test", oauth2.AuthStyleInParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.cfg)
			p := srv.Provider()
			wantScopes := tt.cfg.Scopes
			if wantScopes == nil {
				wantScopes = []string{"openid", "profile", "email"}
			}
			checks := []struct{ name, got, want string }{
				{"Name", p.Name, tt.wantName},
				{"AuthURL", p.Endpoint.AuthURL, srv.URL + "/authorize"},
				{"TokenURL", p.Endpoint.TokenURL, srv.URL + "/token"},
				{"RevocationURL", p.RevocationURL, srv.URL + "/revoke"},
				{"APIBaseURL", p.APIBaseURL, srv.URL + "/api/"},
				{"Issuer", p.Issuer, srv.URL},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
				}
			}
			if p.Endpoint.AuthStyle != tt.wantStyle {
				t.Errorf("AuthStyle: got %v, want %v", p.Endpoint.AuthStyle, tt.wantStyle)
			}
			if !slices.Equal(p.Scopes, wantScopes) {
				t.Errorf("Scopes: got %v, want %v", p.Scopes, wantScopes)
			}
			if p.RequireIssuerParam != tt.cfg.SendIssuer {
				t.Errorf("RequireIssuerParam: got %v, want %v", p.RequireIssuerParam, tt.cfg.SendIssuer)
			}
			if p.OpenID || p.VerifyIDToken != nil || p.Profile == nil {
				t.Errorf("got OpenID=%v VerifyIDToken set=%v Profile set=%v, want false, false, true",
					p.OpenID, p.VerifyIDToken != nil, p.Profile != nil)
			}
			p.Scopes[0] = "changed"
			if srv.Provider().Scopes[0] == "changed" {
				t.Error("Provider shares its Scopes slice")
			}
		})
	}
}

func TestHandlerPaths(t *testing.T) {
	t.Parallel()
	dev := ginoauthtest.NewHandler(ginoauthtest.Config{InsecureAnyRedirectURI: true}, "http://127.0.0.1:8080/dev-provider/")
	defer dev.Close()
	if dev.URL != "http://127.0.0.1:8080/dev-provider" {
		t.Errorf("URL: got %q, want the issuer without trailing slash", dev.URL)
	}
	tests := []struct {
		path       string
		wantStatus int
	}{
		{"/dev-provider/jwks", http.StatusOK},
		{"/jwks", http.StatusOK}, // prefix already stripped
		{"/dev-provider/.well-known/openid-configuration", http.StatusOK},
		{"/dev-provider-other/jwks", http.StatusNotFound},
		{"/dev-provider/nothing", http.StatusNotFound},
		{"/dev-provider", http.StatusNotFound},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		dev.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.wantStatus {
			t.Errorf("GET %s: got %d, want %d", tt.path, rec.Code, tt.wantStatus)
		}
	}
	if got := dev.Count("/jwks"); got != 2 {
		t.Errorf("Count(/jwks): got %d, want 2", got)
	}
	if got := dev.Count("/dev-provider/jwks"); got != 2 {
		t.Errorf("Count with the prefixed path: got %d, want 2", got)
	}
	if dev.Client() != http.DefaultClient {
		t.Error("a handler's Client should be http.DefaultClient")
	}
}

// BenchmarkNewServer measures starting and closing a server; the signing
// key is generated once per process, so this excludes key generation.
func BenchmarkNewServer(b *testing.B) {
	ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true}).Close() // generate the shared key
	for b.Loop() {
		ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true}).Close()
	}
}
