package providers_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/apple"
	"github.com/ginoauth/ginoauth/providers/atlassian"
	"github.com/ginoauth/ginoauth/providers/auth0"
	"github.com/ginoauth/ginoauth/providers/authentiq"
	"github.com/ginoauth/ginoauth/providers/azure"
	"github.com/ginoauth/ginoauth/providers/dexcom"
	"github.com/ginoauth/ginoauth/providers/gitlab"
	"github.com/ginoauth/ginoauth/providers/google"
	"github.com/ginoauth/ginoauth/providers/keycloak"
	"github.com/ginoauth/ginoauth/providers/linkedin"
	"github.com/ginoauth/ginoauth/providers/microsoft"
	"github.com/ginoauth/ginoauth/providers/oidc"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
	"github.com/ginoauth/ginoauth/providers/okta"
	"github.com/ginoauth/ginoauth/providers/salesforce"
	"github.com/ginoauth/ginoauth/providers/zoho"
)

const (
	envID     = "env-client-id"
	envSecret = "env-client-secret"
	tenantID  = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	teamID    = "TEAM123456"
	keyID     = "KEY1234567"
)

// t1TestKeys are generated once: an RSA key for ID tokens and a P-256 key
// standing in for Apple's .p8 key.
var t1TestKeys = sync.OnceValues(func() (*t1KeyPair, error) {
	s, err := oidctest.NewSigner("test-key")
	if err != nil {
		return nil, err
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		return nil, err
	}
	p8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return &t1KeyPair{signer: s, apple: ec, appleP8: string(p8)}, nil
})

type t1KeyPair struct {
	signer  *oidctest.Signer
	apple   *ecdsa.PrivateKey
	appleP8 string
}

