package ginoauth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestNewOAuth1Config(t *testing.T) {
	t.Parallel()
	key := o1TestKey(t)
	good := ginoauth.OAuth1Provider{
		Name:            "x",
		RequestTokenURL: "https://x.example/oauth/request_token",
		AuthorizeURL:    "https://x.example/oauth/authorize",
		AccessTokenURL:  "https://x.example/oauth/access_token",
	}
	with := func(f func(*ginoauth.OAuth1Provider, *ginoauth.Config)) (ginoauth.OAuth1Provider, ginoauth.Config) {
		p, c := good, ginoauth.Config{ClientID: "key", ClientSecret: "secret"}
		f(&p, &c)
		return p, c
	}
	for _, tt := range []struct {
		name string
		p    ginoauth.OAuth1Provider
		cfg  ginoauth.Config
	}{
		{"valid HMAC", good, ginoauth.Config{ClientID: "key", ClientSecret: "secret"}},
		{"valid RSA", func() ginoauth.OAuth1Provider {
			p := good
			p.PrivateKey = key
			return p
		}(), ginoauth.Config{ClientID: "key"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bp, err := ginoauth.NewOAuth1(tt.p, tt.cfg)
			if err != nil || bp == nil {
				t.Fatalf("got %v, want a blueprint", err)
			}
			if bp.Name() != "x" {
				t.Errorf("name: got %q", bp.Name())
			}
		})
	}
	for _, tt := range []struct {
		name    string
		mutate  func(*ginoauth.OAuth1Provider, *ginoauth.Config)
		wantErr string
	}{
		{"client assertion", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) {
			c.ClientAssertion = func(context.Context, string, string) (string, error) { return "", nil }
		}, "ClientAssertion is not supported"},
		{"no request-token URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.RequestTokenURL = "" }, "RequestTokenURL is required"},
		{"relative authorize URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.AuthorizeURL = "/authorize" }, "AuthorizeURL must be an absolute"},
		{"ftp access-token URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.AccessTokenURL = "ftp://x/y" }, "AccessTokenURL must be an absolute"},
		{"bad revocation URL", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.RevocationURL = "revoke" }, "RevocationURL"},
		{"no consumer key", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.ClientID = "" }, "ClientID is required"},
		{"HMAC without secret", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.ClientSecret = "" }, "ClientSecret (the consumer secret) is required"},
		{"invalid RSA key", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.PrivateKey = &rsa.PrivateKey{} }, "not a valid RSA key"},
		{"scopes", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.Scopes = []string{"read"} }, "Scopes have no meaning"},
		{"token params", func(_ *ginoauth.OAuth1Provider, c *ginoauth.Config) { c.TokenParams = map[string]string{"a": "b"} }, "TokenParams"},
		{"no name", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.Name = "" }, "Name"},
		{"bad API base", func(p *ginoauth.OAuth1Provider, _ *ginoauth.Config) { p.APIBaseURL = "api/" }, "APIBaseURL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, c := with(tt.mutate)
			_, err := ginoauth.NewOAuth1(p, c)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "ginoauth: ") {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
			if err != nil && c.ClientSecret != "" && strings.Contains(err.Error(), c.ClientSecret) {
				t.Error("the error shows the consumer secret")
			}
		})
	}
	t.Run("StartLogin is for OAuth 2", func(t *testing.T) {
		bp, err := ginoauth.NewOAuth1(with(func(*ginoauth.OAuth1Provider, *ginoauth.Config) {}))
		if err != nil {
			t.Fatal(err)
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		c.Set(sessions.DefaultKey, nil)
		if _, err := bp.StartLogin(c, "/"); err == nil {
			t.Error("StartLogin on an OAuth 1 blueprint: got nil error")
		}
	})
}

// TestOAuth1NoRevocationEndpoint: without RevocationURL, Logout only
// deletes the local token, and the provider's token stays valid.
func TestOAuth1NoRevocationEndpoint(t *testing.T) {
	t.Parallel()
	srv, _ := o1Server(t, "HMAC-SHA1")
	a := o1NewOAuth1App(t, srv, nil, func(_ *ginoauth.Config, p *ginoauth.OAuth1Provider) { p.RevocationURL = "" })
	b := a.browser(t, nil)
	b.login("")
	var tok ginoauth.Token
	if err := json.Unmarshal([]byte(b.get("/token.json").body), &tok); err != nil {
		t.Fatal(err)
	}
	if p := b.get("/logout"); p.status != 200 {
		t.Fatalf("logout: got %d", p.status)
	}
	if !srv.TokenValid(tok.AccessToken) {
		t.Error("token revoked at the provider without a revocation endpoint")
	}
	if srv.Count(ginoauthtest.OAuth1PathInvalidate) != 0 {
		t.Error("the revocation endpoint was called")
	}
	if p := b.get("/token"); p.status != http.StatusNotFound {
		t.Error("the token is still stored after Logout")
	}
}

func TestOAuth1AuthParams(t *testing.T) {
	t.Parallel()
	srv, _ := o1Server(t, "HMAC-SHA1")
	a := o1NewOAuth1App(t, srv, nil, func(c *ginoauth.Config, p *ginoauth.OAuth1Provider) {
		p.AuthParams = map[string]string{"force_login": "false", "lang": "en"}
		c.AuthParams = map[string]string{"force_login": "true", "oauth_token": "ignored"}
	})
	q := o1Query(t, a.browser(t, nil).startLogin(""))
	if q.Get("force_login") != "true" || q.Get("lang") != "en" || len(q["oauth_token"]) != 1 || q.Get("oauth_token") == "ignored" {
		t.Errorf("authorize URL query: got %v", q)
	}
}
