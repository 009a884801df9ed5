package ginoauth

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// Config configures a [Blueprint]. The zero value of every optional field
// works; [New] validates the rest and copies the struct, so changing it
// afterwards has no effect.
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

	// Scopes replaces Provider.Scopes when non-nil. Optional.
	Scopes []string
	// AuthParams are added to (and override) Provider.AuthParams in the
	// authorization URL: prompt, access_type, login_hint, ... Optional.
	AuthParams map[string]string
	// TokenParams are added to (and override) Provider.TokenParams in the
	// code exchange request body. Optional.
	TokenParams map[string]string
	// AuthStyle is how the client authenticates at the token endpoint:
	// oauth2.AuthStyleInHeader (HTTP Basic) or oauth2.AuthStyleInParams
	// (client_id and client_secret in the body). Optional. Default
	// Provider.Endpoint.AuthStyle, whose zero value auto-detects.
	AuthStyle oauth2.AuthStyle
	// DisablePKCE turns PKCE off. Optional. PKCE (S256) is on unless this
	// or Provider.DisablePKCE is set.
	DisablePKCE bool

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
	// the login route got no valid "next" parameter. Optional. Default "/".
	// It may be an absolute URL (it is configuration, not user input).
	AfterLogin string
	// FailureURL, when set, is where the browser goes after a failed login
	// that no error hook answered, with "?error=<kind>" added. Optional.
	// Default: a short error page with the error's status.
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

	// HTTPClient makes the token, refresh and revocation requests and is
	// the base of Client's API requests. Optional. Default
	// http.DefaultClient (bounded by Timeout).
	HTTPClient *http.Client
	// Timeout bounds each token, refresh and revocation request, and each
	// refresh as a whole (waiting for another instance's refresh included).
	// Optional. Default 15 seconds.
	Timeout time.Duration
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