func t1Keys(t *testing.T) *t1KeyPair {
	t.Helper()
	k, err := t1TestKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// t1ID describes an OpenID preset's ID token and keys.
type t1ID struct {
	jwks      string                            // the key set URL the preset uses
	discovery map[string]any                    // a discovery document to serve, if the preset reads one
	claims    func(nonce string) map[string]any // ID token claims for a login's nonce
}

// t1Option is one option and its effect.
type t1Option struct {
	name    string
	newBP   func(cfg ginoauth.Config) (*ginoauth.Blueprint, error)
	want    map[string]string // authorization URL parameters with these values
	absent  []string          // parameters that must not be there
	host    string            // authorization URL host, if it moves
	path    string            // authorization URL path, if it moves
	token   string            // token URL, if it moves
	api     string            // API base URL, if it moves
	refresh *bool             // whether refresh is enabled, if the option changes it
}

type t1Case struct {
	name       string
	env        string
	provider   func() ginoauth.Provider
	newBP      func(cfg ginoauth.Config) (*ginoauth.Blueprint, error)
	scope      string // the scope parameter as sent; "" for none
	pkce       bool
	style      oauth2.AuthStyle
	authURL    string // scheme, host and path of the authorization endpoint
	tokenURL   string
	apiBase    string
	params     map[string]string // extra authorization parameters sent by default
	refresh    bool              // refresh enabled with the default options
	id         *t1ID             // nil for plain OAuth 2
	tokenExtra map[string]any    // extra fields in the token response
	options    []t1Option
}

func t1Ptr[T any](v T) *T { return &v }

func t1Claims(iss, aud string) func(string) map[string]any {
	return func(nonce string) map[string]any {
		return map[string]any{
			"iss": iss, "aud": aud, "sub": "user-1", "nonce": nonce,
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
			"email": "ada@example.com", "email_verified": true,
		}
	}
}

func t1Cases(t *testing.T) []t1Case {
	k := t1Keys(t)
	appleCfg := func(cfg ginoauth.Config) apple.Config {
		return apple.Config{Config: cfg, TeamID: teamID, KeyID: keyID, PrivateKey: k.appleP8}
	}
	azureClaims := func(tid string) func(string) map[string]any {
		return func(nonce string) map[string]any {
			c := t1Claims("https://login.microsoftonline.com/"+tid+"/v2.0", envID)(nonce)
			c["tid"] = tid
			return c
		}
	}
	return []t1Case{
		{
			name: "google", env: "GOOGLE",
			provider: func() ginoauth.Provider { return google.Provider(google.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(google.Provider(google.Config{Config: cfg}))(google.New(google.Config{Config: cfg}))
			},
			scope: "openid profile email", pkce: true, style: oauth2.AuthStyleInParams,
			authURL: "https://accounts.google.com/o/oauth2/auth", tokenURL: "https://oauth2.googleapis.com/token",
			apiBase: "https://www.googleapis.com/",
			id: &t1ID{jwks: "https://www.googleapis.com/oauth2/v3/certs",
				claims: t1Claims("https://accounts.google.com", envID)},
			options: []t1Option{
				{name: "default", newBP: t1Google(google.Config{}), absent: []string{"access_type", "prompt", "hd"}, refresh: t1Ptr(false)},
				{name: "offline", newBP: t1Google(google.Config{Offline: true}), want: map[string]string{"access_type": "offline"}, refresh: t1Ptr(true)},
				{name: "reprompt consent", newBP: t1Google(google.Config{RepromptConsent: true}), want: map[string]string{"prompt": "consent"}},
				{name: "reprompt select account", newBP: t1Google(google.Config{RepromptSelectAccount: true}), want: map[string]string{"prompt": "select_account"}},
				{name: "both prompts", newBP: t1Google(google.Config{RepromptConsent: true, RepromptSelectAccount: true}), want: map[string]string{"prompt": "consent select_account"}},
				{name: "hosted domain", newBP: t1Google(google.Config{HostedDomain: "example.com"}), want: map[string]string{"hd": "example.com"}},
			},
		},
		{
			name: "azure", env: "AZURE",
			provider: func() ginoauth.Provider { return azure.Provider(azure.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(azure.Provider(azure.Config{Config: cfg}))(azure.New(azure.Config{Config: cfg}))
			},
			scope: "openid email profile User.Read", pkce: true, style: oauth2.AuthStyleInParams,
			authURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
			tokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
			apiBase:  "https://graph.microsoft.com/",
			id: &t1ID{jwks: "https://login.microsoftonline.com/common/discovery/v2.0/keys",
				claims: azureClaims(tenantID)},
			options: []t1Option{
				{name: "default", newBP: t1Azure(azure.Config{}), absent: []string{"prompt", "login_hint", "domain_hint"}, refresh: t1Ptr(false)},
				{name: "tenant", newBP: t1Azure(azure.Config{Tenant: "organizations"}), path: "/organizations/oauth2/v2.0/authorize",
					token: "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"},
				{name: "prompt", newBP: t1Azure(azure.Config{Prompt: "login"}), want: map[string]string{"prompt": "login"}},
				{name: "login hint", newBP: t1Azure(azure.Config{LoginHint: "ada@example.com"}), want: map[string]string{"login_hint": "ada@example.com"}},
				{name: "domain hint", newBP: t1Azure(azure.Config{DomainHint: "example.com"}), want: map[string]string{"domain_hint": "example.com"}},
				{name: "offline_access scope", newBP: t1Azure(azure.Config{Config: ginoauth.Config{Scopes: []string{"openid", "offline_access"}}}),
					want: map[string]string{"scope": "openid offline_access"}, refresh: t1Ptr(true)},
				{name: "offline_access substring", newBP: t1Azure(azure.Config{Config: ginoauth.Config{Scopes: []string{"openid", "offline_access_x"}}}),
					refresh: t1Ptr(false)},
			},
		},
		{
			name: "microsoft", env: "MICROSOFT",
			provider: func() ginoauth.Provider { return microsoft.Provider(microsoft.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(microsoft.Provider(microsoft.Config{Config: cfg}))(microsoft.New(microsoft.Config{Config: cfg}))
			},
			scope: "openid email profile User.Read", pkce: true, style: oauth2.AuthStyleInParams,
			authURL:  "https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize",
			tokenURL: "https://login.microsoftonline.com/consumers/oauth2/v2.0/token",
			apiBase:  "https://graph.microsoft.com/",
			id: &t1ID{jwks: "https://login.microsoftonline.com/consumers/discovery/v2.0/keys",
				claims: azureClaims(azure.ConsumersTenantID)},
			options: []t1Option{
				{name: "prompt", newBP: t1Microsoft(microsoft.Config{Prompt: "select_account"}), want: map[string]string{"prompt": "select_account"}},
				{name: "login hint", newBP: t1Microsoft(microsoft.Config{LoginHint: "ada@outlook.com"}), want: map[string]string{"login_hint": "ada@outlook.com"}},
			},
		},
		{
			name: "linkedin", env: "LINKEDIN",
			provider: func() ginoauth.Provider { return linkedin.Provider(linkedin.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(linkedin.Provider(linkedin.Config{Config: cfg}))(linkedin.New(linkedin.Config{Config: cfg}))
			},
			scope: "openid profile email", pkce: false, style: oauth2.AuthStyleInParams,
			authURL: "https://www.linkedin.com/oauth/v2/authorization", tokenURL: "https://www.linkedin.com/oauth/v2/accessToken",
			apiBase: "https://api.linkedin.com/v2/", refresh: true,
			id: &t1ID{jwks: "https://www.linkedin.com/oauth/openid/jwks",
				// LinkedIn sends no nonce.
				claims: func(nonce string) map[string]any {
					c := t1Claims("https://www.linkedin.com/oauth", envID)(nonce)
					delete(c, "nonce")
					return c
				}},
		},
		{
			name: "apple", env: "APPLE",
			provider: func() ginoauth.Provider { return apple.Provider(apple.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(apple.Provider(appleCfg(cfg)))(apple.New(appleCfg(cfg)))
			},
			scope: "name email", pkce: true, style: oauth2.AuthStyleInParams,
			authURL: "https://appleid.apple.com/auth/authorize", tokenURL: "https://appleid.apple.com/auth/token",
			params: map[string]string{"response_mode": "form_post"}, refresh: true,
			id: &t1ID{jwks: "https://appleid.apple.com/auth/keys",
				claims: func(nonce string) map[string]any {
					c := t1Claims("https://appleid.apple.com", envID)(nonce)
					c["email_verified"] = "true"
					return c
				}},
		},
		{
			name: "okta", env: "OKTA",
			provider: func() ginoauth.Provider { return okta.Provider(okta.Config{Domain: "dev-1.okta.com"}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(okta.Provider(okta.Config{Config: cfg, Domain: "dev-1.okta.com"}))(okta.New(okta.Config{Config: cfg, Domain: "dev-1.okta.com"}))
			},
			scope: "openid profile email", pkce: true, style: oauth2.AuthStyleInHeader,
			authURL: "https://dev-1.okta.com/oauth2/default/v1/authorize", tokenURL: "https://dev-1.okta.com/oauth2/default/v1/token",
			apiBase: "https://dev-1.okta.com/oauth2/default/", refresh: true,
			id: &t1ID{jwks: "https://dev-1.okta.com/oauth2/default/v1/keys",
				claims: t1Claims("https://dev-1.okta.com/oauth2/default", envID)},
			options: []t1Option{
				{name: "authorization server", newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
					return t1Keep(okta.Provider(okta.Config{Config: cfg, Domain: "dev-1.okta.com", AuthorizationServerID: "aus9"}))(okta.New(okta.Config{Config: cfg, Domain: "dev-1.okta.com", AuthorizationServerID: "aus9"}))
				}, path: "/oauth2/aus9/v1/authorize", token: "https://dev-1.okta.com/oauth2/aus9/v1/token"},
			},
		},
		{
			name: "auth0", env: "AUTH0",
			provider: func() ginoauth.Provider { return auth0.Provider(auth0.Config{Domain: "acme.eu.auth0.com"}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(auth0.Provider(auth0.Config{Config: cfg, Domain: "acme.eu.auth0.com"}))(auth0.New(auth0.Config{Config: cfg, Domain: "acme.eu.auth0.com"}))
			},
			scope: "openid profile email", pkce: true, style: oauth2.AuthStyleInParams,
			authURL: "https://acme.eu.auth0.com/authorize", tokenURL: "https://acme.eu.auth0.com/oauth/token",
			apiBase: "https://acme.eu.auth0.com/", refresh: true,
			id: &t1ID{jwks: "https://acme.eu.auth0.com/.well-known/jwks.json",
				claims: t1Claims("https://acme.eu.auth0.com/", envID)},
			options: []t1Option{
				{name: "default", newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
					return t1Keep(auth0.Provider(auth0.Config{Config: cfg, Domain: "acme.eu.auth0.com"}))(auth0.New(auth0.Config{Config: cfg, Domain: "acme.eu.auth0.com"}))
				}, absent: []string{"audience"}},
				{name: "audience", newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
					return t1Keep(auth0.Provider(auth0.Config{Config: cfg, Domain: "acme.eu.auth0.com", Audience: "https://api.acme.example"}))(auth0.New(auth0.Config{Config: cfg, Domain: "acme.eu.auth0.com", Audience: "https://api.acme.example"}))
				}, want: map[string]string{"audience": "https://api.acme.example"}},
			},
		},
		{
			name: "keycloak", env: "KEYCLOAK",
			provider: func() ginoauth.Provider {
				return keycloak.Provider(keycloak.Config{BaseURL: "https://sso.example.com", Realm: "acme"})
			},
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(keycloak.Provider(keycloak.Config{Config: cfg, BaseURL: "https://sso.example.com", Realm: "acme"}))(keycloak.New(keycloak.Config{Config: cfg, BaseURL: "https://sso.example.com", Realm: "acme"}))
			},
			scope: "openid profile email", pkce: true, style: oauth2.AuthStyleInHeader,
			authURL:  "https://sso.example.com/realms/acme/protocol/openid-connect/auth",
			tokenURL: "https://sso.example.com/realms/acme/protocol/openid-connect/token",
			apiBase:  "https://sso.example.com/realms/acme/", refresh: true,
			id: &t1ID{jwks: "https://sso.example.com/realms/acme/protocol/openid-connect/certs",
				claims: t1Claims("https://sso.example.com/realms/acme", envID)},
			options: []t1Option{
				{name: "context path", newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
					return t1Keep(keycloak.Provider(keycloak.Config{Config: cfg, BaseURL: "https://sso.example.com/auth/", Realm: "ops"}))(keycloak.New(keycloak.Config{Config: cfg, BaseURL: "https://sso.example.com/auth/", Realm: "ops"}))
				}, path: "/auth/realms/ops/protocol/openid-connect/auth"},
			},
		},
		{
			name: "authentiq", env: "AUTHENTIQ",
			provider: func() ginoauth.Provider { return authentiq.Provider(authentiq.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(authentiq.Provider(authentiq.Config{Config: cfg}))(authentiq.New(authentiq.Config{Config: cfg}))
			},
			scope: "openid profile", pkce: true, style: oauth2.AuthStyleInHeader,
			authURL: "https://connect.authentiq.io/authorize", tokenURL: "https://connect.authentiq.io/token",
			apiBase: "https://connect.authentiq.io/", refresh: true,
			id: &t1ID{jwks: "https://connect.authentiq.io/jwks",
				discovery: map[string]any{
					"issuer":                 "https://connect.authentiq.io/",
					"authorization_endpoint": "https://connect.authentiq.io/authorize",
					"token_endpoint":         "https://connect.authentiq.io/token",
					"jwks_uri":               "https://connect.authentiq.io/jwks",
				},
				claims: t1Claims("https://connect.authentiq.io/", envID)},
			options: []t1Option{
				{name: "hostname", newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
					return t1Keep(authentiq.Provider(authentiq.Config{Config: cfg, Hostname: "id.example.org"}))(authentiq.New(authentiq.Config{Config: cfg, Hostname: "id.example.org"}))
				}, host: "id.example.org", token: "https://id.example.org/token", api: "https://id.example.org/"},
			},
		},
		{
			name: "oidc", env: "OIDC",
			provider: func() ginoauth.Provider {
				return oidc.FromMetadata(oidc.Metadata{Issuer: "https://id.example.com", AuthURL: "https://id.example.com/authorize",
					TokenURL: "https://id.example.com/token"}, oidc.Config{})
			},
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return oidc.New(context.Background(), oidc.Config{Config: cfg, Issuer: "https://id.example.com"})
			},
			scope: "openid profile email", pkce: true, style: oauth2.AuthStyleInHeader,
			authURL: "https://id.example.com/authorize", tokenURL: "https://id.example.com/token",
			apiBase: "https://id.example.com/", refresh: true,
			id: &t1ID{jwks: "https://id.example.com/jwks",
				discovery: map[string]any{
					"issuer":                 "https://id.example.com",
					"authorization_endpoint": "https://id.example.com/authorize",
					"token_endpoint":         "https://id.example.com/token",
					"jwks_uri":               "https://id.example.com/jwks",
				},
				claims: t1Claims("https://id.example.com", envID)},
		},
		{
			name: "gitlab", env: "GITLAB",
			provider: func() ginoauth.Provider { return gitlab.Provider(gitlab.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(gitlab.Provider(gitlab.Config{Config: cfg}))(gitlab.New(gitlab.Config{Config: cfg}))
			},
			scope: "read_user", pkce: true, style: oauth2.AuthStyleInHeader,
			authURL: "https://gitlab.com/oauth/authorize", tokenURL: "https://gitlab.com/oauth/token",
			apiBase: "https://gitlab.com/api/v4/", refresh: true,
			options: []t1Option{
				{name: "hostname", newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
					return t1Keep(gitlab.Provider(gitlab.Config{Config: cfg, Hostname: "gitlab.example.com"}))(gitlab.New(gitlab.Config{Config: cfg, Hostname: "gitlab.example.com"}))
				}, host: "gitlab.example.com", token: "https://gitlab.example.com/oauth/token", api: "https://gitlab.example.com/api/v4/"},
			},
		},
		{
			name: "salesforce", env: "SALESFORCE",
			provider: func() ginoauth.Provider { return salesforce.Provider(salesforce.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(salesforce.Provider(salesforce.Config{Config: cfg}))(salesforce.New(salesforce.Config{Config: cfg}))
			},
			pkce: true, style: oauth2.AuthStyleInParams,
			authURL: "https://login.salesforce.com/services/oauth2/authorize", tokenURL: "https://login.salesforce.com/services/oauth2/token",
			apiBase: "https://login.salesforce.com/", refresh: true,
			tokenExtra: map[string]any{"instance_url": "https://acme.my.salesforce.com"},
			options: []t1Option{
				{name: "default", newBP: t1Salesforce(salesforce.Config{}), absent: []string{"prompt", "scope"}},
				{name: "sandbox", newBP: t1Salesforce(salesforce.Config{Sandbox: true}), host: "test.salesforce.com",
					token: "https://test.salesforce.com/services/oauth2/token", api: "https://test.salesforce.com/"},
				{name: "hostname wins", newBP: t1Salesforce(salesforce.Config{Sandbox: true, Hostname: "acme.my.salesforce.com"}), host: "acme.my.salesforce.com"},
				{name: "reprompt consent", newBP: t1Salesforce(salesforce.Config{RepromptConsent: true}), want: map[string]string{"prompt": "consent"}},
			},
		},
		{
			name: "atlassian", env: "ATLASSIAN",
			provider: func() ginoauth.Provider { return atlassian.Provider(atlassian.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(atlassian.Provider(atlassian.Config{Config: cfg}))(atlassian.New(atlassian.Config{Config: cfg}))
			},
			scope: "read:me", pkce: true, style: oauth2.AuthStyleInParams,
			authURL: "https://auth.atlassian.com/authorize", tokenURL: "https://auth.atlassian.com/oauth/token",
			apiBase: "https://api.atlassian.com/", params: map[string]string{"audience": "api.atlassian.com"},
			options: []t1Option{
				{name: "default", newBP: t1Atlassian(atlassian.Config{}), absent: []string{"prompt"}, refresh: t1Ptr(false)},
				{name: "reprompt consent", newBP: t1Atlassian(atlassian.Config{RepromptConsent: true}),
					want: map[string]string{"prompt": "consent", "audience": "api.atlassian.com"}},
				{name: "offline_access", newBP: t1Atlassian(atlassian.Config{Config: ginoauth.Config{Scopes: []string{"read:me", "offline_access"}}}),
					refresh: t1Ptr(true)},
			},
		},
		{
			name: "zoho", env: "ZOHO",
			provider: func() ginoauth.Provider { return zoho.Provider(zoho.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(zoho.Provider(zoho.Config{Config: cfg}))(zoho.New(zoho.Config{Config: cfg}))
			},
			scope: "ZohoCRM.users.ALL", pkce: true, style: oauth2.AuthStyleInParams,
			authURL: "https://accounts.zoho.com/oauth/v2/auth", tokenURL: "https://accounts.zoho.com/oauth/v2/token",
			apiBase: "https://www.zohoapis.com/", params: map[string]string{"access_type": "online"},
			tokenExtra: map[string]any{"api_domain": "https://www.zohoapis.com"},
			options: []t1Option{
				{name: "default", newBP: t1Zoho(zoho.Config{}), want: map[string]string{"access_type": "online"}, absent: []string{"prompt"}, refresh: t1Ptr(false)},
				{name: "offline", newBP: t1Zoho(zoho.Config{Offline: true}), want: map[string]string{"access_type": "offline"}, refresh: t1Ptr(true)},
				{name: "reprompt consent", newBP: t1Zoho(zoho.Config{RepromptConsent: true}), want: map[string]string{"prompt": "consent"}},
				{name: "data center", newBP: t1Zoho(zoho.Config{AccountsDomain: "accounts.zoho.eu"}), host: "accounts.zoho.eu",
					token: "https://accounts.zoho.eu/oauth/v2/token", api: "https://www.zohoapis.eu/"},
				{name: "comma scopes", newBP: t1Zoho(zoho.Config{Config: ginoauth.Config{Scopes: []string{"ZohoCRM.users.ALL", "ZohoCRM.org.READ"}}}),
					want: map[string]string{"scope": "ZohoCRM.users.ALL,ZohoCRM.org.READ"}},
			},
		},
		{
			name: "dexcom", env: "DEXCOM",
			provider: func() ginoauth.Provider { return dexcom.Provider(dexcom.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(dexcom.Provider(dexcom.Config{Config: cfg}))(dexcom.New(dexcom.Config{Config: cfg}))
			},
			scope: "offline_access", pkce: true, style: oauth2.AuthStyleInParams,
			authURL: "https://api.dexcom.com/v2/oauth2/login", tokenURL: "https://api.dexcom.com/v2/oauth2/token",
			apiBase: "https://api.dexcom.com/", refresh: true,
			options: []t1Option{
				{name: "sandbox moves every URL", newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
					return t1Keep(dexcom.Provider(dexcom.Config{Config: cfg, Sandbox: true}))(dexcom.New(dexcom.Config{Config: cfg, Sandbox: true}))
				}, host: "sandbox-api.dexcom.com", token: "https://sandbox-api.dexcom.com/v2/oauth2/token", api: "https://sandbox-api.dexcom.com/"},
			},
		},
	}
}

func t1Google(c google.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(google.Provider(c))(google.New(c))
	}
}

func t1Azure(c azure.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(azure.Provider(c))(azure.New(c))
	}
}

func t1Microsoft(c microsoft.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(microsoft.Provider(c))(microsoft.New(c))
	}
}

func t1Salesforce(c salesforce.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(salesforce.Provider(c))(salesforce.New(c))
	}
}

func t1Atlassian(c atlassian.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(atlassian.Provider(c))(atlassian.New(c))
	}
}

