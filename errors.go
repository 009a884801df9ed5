package ginoauth

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Sentinel errors for conditions that are not a failed protocol step.
// Compare with errors.Is.
var (
	// ErrNoToken is returned by storages and Blueprint.Token when no token
	// is stored.
	ErrNoToken = errors.New("ginoauth: no token")
	// ErrSkipStore, returned by Hooks.Authorized, keeps the token out of
	// storage; the user is still redirected as usual. It is Flask-Dance's
	// "return False" from an oauth_authorized receiver.
	ErrSkipStore = errors.New("ginoauth: skip storing the token")
	// ErrNoSession means the gin-contrib/sessions middleware is not
	// installed in front of a route that needs it.
	ErrNoSession = errors.New("ginoauth: no session: install the gin-contrib/sessions middleware (sessions.Sessions) before this route")
)

// ErrorKind is the machine-readable class of an [Error]. A kind is itself an
// error, so that errors.Is(err, KindReauthRequired) tests whether err is (or
// wraps) an *Error of that kind: one way to test each condition.
type ErrorKind string

// Error returns the kind's name.
func (k ErrorKind) Error() string { return string(k) }

// Error kinds. Each has a default HTTP status (see [Error.Status]).
const (
	KindProviderDenied ErrorKind = "provider_denied"  // the provider redirected back with ?error= (400)
	KindStateMissing   ErrorKind = "state_missing"    // no login in progress: expired, replayed or never started (400)
	KindStateMismatch  ErrorKind = "state_mismatch"   // the callback's state is not one this session issued (400)
	KindCodeMissing    ErrorKind = "code_missing"     // neither code nor error in the callback (400)
	KindIssuerMismatch ErrorKind = "issuer_mismatch"  // RFC 9207 iss parameter missing or wrong (400)
	KindExchangeFailed ErrorKind = "exchange_failed"  // a token endpoint failed: the code exchange, or OAuth 1's request-token or access-token request (502)
	KindIDTokenInvalid ErrorKind = "id_token_invalid" // the OpenID Connect ID token did not verify (502)
	KindStorageFailed  ErrorKind = "storage_failed"   // the storage or the session could not be read or saved (503)
	KindHookFailed     ErrorKind = "hook_failed"      // a hook returned an error (500)
	// KindReauthRequired means the token is dead and cannot be refreshed:
	// it expired without a refresh token, the provider refused the refresh
	// (invalid_grant), or the API refused it and so did the refresh. The
	// blueprint has deleted it; the user must log in again (401).
	KindReauthRequired ErrorKind = "reauth_required"
	KindRefreshFailed  ErrorKind = "refresh_failed" // the provider failed during a refresh (502)
	KindProfileFailed  ErrorKind = "profile_failed" // the provider's profile (user info) request failed (502)
	KindConfig         ErrorKind = "config"         // a configuration mistake, e.g. no session middleware (500)
	KindCrossOrigin    ErrorKind = "cross_origin"   // a login start from another site, with Config.LoginPOSTOnly (403)
)

// Error is what the error hook receives and what Client and Token return for
// protocol failures. It never contains a token, code, state or verifier.
type Error struct {
	Kind     ErrorKind
	Provider string // the blueprint name
	// Code, Description and URI are the provider's RFC 6749 error fields
	// (from the callback's ?error= or the token endpoint's JSON), if any.
	Code        string
	Description string
	URI         string
	// HTTPStatus is the status of the provider's answer that caused the
	// error (a profile or API request), when there was one.
	HTTPStatus int
	// Err is the underlying cause, for errors.Is / errors.As (for example
	// *oauth2.RetrieveError after a failed exchange).
	Err error
}

// Error describes the error without secrets: kind, the provider's error
// code and description, and the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ginoauth: ")
	if e.Provider != "" {
		b.WriteString(e.Provider)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Kind))
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
		if e.Description != "" {
			b.WriteString(" (")
			b.WriteString(e.Description)
			b.WriteString(")")
		}
	}
	if e.HTTPStatus != 0 {
		b.WriteString(": provider answered ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind, for errors.Is(err, KindStateMismatch).
func (e *Error) Is(target error) bool {
	k, ok := target.(ErrorKind)
	return ok && k == e.Kind
}

// Status is the HTTP status the default error response uses: 4xx for what
// the browser sent, 502 for the provider, 503 for an unavailable storage or
// session store, 500 for a configuration or hook failure and for a token
// too large for its storage.
func (e *Error) Status() int {
	switch e.Kind {
	case KindProviderDenied, KindStateMissing, KindStateMismatch, KindCodeMissing, KindIssuerMismatch:
		return http.StatusBadRequest
	case KindReauthRequired:
		return http.StatusUnauthorized
	case KindCrossOrigin:
		return http.StatusForbidden
	case KindExchangeFailed, KindIDTokenInvalid, KindRefreshFailed, KindProfileFailed:
		return http.StatusBadGateway
	case KindStorageFailed:
		if errors.Is(e.Err, ErrTokenTooLarge) {
			return http.StatusInternalServerError // no retry helps
		}
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Message is a short sentence for the user, safe to show in a page.
func (e *Error) Message() string {
	switch e.Kind {
	case KindProviderDenied:
		if e.Code == "access_denied" {
			return "You declined the authorization request."
		}
		return "The provider did not authorize the login."
	case KindStateMissing:
		return "This login link has expired or was already used. Please log in again."
	case KindStateMismatch, KindIssuerMismatch:
		return "The login could not be verified. Please log in again."
	case KindCodeMissing:
		return "The provider's answer was incomplete. Please log in again."
	case KindExchangeFailed, KindIDTokenInvalid, KindRefreshFailed, KindProfileFailed:
		return "The provider could not complete the login. Please try again later."
	case KindReauthRequired:
		return "Your authorization has expired. Please log in again."
	case KindCrossOrigin:
		return "A login can only be started from this site."
	default:
		return "The login could not be completed because of a server problem."
	}
}

// asError returns err's *Error, if it has one.
func asError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
