// Package azure is the Microsoft Entra ID (Azure AD) preset: OpenID Connect
// login with work, school and (with the "common" or "consumers" tenant)
// personal Microsoft accounts, and an API client for Microsoft Graph.
//
// The blueprint uses the Microsoft identity platform v2.0 endpoints of
// Config.Tenant, asks for openid, email, profile and User.Read, sends a
// nonce and verifies the ID token (signature, issuer, audience, expiry,
// nonce) before the token is stored. With a multi-tenant value (common,
// organizations, consumers, or a domain name) the issuer names the user's
// tenant, so it is checked against the token's tid claim. Profile reads
// Graph's /v1.0/me. Relative URLs given to the blueprint's Client resolve
// against https://graph.microsoft.com/ (so "v1.0/me" works).
//
// Refresh needs the offline_access scope: add it to Config.Scopes.
// Microsoft has no RFC 7009 revocation endpoint, so Logout only deletes the
// token.
//
// Credentials default to AZURE_OAUTH_CLIENT_ID and
// AZURE_OAUTH_CLIENT_SECRET. New does no network I/O.
// Blueprint.EndSession logs the user out of Microsoft too (register the
// blueprint's logged-out route as a front-channel logout or redirect URL).
//
// With a certificate credential instead of a client secret, give
// Config.ClientAssertion an assertion from package clientauth, made from
// the private key followed by its certificate in one PEM (Entra ID finds
// the key by the certificate's thumbprint, which the assertion carries):
//
//	key, _ := clientauth.ParseKey(keyAndCertPEM, "")
//	a, _ := clientauth.PrivateKeyJWT(clientID, key, clientauth.Options{})
//	cfg.ClientAssertion = a.Sign
//
// The assertion's audience is the token endpoint, as Entra ID requires
// (the issuer depends on the user's tenant, so none is used).
package azure

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	name       = "azure"
	env        = "AZURE"
	loginHost  = "https://login.microsoftonline.com/"
	apiBaseURL = "https://graph.microsoft.com/"
	// ConsumersTenantID is the tenant ID of personal Microsoft accounts,
	// the "tid" of every ID token issued through the consumers tenant.
	ConsumersTenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

// Config configures the Azure blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to AZURE_OAUTH_CLIENT_ID and AZURE_OAUTH_CLIENT_SECRET.
	// Scopes default to openid, email, profile and User.Read; add
	// offline_access to get refresh tokens.
	ginoauth.Config

	// Tenant selects who may log in: "common" (work, school and personal
	// accounts), "organizations" (work and school), "consumers" (personal)
	// or one tenant's ID or domain name. Optional. Default "common". A
	// tenant ID is also checked against the ID token's tid; for a domain
	// name, whose ID is not known in advance, set AllowedTenantIDs.
	Tenant string
	// Prompt is sent as the prompt parameter: "login", "none", "consent"
	// or "select_account". Optional. Default "" (not sent).
	Prompt string
	// LoginHint pre-fills the sign-in name (login_hint). Optional.
	// Default "" (not sent).
	LoginHint string
	// DomainHint skips the home realm discovery page, for example
	// "consumers" or a federated domain (domain_hint). Optional. Default
	// "" (not sent).
	DomainHint string
	// AllowedTenantIDs, when not empty, accepts only users whose ID token
	// names one of these tenant IDs (tid), for multi-tenant apps that
	// serve a known set of organizations. Optional. Default: any tenant
	// Tenant admits.
	AllowedTenantIDs []string
}

// defaultScopes are Flask-Dance's Azure defaults.
func defaultScopes() []string { return []string{"openid", "email", "profile", "User.Read"} }

