package ginoauth

import (
	"context"
	"net/http"

	"golang.org/x/oauth2"
)

// Provider describes an OAuth 2 authorization server. It is plain data: the
// packages in providers/ return ready-made values, and any other provider is
// one literal away.
type Provider struct {
	// Name is the default blueprint name: the route segment, the session
	// key prefix and the storage key, e.g. "github". Required.
	Name string
	// Endpoint holds the authorization and token URLs and the client
	// authentication style. Required (AuthURL and TokenURL).
	Endpoint oauth2.Endpoint
	// TokenEndpointAuthMethods are the client authentication methods the
	// token endpoint accepts, as OpenID Connect discovery lists them
	// (token_endpoint_auth_methods_supported). Optional. When the list
	// offers neither client_secret_basic nor client_secret_post, [New]
	// authenticates with client_secret_jwt made from Config.ClientSecret if
	// the list has it, and otherwise requires Config.ClientAssertion.
	TokenEndpointAuthMethods []string
	// RevocationURL is the RFC 7009 token revocation endpoint used by
	// [Blueprint.Logout]. Optional.
	RevocationURL string
	// EndSessionURL is the OpenID Connect RP-Initiated Logout endpoint
	// that [Blueprint.EndSession] sends the browser to. Optional.
	EndSessionURL string
	// RevokeAccessToken makes Logout revoke the access token even when
	// there is a refresh token, for providers whose revocation endpoint
	// accepts only access tokens (Twitch). Optional. Default: the refresh
	// token, which ends its access tokens too.
	RevokeAccessToken bool
	// APIBaseURL is the base that relative URLs given to [Blueprint.Client]
	// are resolved against (RFC 3986; a missing trailing slash is added so
	// no path segment is dropped). Optional.
	APIBaseURL string
	// APIOrigins are further origins ("https://host" or
	// "https://host:port") that API requests made with [Blueprint.Client]
	// may carry the token to, besides APIBaseURL's: a userinfo endpoint on
	// another host, a provider's regional API hosts. A request to any other
	// origin fails instead of sending the token there. Optional. Without
	// APIBaseURL and APIOrigins, any origin the app names gets the token.
	APIOrigins []string
	// Scopes are the default scopes. Optional.
	Scopes []string
	// ScopeSeparator joins scopes in the authorization URL. Optional.
	// Default " ".
	ScopeSeparator string
	// AuthParams are extra authorization-URL parameters. Optional.
	AuthParams map[string]string
	// TokenParams are extra parameters for the code exchange. Optional.
	TokenParams map[string]string
	// DisablePKCE turns PKCE off for providers that reject it. Optional.
	DisablePKCE bool
	// Header is added to every API request made with [Blueprint.Client]
	// (Heroku's versioned Accept, Twitch's Client-Id, ...). Optional.
	Header http.Header
	// AuthorizeRequest sets the token on an API request. Optional. The
	// default sets "Authorization: Bearer <access token>"; providers with
	// other schemes (Zoho) or extra token parameters (Slack) replace it.
	AuthorizeRequest func(req *http.Request, t *Token) error
	// Profile fetches the normalized user profile with client, an
	// *http.Client that carries t and resolves URLs against APIBaseURL.
	// Optional.
	Profile func(ctx context.Context, client *http.Client, t *Token) (*Profile, error)
	// Issuer is the authorization server's issuer identifier. When set, a
	// callback carrying an "iss" parameter (RFC 9207) must match it, which
	// defeats mix-up attacks. Optional.
	Issuer string
	// RequireIssuerParam makes a callback without "iss" fail, for servers
	// that advertise authorization_response_iss_parameter_supported.
	RequireIssuerParam bool
	// OpenID makes the login send a nonce, and VerifyIDToken checks the ID
	// token the exchange returns. Optional.
	OpenID bool
	// VerifyIDToken checks an OpenID Connect ID token: signature, issuer,
	// audience (clientID, the blueprint's client ID) and expiry. After the
	// code exchange nonce is the value the login sent, and the verifier
	// must require the token's nonce claim to equal it. After a refresh
	// nonce is "": the refreshed token needs no nonce (OpenID Connect Core
	// 12.2). It returns the verified claims, which become the token's
	// "id_token_claims" extra field. providers/oidc's NewVerifier builds
	// one. Optional.
	VerifyIDToken func(ctx context.Context, clientID, rawIDToken, nonce string) (claims map[string]any, err error)
	// VerifyLogoutToken checks an OpenID Connect Back-Channel Logout token
	// (signature, issuer, audience clientID, iat, jti replay, the events
	// claim, sub or sid, no nonce) and returns its claims. With it, Register
	// mounts the back-channel logout route. providers/oidc builds one with
	// the ID token verifier. Optional.
	VerifyLogoutToken func(ctx context.Context, clientID, rawLogoutToken string) (claims map[string]any, err error)
	// FormPostCallback accepts the callback as a cross-site POST
	// (response_mode=form_post, as Apple sends it) without loosening the
	// session cookie's SameSite setting: a POST that arrives without the
	// session is answered with a page that posts the same fields again from
	// this site, which brings the session cookie along.
	FormPostCallback bool
	// CallbackParams names callback parameters to keep in the token's
	// Extra (Apple sends the user's name once, as "user"). Optional.
	CallbackParams []string
	// RefreshDisabled marks providers whose tokens cannot be refreshed.
	RefreshDisabled bool
	// RefreshURL is where refresh requests go, for providers with a
	// separate refresh endpoint (Flask-Dance's auto_refresh_url).
	// Optional. Default Endpoint.TokenURL.
	RefreshURL string
	// RefreshParams are extra parameters of the refresh request body, for
	// providers that want client_id, scope or another field there
	// (Flask-Dance's auto_refresh_kwargs). Optional.
	RefreshParams map[string]string
	// ForbiddenMeansRevoked makes an API answer of 403 count as a revoked
	// token, for providers that answer 403 rather than 401 (zitadel, for
	// one). Without it, only a 401, or a 403 whose WWW-Authenticate header
	// says error="invalid_token" (RFC 6750), does. Optional.
	ForbiddenMeansRevoked bool
}
