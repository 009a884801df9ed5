package ginoauth

import (
	"context"

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
	// exchange, a failed storage write, a failed hook; and a return from
	// the provider's end-session endpoint whose state does not match
	// (Blueprint.EndSession). If it writes no
	// response, the blueprint answers with Config.FailureURL or its default
	// error page, with the status of err.Status().
	Error func(c *gin.Context, bp *Blueprint, err *Error)

	// TokenRefreshed runs once per refresh, after the refreshed token was
	// saved, whether the refresh happened in a request (Blueprint.Client)
	// or a background job (Blueprint.ClientFor). ctx carries the values of
	// the request's or job's context but not its cancellation: the refresh
	// and this hook complete even when the client has gone away.
	TokenRefreshed func(ctx context.Context, bp *Blueprint, t *Token)

	// BackChannelLogout runs for each verified OpenID Connect back-channel
	// logout token, after the storage deleted the account's tokens (if it
	// implements SubjectLogout): the app ends the sessions of the provider
	// account subject ("sub"), or of the provider session sessionID ("sid",
	// the claim of the same name in the ID token's claims, kept in the
	// token's "id_token_claims" extra field); either may be empty. ctx is
	// not canceled when the provider hangs up. An error answers the
	// provider with 400, as the specification asks.
	BackChannelLogout func(ctx context.Context, bp *Blueprint, subject, sessionID string) error
}

const (
	storeToken authorizedOutcome = iota
	skipStore
	hookDone // the hook wrote a response or an error was handled
)

func (b *Blueprint) runTokenRefreshed(ctx context.Context, t *Token) {
	if h := b.hooks.TokenRefreshed; h != nil {
		h(ctx, b, t)
	}
}
