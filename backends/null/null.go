// Package null provides a [ginoauth.Storage] that stores nothing, like
// Flask-Dance's NullStorage. Use it when the Authorized hook keeps the token
// itself and returns ginoauth.ErrSkipStore, or in tests of the logged-out
// case.
package null

import (
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
)

// Storage stores nothing: Token always returns ginoauth.ErrNoToken.
type Storage struct{}

// New returns a Storage.
func New() Storage { return Storage{} }

// Token implements ginoauth.Storage. It always returns ginoauth.ErrNoToken.
func (Storage) Token(*gin.Context, string) (*ginoauth.Token, error) { return nil, ginoauth.ErrNoToken }

// SetToken implements ginoauth.Storage. It discards the token.
func (Storage) SetToken(*gin.Context, string, *ginoauth.Token) error { return nil }

// DeleteToken implements ginoauth.Storage. It does nothing.
func (Storage) DeleteToken(*gin.Context, string) error { return nil }
