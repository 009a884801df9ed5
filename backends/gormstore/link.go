package gormstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"gorm.io/gorm"
)

// LinkConfig configures a [Linker]: what the application does with local
// users. The callbacks that get a tx run inside the linking transaction; do
// your writes with tx, so that a link that fails leaves nothing behind (and
// so that SQLite with a single connection does not wait for itself).
type LinkConfig struct {
	// Login logs the local user in, typically by writing userID into the
	// app's session. It runs after the link is committed, when the user is
	// not the one already logged in. Required.
	Login func(c *gin.Context, userID string) error

	// CreateUser creates a local user for a provider account that no user
	// is linked to, when nobody is logged in, and returns the user's ID.
	// Optional. Default nil: such logins fail with ErrSignupClosed.
	CreateUser func(c *gin.Context, tx *gorm.DB, p *ginoauth.Profile) (userID string, err error)

	// FindUserByVerifiedEmail looks up an existing local user by email, to
	// link a new provider account to them when nobody is logged in.
	// Setting it opts in to linking by email; it is called only when the
	// provider says the email is verified (Profile.EmailVerified), since an
	// unverified address would let anyone take over the account that has
	// it. Optional. Default nil: never link by email.
	//
	// It must match only addresses the application knows to be verified:
	// confirmed by its own sign-up, or taken from a profile whose
	// EmailVerified was true. An address copied from an unverified profile
	// (CreateUser storing p.Email regardless) lets an attacker sign up first
	// with the victim's address at a provider that does not verify it, and
	// receive the victim's account, tokens included, when the victim logs
	// in later through one that does (pre-account takeover). Store p.Email
	// in CreateUser only when p.EmailVerified.
	FindUserByVerifiedEmail func(c *gin.Context, tx *gorm.DB, email string) (userID string, found bool, err error)

	// OnLink runs when a provider account becomes linked to a local user,
	// inside the transaction: fill your own columns of the row with tx, or
	// return an error to refuse the link. Optional.
	OnLink func(c *gin.Context, tx *gorm.DB, a *Account, p *ginoauth.Profile) error

	// OnUnlink runs in Unlink before the row is deleted, inside the
	// transaction; return an error to keep the link (for example, when it
	// is the user's last way to log in). Optional.
	OnUnlink func(ctx context.Context, tx *gorm.DB, a *Account) error
}

// Linker links provider accounts to local users. Its Authorized method is a
// ready-made [ginoauth.Hooks] Authorized hook:
//
//	linker, err := store.Linker(gormstore.LinkConfig{Login: ..., CreateUser: ...})
//	bp, err := ginoauth.New(provider, ginoauth.Config{..., Storage: store,
//		Hooks:         ginoauth.Hooks{Authorized: linker.Authorized},
//		LoginPOSTOnly: true}) // see ginoauth.Config.LoginPOSTOnly
type Linker struct {
	s   *Store
	cfg LinkConfig
}

// Linker returns a Linker storing accounts in s. The store needs a UserID
// function, to tell who is logged in.
func (s *Store) Linker(cfg LinkConfig) (*Linker, error) {
	if cfg.Login == nil {
		return nil, errors.New("gormstore: config: LinkConfig.Login is required")
	}
	if s.cfg.UserID == nil {
		return nil, errors.New("gormstore: config: account linking needs Config.UserID")
	}
	return &Linker{s: s, cfg: cfg}, nil
}

// callbackError marks an error of the app's callbacks or a link conflict,
// as opposed to a database failure.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

