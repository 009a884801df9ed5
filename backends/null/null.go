// Package null provides a [ginoauth.Storage] that stores nothing, like
// Flask-Dance's NullStorage. Use it when the Authorized hook keeps the token
// itself and returns ginoauth.ErrSkipStore, or in tests of the logged-out
// case.
package null

import (
	"context"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
)

// Storage stores nothing: every Load returns ginoauth.ErrNoToken.
type Storage struct{}

// New returns a Storage.
func New() Storage { return Storage{} }

// Ref implements ginoauth.Storage: a slot that is always empty.
func (Storage) Ref(*gin.Context, string) (ginoauth.TokenRef, error) { return ref{}, nil }

type ref struct{}

// Load always returns ginoauth.ErrNoToken.
func (ref) Load(context.Context) (*ginoauth.Token, error) { return nil, ginoauth.ErrNoToken }

// Swap discards new. It reports the swap as done, so a refresh carries on
// with the new token for the rest of the request.
func (ref) Swap(_ context.Context, _, new *ginoauth.Token) (*ginoauth.Token, error) {
	return new, nil
}