func t1Zoho(c zoho.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(zoho.Provider(c))(zoho.New(c))
	}
}

// t1Merge keeps the option's scopes on top of the test's base config.
func t1Merge(base, opt ginoauth.Config) ginoauth.Config {
	if opt.Scopes != nil {
		base.Scopes = opt.Scopes
	}
	return base
}

// TestTable1Provider checks what every provider must satisfy, from its
// Provider value alone.
func TestTable1Provider(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tc := range t1Cases(t) {
		p := tc.provider()
		if p.Name != tc.name {
			t.Errorf("%s: got name %q", tc.name, p.Name)
		}
		if seen[p.Name] {
			t.Errorf("%s: duplicate name", tc.name)
		}
		seen[p.Name] = true
		for what, u := range map[string]string{"AuthURL": p.Endpoint.AuthURL, "TokenURL": p.Endpoint.TokenURL,
			"RevocationURL": p.RevocationURL, "APIBaseURL": p.APIBaseURL} {
			if u == "" && (what == "RevocationURL" || what == "APIBaseURL") {
				continue
			}
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme != "https" || pu.Host == "" {
				t.Errorf("%s: %s %q is not an https URL", tc.name, what, u)
			}
		}
		if p.APIBaseURL != "" && !strings.HasSuffix(p.APIBaseURL, "/") {
			t.Errorf("%s: APIBaseURL %q does not end with /", tc.name, p.APIBaseURL)
		}
		if got, want := p.APIBaseURL, tc.apiBase; got != want {
			t.Errorf("%s: got APIBaseURL %q, want %q", tc.name, got, want)
		}
		sep := p.ScopeSeparator
		if sep == "" {
			sep = " "
		}
		if got := strings.Join(p.Scopes, sep); got != tc.scope {
			t.Errorf("%s: got default scopes %q, want %q", tc.name, got, tc.scope)
		}
		if p.DisablePKCE == tc.pkce {
			t.Errorf("%s: got DisablePKCE %v, want %v", tc.name, p.DisablePKCE, !tc.pkce)
		}
		if p.Endpoint.AuthStyle != tc.style {
			t.Errorf("%s: got AuthStyle %v, want %v", tc.name, p.Endpoint.AuthStyle, tc.style)
		}
		if p.RefreshDisabled == tc.refresh {
			t.Errorf("%s: got RefreshDisabled %v, want %v", tc.name, p.RefreshDisabled, !tc.refresh)
		}
		if p.Profile == nil {
			t.Errorf("%s: no Profile function", tc.name)
		}
		if openID := tc.id != nil; p.OpenID != openID || (p.VerifyIDToken != nil) != openID {
			t.Errorf("%s: got OpenID %v (verifier %v), want %v", tc.name, p.OpenID, p.VerifyIDToken != nil, openID)
		}
	}
}

