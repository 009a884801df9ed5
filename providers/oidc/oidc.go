package oidc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// defaultName is the provider name, route segment and storage key.
const defaultName = "oidc"

// envPrefix is the environment variable prefix for the generic provider's
// credentials: OIDC_OAUTH_CLIENT_ID and OIDC_OAUTH_CLIENT_SECRET.
const envPrefix = "OIDC"

// defaultTimeout bounds discovery and key fetches when Config.HTTPClient
// has no Timeout.
const defaultTimeout = 15 * time.Second

// Config configures a generic OpenID Connect blueprint.
type Config struct {
	// Config is the blueprint configuration. Name defaults to "oidc".
	// ClientID and ClientSecret default to OIDC_OAUTH_CLIENT_ID and
	// OIDC_OAUTH_CLIENT_SECRET. Scopes default to openid, profile and
	// email; without "openid" no ID token is requested or verified.
	// HTTPClient also serves discovery and key fetches.
	ginoauth.Config

	// Issuer is the provider's issuer URL, such as
	// "https://id.example.com". Required for New.
	Issuer string

	// SkipIssuerCheck accepts a discovery document and ID tokens whose
	// issuer differs from Issuer, for multi-tenant providers whose tokens
	// name the tenant (Microsoft's "common" endpoint). Optional. Default
	// false. Issuer validation is what stops one tenant's tokens from
	// logging in users of another, so CheckClaims MUST then verify the
	// issuer itself: with SkipIssuerCheck and no CheckClaims, every ID
	// token is rejected.
	SkipIssuerCheck bool

	// CheckClaims runs after the standard checks with the verified claims
	// of each ID token; an error rejects the login. Optional. Use it for
	// checks such as an allowed tenant or a hosted domain.
	CheckClaims func(claims map[string]any) error

	// AllowMissingNonce accepts ID tokens that carry no nonce claim, for
	// providers that ignore the nonce parameter (LinkedIn). Optional.
	// Default false. A nonce that is present must still match. The ID token
	// comes straight from the token endpoint in exchange for a code bound
	// to this login by the state parameter, so the nonce is a second line
	// of defence; MUST NOT be set for providers that do send it.
	AllowMissingNonce bool

	// SupportedSigningAlgs restricts the ID token signature algorithms.
	// Optional. Default: those the discovery document lists that go-oidc
	// supports, or RS256.
	SupportedSigningAlgs []string

	// UserInfoTokenInBody sends the userinfo request as a POST with the
	// access token in the form body (RFC 6750 section 2.2) instead of the
	// Authorization header, for providers that take it only there.
	// Optional. Default false.
	UserInfoTokenInBody bool

	// ClaimsProviders maps the issuer of aggregated or distributed claims
	// (OpenID Connect Core section 5.6.2) to the URL of its JSON Web Key
	// Set. Claims signed by the provider itself need no entry. Claims
	// from any other source are left as references in the profile's Raw,
	// never taken on trust. Optional.
	ClaimsProviders map[string]string
}

