package ginoauth

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"
)

// Hooks are the functions a blueprint calls where Flask-Dance sends its
// signals. Any hook may be nil. One Hooks value may be shared by several
// blueprints: each call says which blueprint it is for.
//
// Hooks run synchronously on the request's goroutine. A hook that writes a
// response or aborts the request (c.Writer.Written() or c.IsAborted()) takes
// over: the blueprint does nothing more for that request. This is the Go form
// of returning a response from a Flask-Dance signal receiver. A hook that
// starts a goroutine must hand it c.Copy(), not c.
type Hooks struct {
	// BeforeLogin runs just before the redirect to the provider, with the
	// provider's authorization URL. It may change the session (for example
	// to remember where the user came from). An error becomes an error
	// event of kind KindHookFailed.
	BeforeLogin func(c *gin.Context, bp *Blueprint, authURL string) error

	// Authorized runs once the provider issued the token (the OAuth 2 code
	// or the OAuth 1 verifier was exchanged), before the token is stored. bp.Token, bp.Client and bp.Profile already see the new token.
	// Return nil to store the token and redirect as usual, ErrSkipStore to
	// redirect without storing it (the hook stored it elsewhere, or rejects
	// it), or write a response to replace the redirect (the token is then
	// not stored either). Any other error becomes an error event of kind
	// KindHookFailed, and the token is not stored.
	Authorized func(c *gin.Context, bp *Blueprint, t *Token) error

	// Error runs for every failed login: the provider's ?error=, a missing,
	// expired, replayed or mismatched state, a missing code, a failed code
	// exchange, a failed storage write, a failed hook. If it writes no
	// response, the blueprint answers with Config.FailureURL or its default
	// error page, with the status of err.Status().
	Error func(c *gin.Context, bp *Blueprint, err *Error)

	// TokenRefreshed runs once per refresh, after the refreshed token was
	// saved, whether the refresh happened in a request (Blueprint.Client)
	// or a background job (Blueprint.ClientFor). ctx carries the values of
	// the request's or job's context but not its cancellation: the refresh
	// and this hook complete even when the client has gone away.
	TokenRefreshed func(ctx context.Context, bp *Blueprint, t *Token)
}

// takenOver reports whether a hook wrote a response or aborted the request.
func takenOver(c *gin.Context) bool {
	return c.IsAborted() || c.Writer.Written()
}

// runBeforeLogin runs the BeforeLogin hook and saves what it changed in
// the session. It returns true when the request is finished (the hook took
// over, or failed and the error was handled).
func (b *Blueprint) runBeforeLogin(c *gin.Context, authURL string) bool {
	h := b.hooks.BeforeLogin
	if h == nil {
		return false
	}
	err := h(c, b, authURL)
	if takenOver(c) {
		return true
	}
	if err != nil {
		b.fail(c, &Error{Kind: KindHookFailed, Err: err})
		return true
	}
	if s, serr := session(c, b.cfg.SessionName); serr == nil {
		if err := s.Save(); err != nil { // a no-op when the hook changed nothing
			b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
			return true
		}
	}
	return false
}

// authorizedOutcome is what the Authorized hook decided.
type authorizedOutcome int

const (
	storeToken authorizedOutcome = iota
	skipStore
	hookDone // the hook wrote a response or an error was handled
)

func (b *Blueprint) runAuthorized(c *gin.Context, t *Token) authorizedOutcome {
	h := b.hooks.Authorized
	if h == nil {
		return storeToken
	}
	err := h(c, b, t)
	switch {
	case takenOver(c):
		return hookDone
	case err == nil:
		return storeToken
	case errors.Is(err, ErrSkipStore):
		return skipStore
	default:
		var ge *Error
		if errors.As(err, &ge) {
			b.fail(c, ge)
		} else {
			b.fail(c, &Error{Kind: KindHookFailed, Err: err})
		}
		return hookDone
	}
}

func (b *Blueprint) runTokenRefreshed(ctx context.Context, t *Token) {
	if h := b.hooks.TokenRefreshed; h != nil {
		h(ctx, b, t)
	}
}