// t1TokenRequest is what the fake provider's token endpoint received.
type t1TokenRequest struct {
	url         string
	method      string
	form        url.Values
	user, pass  string
	basic       bool
	contentType string
}

// t1Fake answers, for one provider case, every request the
// blueprint makes to the provider's real URLs (routed by
// oidctest.Transport): discovery, keys and the token endpoint.
type t1Fake struct {
	t        *testing.T
	tc       t1Case
	tokenURL string
	signer   *oidctest.Signer

	mu    sync.Mutex
	nonce string
	token []t1TokenRequest
}

func (f *t1Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	full := r.Header.Get("X-Forwarded-Proto") + "://" + r.Header.Get("X-Forwarded-Host") + r.URL.Path
	w.Header().Set("Content-Type", "application/json")
	switch {
	case f.tc.id != nil && f.tc.id.discovery != nil && strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		_ = json.NewEncoder(w).Encode(f.tc.id.discovery)
	case f.tc.id != nil && full == f.tc.id.jwks:
		_, _ = w.Write(f.signer.JWKS())
	case full == f.tokenURL:
		_ = r.ParseForm()
		u, p, ok := r.BasicAuth()
		f.token = append(f.token, t1TokenRequest{url: full, method: r.Method, form: r.PostForm, user: u, pass: p, basic: ok,
			contentType: r.Header.Get("Content-Type")})
		resp := map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1"}
		maps.Copy(resp, f.tc.tokenExtra)
		if f.tc.id != nil {
			raw, err := f.signer.Sign(f.tc.id.claims(f.nonce))
			if err != nil {
				f.t.Errorf("sign: %v", err)
			}
			resp["id_token"] = raw
		}
		_ = json.NewEncoder(w).Encode(resp)
	default:
		f.t.Errorf("%s: unexpected request %s %s", f.tc.name, r.Method, full)
		http.NotFound(w, r)
	}
}

