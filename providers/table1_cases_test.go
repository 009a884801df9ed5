package providers_test

import (
	"context"
	"testing"

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
	"github.com/ginoauth/ginoauth/providers/okta"
	"github.com/ginoauth/ginoauth/providers/salesforce"
	"github.com/ginoauth/ginoauth/providers/zoho"
)

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
			provider: func() ginoauth.Provider { return linkedin.Provider(ginoauth.Config{}) },
			newBP: func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
				return t1Keep(linkedin.Provider(cfg))(linkedin.New(cfg))
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