// Authorized is the linking hook. It fetches the provider profile
// (bp.Profile) and finds the row of (provider, profile ID):
//
//   - linked to a user: stores the new token there and logs that user in,
//     unless another user is logged in (then it fails with an
//     *AccountLinkedError: one provider account, one local user);
//   - otherwise, links the account to the logged-in user; or, when nobody
//     is logged in, to the user FindUserByVerifiedEmail finds for a
//     verified email, or to a new user from CreateUser; then logs that
//     user in.
//
// A row the user stored before linking existed (no provider user ID) is
// reused for the link. The whole link is one transaction. It returns
// ginoauth.ErrSkipStore, since it stored the token itself.
//
// Failures reach the blueprint's error hook: database failures as
// KindStorageFailed, conflicts and callback errors as KindHookFailed with the
// cause in Err (errors.Is(err, ErrAccountLinked), ErrSignupClosed, or the
// callback's own error).
func (l *Linker) Authorized(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
	p, err := bp.Profile(c)
	if err != nil {
		if ge, ok := errors.AsType[*ginoauth.Error](err); ok {
			return ge
		}
		// The provider is down or answered badly: the user sees a
		// provider error (502), not a server problem.
		return &ginoauth.Error{Kind: ginoauth.KindProfileFailed, Err: fmt.Errorf("gormstore: link: fetch profile: %w", err)}
	}
	if p == nil || p.ID == "" {
		return errors.New("gormstore: link: the provider profile has no user ID")
	}
	provider := bp.Name()
	current, loggedIn := l.s.user(c)
	var userID string
	for attempt := 0; ; attempt++ {
		userID, err = l.link(c, provider, current, loggedIn, p, t)
		var ce *callbackError
		if err != nil && attempt == 0 && !errors.As(err, &ce) && isDuplicate(l.s.db, err) {
			// A concurrent first login of the same account inserted it
			// first; link again, to its row.
			continue
		}
		break
	}
	if err != nil {
		var ce *callbackError
		if errors.As(err, &ce) {
			return ce.err
		}
		return &ginoauth.Error{Kind: ginoauth.KindStorageFailed, Provider: provider, Err: dbErr("link "+provider+" account", err)}
	}
	l.s.invalidate(provider, userID)
	if !loggedIn || current != userID {
		if err := l.cfg.Login(c, userID); err != nil {
			return fmt.Errorf("gormstore: link: Login: %w", err)
		}
	}
	return ginoauth.ErrSkipStore
}

// link does the linking transaction and returns the local user's ID.
func (l *Linker) link(c *gin.Context, provider, current string, loggedIn bool, p *ginoauth.Profile, t *ginoauth.Token) (string, error) {
	s := l.s
	var userID string
	err := s.db.WithContext(ctxOf(c)).Transaction(func(tx *gorm.DB) error {
		var rows []Account
		err := tx.Table(s.table).Select("id", "provider", "provider_user_id", "user_id", "version", "created_at", "updated_at").
			Where("provider = ? AND provider_user_id = ?", provider, p.ID).Limit(1).Find(&rows).Error
		if err != nil {
			return err
		}
		if len(rows) == 1 && rows[0].UserID != nil {
			row := rows[0]
			if loggedIn && *row.UserID != current {
				return &callbackError{&AccountLinkedError{Provider: provider, ProviderUserID: p.ID, LinkedUserID: *row.UserID, CurrentUserID: current}}
			}
			userID = *row.UserID
			_, err := s.writeToken(tx, provider, &row, t, "")
			return err
		}
		uid, err := l.chooseUser(c, tx, current, loggedIn, p)
		if err != nil {
			return err
		}
		var acc Account
		switch {
		case len(rows) == 1:
			// The account's user was removed (user_id NULL): link it anew.
			acc = rows[0]
		default:
			// Reuse the row SetToken stored for this user before linking.
			var plain []Account
			err := tx.Table(s.table).Select("id", "provider", "provider_user_id", "user_id", "version", "created_at", "updated_at").
				Where("provider = ? AND user_id = ? AND provider_user_id IS NULL", provider, uid).
				Order("updated_at DESC").Order("id DESC").Limit(1).Find(&plain).Error
			if err != nil {
				return err
			}
			if len(plain) == 0 {
				acc, err = s.insert(tx, Account{Provider: provider, ProviderUserID: ptr(p.ID), UserID: ptr(uid)}, t)
				if err != nil {
					return err
				}
				acc.Token = ""
				break
			}
			acc = plain[0]
		}
		if acc.UserID == nil || acc.ProviderUserID == nil {
			err := tx.Table(s.table).Where("id = ?", acc.ID).
				Updates(map[string]any{"user_id": uid, "provider_user_id": p.ID}).Error
			if err != nil {
				return err
			}
			acc.UserID, acc.ProviderUserID = ptr(uid), ptr(p.ID)
			if _, err := s.writeToken(tx, provider, &acc, t, ""); err != nil {
				return err
			}
			acc.Version++
		}
		if l.cfg.OnLink != nil {
			if err := l.cfg.OnLink(c, tx, &acc, p); err != nil {
				return &callbackError{fmt.Errorf("gormstore: link: OnLink: %w", err)}
			}
		}
		userID = uid
		return nil
	})
	return userID, err
}