func t1Engine(bp *ginoauth.Blueprint) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	return r
}

func t1Login(t *testing.T, r http.Handler, name string) (*url.URL, []*http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login/"+name, nil))
	if w.Code != http.StatusFound {
		t.Fatalf("login: got status %d, want 302", w.Code)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc, w.Result().Cookies()
}

// TestTable1LoginAndTokenRequest drives a whole login for every provider with
// credentials from the environment: the authorization URL, the token
// request's shape, and (for OpenID presets) ID token verification against
// the preset's real issuer and key set URL.
func TestTable1LoginAndTokenRequest(t *testing.T) {
	k := t1Keys(t)
	for _, tc := range t1Cases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env+"_OAUTH_CLIENT_ID", envID)
			t.Setenv(tc.env+"_OAUTH_CLIENT_SECRET", envSecret)
			fake := &t1Fake{t: t, tc: tc, tokenURL: tc.tokenURL, signer: k.signer}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			var hookErr *ginoauth.Error
			var stored *ginoauth.Token
			bp, err := tc.newBP(ginoauth.Config{
				HTTPClient: oidctest.Client(srv.URL),
				Hooks: ginoauth.Hooks{
					Error:      func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { hookErr = err },
					Authorized: func(_ *gin.Context, _ *ginoauth.Blueprint, t *ginoauth.Token) error { stored = t; return nil },
				},
			})
			if err != nil {
				t.Fatalf("New with credentials from the environment: %v", err)
			}
			r := t1Engine(bp)
			loc, cookies := t1Login(t, r, tc.name)

			// The authorization URL.
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != tc.authURL {
				t.Errorf("got authorization endpoint %q, want %q", got, tc.authURL)
			}
			q := loc.Query()
			want := map[string]string{
				"client_id":     envID,
				"response_type": "code",
				"redirect_uri":  "http://example.com/login/" + tc.name + "/authorized",
			}
			if tc.scope != "" {
				want["scope"] = tc.scope
			}
			maps.Copy(want, tc.params)
			for k, v := range want {
				if got := q.Get(k); got != v {
					t.Errorf("parameter %s: got %q, want %q", k, got, v)
				}
			}
			if tc.scope == "" && q.Has("scope") {
				t.Errorf("got scope %q, want none", q.Get("scope"))
			}
			if got := q.Get("code_challenge_method") == "S256" && q.Get("code_challenge") != ""; got != tc.pkce {
				t.Errorf("got PKCE challenge %v, want %v", got, tc.pkce)
			}
			if got := q.Get("nonce") != ""; got != (tc.id != nil) {
				t.Errorf("got nonce %v, want %v", got, tc.id != nil)
			}
			if len(q.Get("state")) < 20 {
				t.Errorf("got state %q, want a long random value", q.Get("state"))
			}

			// The callback and the token request.
			fake.mu.Lock()
			fake.nonce = q.Get("nonce")
			fake.mu.Unlock()
			req := httptest.NewRequest(http.MethodGet, "/login/"+tc.name+"/authorized?code=code-1&state="+url.QueryEscape(q.Get("state")), nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if hookErr != nil {
				t.Fatalf("callback failed: %v", hookErr)
			}
			if w.Code != http.StatusFound || w.Header().Get("Location") != "/" {
				t.Fatalf("callback: got %d %q, want 302 /", w.Code, w.Header().Get("Location"))
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.token) != 1 {
				t.Fatalf("got %d token requests, want 1", len(fake.token))
			}
			tr := fake.token[0]
			if tr.method != http.MethodPost || !strings.HasPrefix(tr.contentType, "application/x-www-form-urlencoded") {
				t.Errorf("got %s %q, want a form POST", tr.method, tr.contentType)
			}
			body := map[string]string{
				"grant_type":   "authorization_code",
				"code":         "code-1",
				"redirect_uri": want["redirect_uri"],
			}
			if tc.pkce {
				body["code_verifier"] = "?"
			}
			switch tc.style {
			case oauth2.AuthStyleInHeader:
				if !tr.basic || tr.user != envID || tr.pass != envSecret {
					t.Errorf("got Basic auth %v (%q), want the environment's credentials", tr.basic, tr.user)
				}
			case oauth2.AuthStyleInParams:
				if tr.basic {
					t.Errorf("got HTTP Basic auth, want credentials in the body")
				}
				body["client_id"] = envID
				body["client_secret"] = envSecret
				if tc.name == "apple" {
					body["client_secret"] = "?"
					t1AppleSecret(t, tr.form.Get("client_secret"), &k.apple.PublicKey)
				}
			}
			if got, want := slices.Sorted(maps.Keys(tr.form)), slices.Sorted(maps.Keys(body)); !slices.Equal(got, want) {
				t.Errorf("got token request fields %q, want %q", got, want)
			}
			for k, v := range body {
				if v != "?" && tr.form.Get(k) != v {
					t.Errorf("token request %s: got %q, want %q", k, tr.form.Get(k), v)
				}
			}
			if tc.pkce && len(tr.form.Get("code_verifier")) < 43 {
				t.Errorf("got code_verifier of length %d, want at least 43", len(tr.form.Get("code_verifier")))
			}
			if stored == nil || stored.RefreshToken != "rt-1" {
				t.Fatalf("got token %v, want the exchanged token", stored)
			}
			for k, v := range tc.tokenExtra {
				if stored.Extra[k] != v {
					t.Errorf("token extra %s: got %v, want %v", k, stored.Extra[k], v)
				}
			}
			if tc.id != nil {
				claims, ok := oidc.IDTokenClaims(stored)
				if !ok || claims["sub"] != "user-1" {
					t.Errorf("got claims %v, want the verified ID token's", claims)
				}
			}
		})
	}
}

