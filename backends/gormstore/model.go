package gormstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ginoauth/ginoauth"
)

// Account is one provider account's row: which local user it belongs to and
// the provider's token for it. Use it as is, or embed it in a model of your
// own to add columns (the store never overwrites columns it does not know):
//
//	type OAuthAccount struct {
//		gormstore.Account
//		Login string // filled by LinkConfig.OnLink
//	}
//
// Extra columns need a database default or must be nullable, because the
// store inserts rows with its own columns only.
//
// UserID is a string so that integer and UUID user keys both fit: store
// strconv.FormatUint(uint64(user.ID), 10) or user.ID.String(), and parse it
// back in LinkConfig.Login. Because the column types differ, the table has no
// foreign key to the users table; delete a user's rows (or set their user_id
// to NULL) when the user is deleted.
//
// The fmt verbs never print the token, so an Account in a log line is
// harmless.
type Account struct {
	// ID is the row's primary key.
	ID int64 `gorm:"primaryKey;index:,composite:provider_user,priority:4"`
	// Provider is the blueprint name, such as "github".
	Provider string `gorm:"size:64;not null;uniqueIndex:,composite:provider_account,priority:1;index:,composite:provider_user,priority:1"`
	// ProviderUserID is the provider's stable ID for the account (Profile.ID).
	// It is nil for rows stored by SetToken/Save, which do not know it; the
	// linking hook sets it.
	ProviderUserID *string `gorm:"size:191;uniqueIndex:,composite:provider_account,priority:2"`
	// UserID is the local user's ID, or nil for an anonymous visitor's
	// token (see Config.UserID).
	UserID *string `gorm:"size:191;index:,composite:provider_user,priority:2"`
	// Token is the stored token: JSON, or "gcm2:..." when sealed with
	// Config.Keys. It is empty when the user logged out of the provider but
	// the link is kept. Never log it.
	Token string `gorm:"not null"`
	// Version grows by one with every write; refreshes compare and swap on
	// it.
	Version int64 `gorm:"not null;default:1"`
	// CreatedAt is when the row was inserted.
	CreatedAt time.Time `gorm:"not null"`
	// UpdatedAt is when the token was last written. Of several rows for one
	// (provider, user), the most recently updated one is the user's token.
	UpdatedAt time.Time `gorm:"not null;index:,composite:provider_user,priority:3"`
}

// String describes the row without its token.
func (a Account) String() string {
	var b strings.Builder
	b.WriteString("gormstore.Account{id=")
	b.WriteString(strconv.FormatInt(a.ID, 10))
	b.WriteString(" provider=")
	b.WriteString(a.Provider)
	if a.ProviderUserID != nil {
		b.WriteString(" provider_user_id=")
		b.WriteString(*a.ProviderUserID)
	}
	if a.UserID != nil {
		b.WriteString(" user_id=")
		b.WriteString(*a.UserID)
	}
	b.WriteString(" version=")
	b.WriteString(strconv.FormatInt(a.Version, 10))
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v does not print the token either.
func (a Account) GoString() string { return a.String() }

// Format makes every fmt verb use String, so %+v does not print the token.
func (a Account) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(a.String())) }

// Sentinel errors. Compare with errors.Is.
var (
	// ErrNoUser means the request has no logged-in local user and the store
	// needs one (Config.UserRequired, or a call of the user-ID API with an
	// empty user ID). From Token it also matches ginoauth.ErrNoToken, since
	// a visitor who is not logged in has no token.
	ErrNoUser = errors.New("gormstore: no logged-in user: the store needs a local user ID (Config.UserRequired)")
	// ErrAccountLinked means the provider account that just logged in is
	// linked to a local user other than the one logged in. The linking hook
	// reports it as a *ginoauth.Error of kind KindHookFailed whose cause is
	// an *AccountLinkedError.
	ErrAccountLinked = errors.New("gormstore: the provider account is linked to another local user")
	// ErrSignupClosed means nobody is logged in, no local user is linked to
	// the provider account, and LinkConfig.CreateUser is nil.
	ErrSignupClosed = errors.New("gormstore: no local user for this provider account and sign-up is closed (LinkConfig.CreateUser is nil)")
	// ErrAccountNotFound is returned by Unlink when the user has no such
	// account.
	ErrAccountNotFound = errors.New("gormstore: no such linked account")
	// ErrRevokeFailed is returned by Linker.Unlink when the account was
	// unlinked and its row deleted, but the provider could not revoke the
	// token: the app can tell the user the disconnection happened here.
	ErrRevokeFailed = errors.New("gormstore: unlink: the account was removed, but revoking its token failed")
)

// AccountLinkedError is the cause of a linking failure: the provider account
// is already linked to LinkedUserID, not to the logged-in CurrentUserID. It
// matches ErrAccountLinked. Show the user a neutral message; the user IDs are
// for the application's logs.
type AccountLinkedError struct {
	Provider       string // the blueprint name
	ProviderUserID string // the provider account that logged in
	LinkedUserID   string // the local user the account is linked to
	CurrentUserID  string // the local user who is logged in
}

// Error names the provider account, never a token.
func (e *AccountLinkedError) Error() string {
	return fmt.Sprintf("gormstore: %s account %s is linked to another local user", e.Provider, e.ProviderUserID)
}

// Is makes errors.Is(err, ErrAccountLinked) true.
func (e *AccountLinkedError) Is(target error) bool { return target == ErrAccountLinked }

// noUserToken is Token's error for a request without a user in
// UserRequired mode: it matches ErrNoUser and ginoauth.ErrNoToken.
type noUserToken struct{}

func (noUserToken) Error() string { return ErrNoUser.Error() }

func (noUserToken) Is(target error) bool { return target == ErrNoUser || target == ginoauth.ErrNoToken }

func ptr(s string) *string { return &s }
