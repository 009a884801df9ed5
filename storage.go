package ginoauth

import (
	"context"

	"github.com/gin-gonic/gin"
)

// Storage keeps tokens. It is request-scoped, like Flask-Dance's storages:
// Ref is the only step bound to the request, where the *gin.Context tells a
// session storage whose session to use and a database storage which local
// user is logged in. Everything else goes through the [TokenRef] it returns.
//
// Implementations must be safe for concurrent use by multiple goroutines.
// The conformance suite in backends/storagetest checks the contract.
type Storage interface {
	// Ref returns the handle of the request's user's token for provider
	// (the blueprint name). It does not read the token. It fails only when
	// the storage cannot tell whose token it would be (no session
	// middleware, for example).
	Ref(c *gin.Context, provider string) (TokenRef, error)
}

// TokenRef is one user's token slot: the single vocabulary through which
// the blueprint loads, saves, refreshes and drops a token, in a request or
// in a background job ([Blueprint.ClientFor]). Its methods take a context,
// not a request: a refresh saves its token under a context detached from
// the request, so that a client that disconnects never loses a rotated
// refresh token.
//
// Implementations must be safe for concurrent use and must not keep or
// modify the tokens passed in or returned.
type TokenRef interface {
	// Load returns the stored token, or ErrNoToken when there is none.
	Load(ctx context.Context) (*Token, error)
	// Swap is a compare-and-swap: if the stored token is the same as old
	// ([Token.Same]; a nil old matches whatever is stored), it stores new in
	// its place, or deletes the token when new is nil, and returns new.
	// Otherwise it changes nothing and returns the token stored now (nil
	// when there is none), which another request or app instance wrote
	// meanwhile.
	Swap(ctx context.Context, old, new *Token) (*Token, error)
}

// RefreshLocker is an optional [TokenRef] capability for storages that can
// make one refresh of a token wait for another, across app instances (the
// GORM backend's database lock, a session storage's RefreshCoordinator).
// The blueprint holds the lock from just before it reloads an expired token
// until the refreshed token is saved, so an instance that loses the race
// waits and then uses the winner's token instead of spending the same
// refresh token again.
type RefreshLocker interface {
	// LockRefresh blocks until the caller holds the refresh lock of t's
	// slot, or ctx ends. Once it returns, Load sees any token that
	// replaced t. unlock must be called exactly once.
	LockRefresh(ctx context.Context, t *Token) (unlock func(), err error)
}