// chooseUser picks the local user a new link belongs to.
func (l *Linker) chooseUser(c *gin.Context, tx *gorm.DB, current string, loggedIn bool, p *ginoauth.Profile) (string, error) {
	if loggedIn {
		return current, nil
	}
	if l.cfg.FindUserByVerifiedEmail != nil && p.EmailVerified && p.Email != "" {
		uid, found, err := l.cfg.FindUserByVerifiedEmail(c, tx, p.Email)
		if err != nil {
			return "", &callbackError{fmt.Errorf("gormstore: link: FindUserByVerifiedEmail: %w", err)}
		}
		if found && uid != "" {
			return uid, nil
		}
	}
	if l.cfg.CreateUser == nil {
		return "", &callbackError{ErrSignupClosed}
	}
	uid, err := l.cfg.CreateUser(c, tx, p)
	if err != nil {
		return "", &callbackError{fmt.Errorf("gormstore: link: CreateUser: %w", err)}
	}
	if uid == "" {
		return "", &callbackError{errors.New("gormstore: link: CreateUser returned an empty user ID")}
	}
	return uid, nil
}

// isDuplicate reports whether err is a unique-index violation.
func isDuplicate(db *gorm.DB, err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	if tr, ok := db.Dialector.(gorm.ErrorTranslator); ok {
		return errors.Is(tr.Translate(err), gorm.ErrDuplicatedKey)
	}
	return false
}

// Unlink disconnects a provider account from userID: it deletes the row
// (after LinkConfig.OnUnlink agrees), then revokes the token at the provider
// with bp.Revoke, when the provider has a revocation endpoint. The row is
// deleted even if revocation fails; the revocation error is returned.
// accountID is an Account.ID from Accounts; it must be userID's and of bp's
// provider, or Unlink returns ErrAccountNotFound.
func (l *Linker) Unlink(ctx context.Context, bp *ginoauth.Blueprint, userID string, accountID int64) error {
	if userID == "" {
		return ErrNoUser
	}
	s := l.s
	provider := bp.Name()
	var (
		tok       *ginoauth.Token
		decodeErr error
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []Account
		err := tx.Table(s.table).Select("id", "provider", "provider_user_id", "user_id", "token", "version", "created_at", "updated_at").
			Where("id = ? AND provider = ? AND user_id = ?", accountID, provider, userID).Limit(1).Find(&rows).Error
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return &callbackError{ErrAccountNotFound}
		}
		row := rows[0]
		if row.Token != "" {
			tok, decodeErr = s.decode(row.Token, provider, &row)
		}
		row.Token = ""
		if l.cfg.OnUnlink != nil {
			if err := l.cfg.OnUnlink(ctx, tx, &row); err != nil {
				return &callbackError{fmt.Errorf("gormstore: unlink: OnUnlink: %w", err)}
			}
		}
		return tx.Table(s.table).Where("id = ?", row.ID).Delete(&Account{}).Error
	})
	s.invalidate(provider, userID)
	if err != nil {
		var ce *callbackError
		if errors.As(err, &ce) {
			return ce.err
		}
		return dbErr("unlink "+provider+" account", err)
	}
	if decodeErr != nil {
		return fmt.Errorf("gormstore: unlink: the account was removed, but its token could not be read to revoke it: %w", decodeErr)
	}
	if tok != nil {
		if err := bp.Revoke(ctx, tok); err != nil {
			return fmt.Errorf("%w: %w", ErrRevokeFailed, err)
		}
	}
	return nil
}
