package ginoauth

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Config configures a [Blueprint]: what this app asks of the provider, and
// how the blueprint behaves. What the provider is and requires (endpoints,
// client authentication style, PKCE support) is the [Provider]'s.
//
// Name, Scopes, AuthParams and TokenParams refine the Provider's defaults
// by one rule: a value set here wins over the Provider's (for the two
// parameter maps, parameter by parameter; an empty value leaves the
// Provider's in place).
//
// The zero value of every optional field works; [New] validates the rest
// and copies the struct, so changing it afterwards has no effect. A
// mistake is an *Error of kind KindConfig from New.
type Config struct {
	// Name is the blueprint's name: route segment, session key prefix and
	// storage key. Optional. Default Provider.Name. Set it to run two
	// blueprints of one provider (two GitHub apps) side by side.
	Name string

	// ClientID is the OAuth client ID the provider issued. Required.
	ClientID string
	// ClientSecret is the OAuth client secret. Optional for public clients
	// (PKCE only). Never logged.
	ClientSecret string
	// ClientSecretFunc, when set, is called for a fresh client secret before
	// every token request (Apple's short-lived JWT secret). Optional.
	ClientSecretFunc func(ctx context.Context) (string, error)
	// ClientAssertion, when set, authenticates the client with a signed
	// JWT instead of a client secret (RFC 7523 section 2.2: the
	// client_secret_jwt and private_key_jwt methods of OpenID Connect Core
	// section 9) at the token endpoint, for the code exchange and every
	// refresh, and at the revocation endpoint. It is called for each of
	// those requests with the Provider's Issuer ("" when it has none) and
	// the URL of the endpoint, and returns the assertion; ClientSecret is
	// then never sent. Package clientauth builds it. Optional. It cannot
	// be combined with ClientSecretFunc.
	ClientAssertion func(ctx context.Context, issuer, endpoint string) (string, error)

	// Scopes are the scopes to request. Optional. Default Provider.Scopes.
	Scopes []string
	// AuthParams are extra authorization-URL parameters: prompt,
	// access_type, login_hint, ... Optional. Each wins over the
	// Provider's parameter of the same name.
	AuthParams map[string]string
	// TokenParams are extra parameters of the code exchange request body.
	// Optional. Each wins over the Provider's parameter of the same name.
	TokenParams map[string]string

	// RedirectURL is the absolute URL of the authorized route, as
	// registered with the provider. Optional. By default it is derived from
	// each request (scheme, host and the route's path), which works on
	// localhost with no configuration; behind a reverse proxy see
	// TrustedProxies.
	RedirectURL string
	// TrustedProxies lists the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-Proto, X-Forwarded-Host and Forwarded headers are
	// believed when deriving the callback URL. Optional. Default none: the
	// headers are ignored and the scheme comes from the connection.
	TrustedProxies []string

	// LoginPath is the login route, relative to the group given to
	// Register. Optional. Default "/{name}".
	LoginPath string
	// AuthorizedPath is the callback route. Optional. Default
	// "/{name}/authorized".
	AuthorizedPath string
	// AfterLogin is where the browser goes after a successful login when
	// the login route got no valid "next" parameter: a path from the site's
	// root ("/dashboard") or an absolute http(s) URL (it is configuration,
	// not user input). Optional. Default "/".
	AfterLogin string
	// FailureURL, when set, is where the browser goes after a failed login
	// that no error hook answered, with "?error=<kind>" added: a path from
	// the site's root or an absolute http(s) URL. Optional. Default: a
	// short error page with the error's status.
	FailureURL string
	// DisableNext ignores the login route's "next" parameter. Optional.
	DisableNext bool
	// LoginPOSTOnly makes the login route answer POST only, and only from
	// this site: a request that the browser marks as cross-site (its
	// Sec-Fetch-Site header, or an Origin of another host, as
	// net/http.CrossOriginProtection judges) fails with KindCrossOrigin.
	// Use it with account linking (gormstore's Linker), where a page on
	// another site starting a login could link whatever provider account
	// the browser is signed in to. Optional. Default false: GET (a plain
	// link, as in Flask-Dance) and POST both start a login.
	LoginPOSTOnly bool

	// Storage keeps the tokens. Optional. Default a SessionStorage: the
	// user's gin-contrib/sessions session.
	Storage Storage
	// Hooks are called at each step of the dance. Optional.
	Hooks Hooks

	// SessionName selects the session when the app uses
	// sessions.SessionsMany. Optional. Default: the single session of
	// sessions.Sessions.
	SessionName string
	// LoginTimeout is how long a started login stays valid. Optional.
	// Default 10 minutes.
	LoginTimeout time.Duration
	// MaxPendingLogins is how many logins one session may have in
	// progress at once (tabs); the oldest is dropped beyond it. Optional.
	// Default 5.
	MaxPendingLogins int

	// HTTPClient makes the token, refresh, revocation and profile requests
	// and is the base of Client's API requests. Its Timeout also bounds
	// each refresh as a whole (waiting for another instance's refresh
	// included); a client without one gets 15 seconds there. Optional.
	// Default: a client with a 15-second Timeout.
	HTTPClient *http.Client
	// EarlyExpiry is how long before its expiry a token is refreshed, so
	// that a request does not reach the provider with a token about to
	// die. A token that lives less than four times as long is refreshed a
	// quarter of its lifetime early instead. Optional. Default
	// 10 seconds, as x/oauth2.
	EarlyExpiry time.Duration
	// Now returns the current time, for token expiry and login timeouts.
	// Optional. Default time.Now. Tests set it to move time on without
	// waiting.
	Now func() time.Time
	// Logger receives debug records: provider name, step, error kind.
	// Never secrets, tokens, codes, states, verifiers or query strings.
	// Optional. Default nil: nothing is logged.
	Logger *slog.Logger
}