func t1AppleSecret(t *testing.T, secret string, pub *ecdsa.PublicKey) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("client_secret is not an ES256 JWS: %v", err)
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != keyID {
		t.Errorf("client secret kid: got %q, want %q", kid, keyID)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		t.Fatalf("client secret signature: %v", err)
	}
	var c struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iss != teamID || c.Sub != envID || c.Aud != "https://appleid.apple.com" || c.Exp <= c.Iat || c.Exp > time.Now().Add(6*31*24*time.Hour).Unix() {
		t.Errorf("got client secret claims %+v, want iss %s, sub %s, aud Apple, a bounded expiry", c, teamID, envID)
	}
}

// TestTable1Options checks each option's effect on the authorization URL and on
// the provider's other URLs.
func TestTable1Options(t *testing.T) {
	t.Parallel()
	for _, tc := range t1Cases(t) {
		for _, oc := range tc.options {
			t.Run(tc.name+"/"+oc.name, func(t *testing.T) {
				t.Parallel()
				bp, err := oc.newBP(ginoauth.Config{ClientID: "id", ClientSecret: "secret"})
				if err != nil {
					t.Fatal(err)
				}
				loc, _ := t1Login(t, t1Engine(bp), tc.name)
				base, _ := url.Parse(tc.authURL)
				wantHost, wantPath := base.Host, base.Path
				if oc.host != "" {
					wantHost = oc.host
				}
				if oc.path != "" {
					wantPath = oc.path
				}
				if loc.Scheme != "https" || loc.Host != wantHost || loc.Path != wantPath {
					t.Errorf("got authorization URL %s://%s%s, want https://%s%s", loc.Scheme, loc.Host, loc.Path, wantHost, wantPath)
				}
				q := loc.Query()
				for k, v := range oc.want {
					if got := q.Get(k); got != v {
						t.Errorf("parameter %s: got %q, want %q", k, got, v)
					}
				}
				for _, k := range oc.absent {
					if q.Has(k) {
						t.Errorf("parameter %s: got %q, want none", k, q.Get(k))
					}
				}
				v, ok := t1Provs.Load(bp)
				if !ok {
					t.Fatal("the option's blueprint was not built through t1Keep")
				}
				p := v.(ginoauth.Provider)
				if oc.token != "" && p.Endpoint.TokenURL != oc.token {
					t.Errorf("got token URL %q, want %q", p.Endpoint.TokenURL, oc.token)
				}
				if oc.api != "" && p.APIBaseURL != oc.api {
					t.Errorf("got API base URL %q, want %q", p.APIBaseURL, oc.api)
				}
				if oc.refresh != nil && p.RefreshDisabled == *oc.refresh {
					t.Errorf("got RefreshDisabled %v, want %v", p.RefreshDisabled, !*oc.refresh)
				}
			})
		}
	}
}

// t1Provs maps each blueprint the table built to its preset's Provider.
var t1Provs sync.Map

// t1Keep records what the preset's Provider function returned for the
// blueprint its New built from the same config.
func t1Keep(p ginoauth.Provider) func(*ginoauth.Blueprint, error) (*ginoauth.Blueprint, error) {
	return func(bp *ginoauth.Blueprint, err error) (*ginoauth.Blueprint, error) {
		if err == nil {
			t1Provs.Store(bp, p)
		}
		return bp, err
	}
}