// Provider returns the Azure provider for cfg's options. The ID token
// verifier checks the audience against cfg.ClientID, or
// AZURE_OAUTH_CLIENT_ID when that is empty.
func Provider(cfg Config) ginoauth.Provider {
	provutil.FillCredentials(&cfg.Config, env)
	tenant := cfg.Tenant
	if tenant == "" {
		tenant = "common"
	}
	ep := endpoints.AzureAD(tenant)
	ep.AuthStyle = oauth2.AuthStyleInParams
	keys := loginHost + url.PathEscape(tenant) + "/discovery/v2.0/keys"
	p := oidc.FromMetadata(oidc.Metadata{
		AuthURL:       ep.AuthURL,
		TokenURL:      ep.TokenURL,
		JWKSURL:       keys,
		EndSessionURL: loginHost + url.PathEscape(tenant) + "/oauth2/v2.0/logout",
		Algorithms:    []string{"RS256"},
	}, oidc.Config{
		Config: cfg.Config,
		// The issuer depends on the user's tenant; tenantCheck verifies it.
		SkipIssuerCheck: true,
		CheckClaims:     tenantCheck(tenant, cfg.AllowedTenantIDs),
	})
	scopes := provutil.Scopes(cfg.Config, defaultScopes())
	p.Name = name
	p.Endpoint = ep
	p.Scopes = defaultScopes()
	p.APIBaseURL = apiBaseURL
	p.Profile = graphProfile
	p.AuthParams = map[string]string{}
	for k, v := range map[string]string{"prompt": cfg.Prompt, "login_hint": cfg.LoginHint, "domain_hint": cfg.DomainHint} {
		if v != "" {
			p.AuthParams[k] = v
		}
	}
	// Exact scope match, not Flask-Dance's substring test.
	p.RefreshDisabled = !provutil.HasScope(scopes, "offline_access")
	return p
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// tenantCheck verifies the issuer against the token's tenant, as the
// Microsoft identity platform documents for multi-tenant apps.
func tenantCheck(tenant string, allowed []string) func(map[string]any) error {
	return func(claims map[string]any) error {
		tid, _ := claims["tid"].(string)
		iss, _ := claims["iss"].(string)
		if !guid.MatchString(tid) {
			return errors.New("azure: id token has no valid tid claim")
		}
		if iss != loginHost+tid+"/v2.0" {
			return errors.New("azure: id token issuer does not match its tenant")
		}
		switch t := strings.ToLower(tenant); {
		case t == "consumers":
			if tid != ConsumersTenantID {
				return errors.New("azure: the consumers tenant accepts personal accounts only")
			}
		case t == "organizations":
			if tid == ConsumersTenantID {
				return errors.New("azure: the organizations tenant accepts work and school accounts only")
			}
		case guid.MatchString(t):
			if !strings.EqualFold(tid, t) {
				return errors.New("azure: id token is from another tenant")
			}
		}
		if len(allowed) > 0 && !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, tid) }) {
			return errors.New("azure: the user's tenant is not allowed")
		}
		return nil
	}
}

// graphUser is the part of Microsoft Graph's user resource the profile
// uses.
type graphUser struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	GivenName         string `json:"givenName"`
	Surname           string `json:"surname"`
	Mail              string `json:"mail"`
	UserPrincipalName string `json:"userPrincipalName"`
}

// graphProfile reads Graph's /v1.0/me. Graph does not say whether the mail
// address is verified, so EmailVerified stays false; Graph serves the photo
// as bytes (/v1.0/me/photo/$value), not a URL, so AvatarURL stays empty.
func graphProfile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u graphUser
	raw, err := provutil.GetJSON(ctx, client, "v1.0/me", &u)
	if err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, errors.New("azure: profile: no id")
	}
	p := &ginoauth.Profile{
		ID:       u.ID,
		Email:    u.Mail,
		Name:     u.DisplayName,
		Username: u.UserPrincipalName,
		Raw:      raw,
	}
	if p.Name == "" {
		p.Name = strings.TrimSpace(u.GivenName + " " + u.Surname)
	}
	return p, nil
}

// New returns the Azure blueprint, the equivalent of Flask-Dance's
// make_azure_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	provutil.FillCredentials(&cfg.Config, env)
	return provutil.New(Provider(cfg), cfg.Config, env)
}