// Metadata lists an OpenID provider's endpoints and capabilities, as its
// discovery document does (the JSON field names are those of OpenID
// Connect Discovery 1.0 and RFC 8414).
type Metadata struct {
	// Issuer is the issuer identifier. Required.
	Issuer string `json:"issuer"`
	// AuthURL is the authorization endpoint. Required.
	AuthURL string `json:"authorization_endpoint"`
	// TokenURL is the token endpoint. Required.
	TokenURL string `json:"token_endpoint"`
	// UserInfoURL is the userinfo endpoint. Optional; without it the
	// profile is read from the ID token's claims.
	UserInfoURL string `json:"userinfo_endpoint"`
	// JWKSURL is the JSON Web Key Set. Optional; without it the verifier
	// reads jwks_uri from the issuer's discovery document on first use.
	JWKSURL string `json:"jwks_uri"`
	// RevocationURL is the RFC 7009 revocation endpoint. Optional.
	RevocationURL string `json:"revocation_endpoint"`
	// Algorithms are the ID token signing algorithms. Optional.
	Algorithms []string `json:"id_token_signing_alg_values_supported"`
	// TokenEndpointAuthMethods are the client authentication methods of
	// the token endpoint. Optional. Default (per the specification)
	// client_secret_basic.
	TokenEndpointAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	// IssParameterSupported says the provider adds "iss" to authorization
	// responses (RFC 9207); the callback then requires it. Optional.
	// Default false.
	IssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`

	// The rest is what the discovery document says and a blueprint does
	// not use itself; FetchMetadata returns it for the app. All optional.

	// EndSessionURL is the RP-Initiated Logout endpoint.
	EndSessionURL string `json:"end_session_endpoint"`
	// PARURL is the pushed authorization request endpoint (RFC 9126).
	PARURL string `json:"pushed_authorization_request_endpoint"`
	// IntrospectionURL is the token introspection endpoint (RFC 7662).
	IntrospectionURL string `json:"introspection_endpoint"`
	// ScopesSupported are the scopes the provider offers.
	ScopesSupported []string `json:"scopes_supported"`
	// ClaimsSupported are the claims the provider can return.
	ClaimsSupported []string `json:"claims_supported"`
	// CodeChallengeMethods are the PKCE methods the provider accepts.
	CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
	// RevocationAuthMethods are the client authentication methods of the
	// revocation endpoint.
	RevocationAuthMethods []string `json:"revocation_endpoint_auth_methods_supported"`
	// TokenEndpointAuthSigningAlgs are the algorithms the token endpoint
	// accepts for client_secret_jwt and private_key_jwt assertions.
	TokenEndpointAuthSigningAlgs []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	// BackChannelLogoutSupported and FrontChannelLogoutSupported say which
	// logout notifications the provider sends.
	BackChannelLogoutSupported  bool `json:"backchannel_logout_supported"`
	FrontChannelLogoutSupported bool `json:"frontchannel_logout_supported"`
}

// defaultScopes are the scopes a login asks for when Config.Scopes is nil.
func defaultScopes() []string { return []string{"openid", "profile", "email"} }

// New discovers cfg.Issuer and returns a blueprint for it. ClientID and
// ClientSecret default to OIDC_OAUTH_CLIENT_ID and OIDC_OAUTH_CLIENT_SECRET.
// The discovery request uses cfg.HTTPClient and ends after its Timeout (15
// seconds when it has none) or when ctx ends; it is the only network use at
// construction (see the package documentation).
func New(ctx context.Context, cfg Config) (*ginoauth.Blueprint, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("ginoauth: oidc: config: Issuer is required")
	}
	provutil.FillCredentials(&cfg.Config, envPrefix)
	p, err := Discover(ctx, cfg.Issuer, cfg)
	if err != nil {
		return nil, err
	}
	return provutil.New(p, cfg.Config, envPrefix)
}

// Discover fetches issuer's discovery document and returns the provider it
// describes, configured by cfg (cfg.Issuer is not used). The ID token
// verifier checks the audience against cfg.ClientID, or
// OIDC_OAUTH_CLIENT_ID when that is empty. The request uses cfg.HTTPClient
// and ends after its Timeout (15 seconds when it has none) or when ctx ends.
func Discover(ctx context.Context, issuer string, cfg Config) (ginoauth.Provider, error) {
	provutil.FillCredentials(&cfg.Config, envPrefix)
	m, err := FetchMetadata(ctx, issuer, cfg)
	if err != nil {
		return ginoauth.Provider{}, err
	}
	return FromMetadata(m, cfg), nil
}

// FetchMetadata fetches issuer's discovery document and returns all that
// this package reads of it, the endpoints a blueprint does not use itself
// included (end session, pushed authorization requests), so that an app
// need not discover the provider a second time. It checks that the
// document names issuer (unless cfg.SkipIssuerCheck) and has an
// authorization and a token endpoint. The request uses cfg.HTTPClient and
// ends after its Timeout (15 seconds when it has none) or when ctx ends.
func FetchMetadata(ctx context.Context, issuer string, cfg Config) (Metadata, error) {
	if issuer == "" {
		return Metadata{}, errors.New("ginoauth: oidc: discover: no issuer")
	}
	m, err := fetchMetadata(ctx, httpClient(cfg.HTTPClient), timeout(httpClient(cfg.HTTPClient).Timeout), issuer, cfg.SkipIssuerCheck)
	if err != nil {
		return Metadata{}, err
	}
	if cfg.SkipIssuerCheck {
		m.Issuer = issuer
	}
	if m.AuthURL == "" || m.TokenURL == "" {
		return Metadata{}, fmt.Errorf("ginoauth: oidc: discover %s: document lacks authorization_endpoint or token_endpoint", issuer)
	}
	return m, nil
}

// fetchMetadata reads issuer's discovery document with go-oidc, which
// checks that the document names the same issuer (unless skipIssuer).
func fetchMetadata(ctx context.Context, hc *http.Client, d time.Duration, issuer string, skipIssuer bool) (Metadata, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	ctx = gooidc.ClientContext(ctx, hc)
	if skipIssuer {
		ctx = gooidc.InsecureIssuerURLContext(ctx, issuer)
	}
	gp, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		return Metadata{}, fmt.Errorf("ginoauth: oidc: discover %s: %w", issuer, err)
	}
	var m Metadata
	if err := gp.Claims(&m); err != nil {
		return Metadata{}, fmt.Errorf("ginoauth: oidc: discover %s: decode: %w", issuer, err)
	}
	return m, nil
}

// FromMetadata returns the provider m describes, configured by cfg. It does
// no I/O: the signing keys are fetched when the first ID token is verified
// (see the package documentation). The ID token verifier checks the
// audience against cfg.ClientID, which must therefore be set.
//
// The provider's name is cfg.Name, or "oidc". Its API base URL is the
// issuer with a trailing slash.
func FromMetadata(m Metadata, cfg Config) ginoauth.Provider {
	name := cfg.Name
	if name == "" {
		name = defaultName
	}
	p := ginoauth.Provider{
		Name: name,
		Endpoint: oauth2.Endpoint{
			AuthURL:   m.AuthURL,
			TokenURL:  m.TokenURL,
			AuthStyle: authStyle(m.TokenEndpointAuthMethods),
		},
		TokenEndpointAuthMethods: slices.Clone(m.TokenEndpointAuthMethods),
		RevocationURL:            m.RevocationURL,
		EndSessionURL:            m.EndSessionURL,
		APIBaseURL:               strings.TrimSuffix(m.Issuer, "/") + "/",
		Scopes:                   defaultScopes(),
	}
	if !cfg.SkipIssuerCheck {
		p.Issuer = m.Issuer
		p.RequireIssuerParam = m.IssParameterSupported
	}
	var j *jwtVerifier
	if provutil.HasScope(provutil.Scopes(cfg.Config, p.Scopes), gooidc.ScopeOpenID) {
		algs := cfg.SupportedSigningAlgs
		if len(algs) == 0 {
			algs = supportedAlgs(m.Algorithms)
		}
		j = newJWTVerifier(VerifierConfig{
			Issuer:               m.Issuer,
			JWKSURL:              m.JWKSURL,
			ClientID:             cfg.ClientID,
			SupportedSigningAlgs: algs,
			SkipIssuerCheck:      cfg.SkipIssuerCheck,
			AllowMissingNonce:    cfg.AllowMissingNonce,
			CheckClaims:          cfg.CheckClaims,
			HTTPClient:           cfg.HTTPClient,
		})
		j.claimsProviders = maps.Clone(cfg.ClaimsProviders)
		p.OpenID = true
		p.VerifyIDToken = j.idToken
		p.VerifyLogoutToken = j.logoutToken
	}
	if m.UserInfoURL != "" {
		p.Profile = userInfo(m.UserInfoURL, j, cfg.UserInfoTokenInBody)
		if cfg.UserInfoTokenInBody {
			p.AuthorizeRequest = bearerInBody(m.UserInfoURL)
		}
		if u, err := url.Parse(m.UserInfoURL); err == nil && u.Host != "" {
			// The userinfo endpoint may be on another host than the
			// issuer (Google's is): it gets the token too.
			p.APIOrigins = append(p.APIOrigins, u.Scheme+"://"+u.Host)
		}
	} else {
		p.Profile = ClaimsProfile
	}
	return p
}

// authStyle picks the client authentication from the token endpoint's
// advertised methods; the specification's default is client_secret_basic.
func authStyle(methods []string) oauth2.AuthStyle {
	if len(methods) == 0 || slices.Contains(methods, "client_secret_basic") {
		return oauth2.AuthStyleInHeader
	}
	if slices.Contains(methods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// goOIDCAlgs are the signature algorithms go-oidc verifies.
var goOIDCAlgs = []string{
	gooidc.RS256, gooidc.RS384, gooidc.RS512,
	gooidc.ES256, gooidc.ES384, gooidc.ES512,
	gooidc.PS256, gooidc.PS384, gooidc.PS512, gooidc.EdDSA,
}

func supportedAlgs(advertised []string) []string {
	var out []string
	for _, a := range advertised {
		if slices.Contains(goOIDCAlgs, a) {
			out = append(out, a)
		}
	}
	return out
}

func httpClient(hc *http.Client) *http.Client {
	if hc == nil {
		return http.DefaultClient
	}
	return hc
}

func timeout(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultTimeout
	}
	return d
}
