package main

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

// User is the application's own user: the account a person has here,
// whatever provider accounts they log in with.
type User struct {
	ID    uint `gorm:"primaryKey"`
	Name  string
	Email string
	// SessionGen grows at every logout; sessions from before it no longer
	// count (see app.userID).
	SessionGen int `gorm:"not null;default:0"`
	CreatedAt  time.Time
}

// OAuthAccount is gormstore's token table with two columns of our own,
// filled when an account is linked, for the home page's list.
type OAuthAccount struct {
	gormstore.Account
	DisplayName string `gorm:"size:191;not null;default:''"`
	AvatarURL   string `gorm:"size:1024;not null;default:''"`
}

// TableName keeps gormstore's default table name.
func (OAuthAccount) TableName() string { return gormstore.DefaultTable }

var errLastAccount = errors.New("example: this is the only account you can log in with")

// linkConfig tells gormstore's Linker what "a local user" means here.
func (a *app) linkConfig() gormstore.LinkConfig {
	return gormstore.LinkConfig{
		// Login runs after a successful link: remember who is logged in. The
		// blueprint saves the session after the hook.
		Login: func(c *gin.Context, userID string) error {
			var u User
			if err := a.db.WithContext(c.Request.Context()).Select("id", "session_gen").First(&u, "id = ?", userID).Error; err != nil {
				return err
			}
			s := a.session(c)
			s.Set(sessionUserID, userID)
			s.Set(sessionGen, u.SessionGen)
			c.Set(verifiedUserKey{}, userID)
			s.Set(sessionCSRF, newToken()) // a fresh CSRF token per login
			return nil
		},
		// CreateUser signs up a visitor the first time they log in.
		// It keeps the email only when the provider verified it, so an
		// address nobody proved never identifies a user.
		CreateUser: func(c *gin.Context, tx *gorm.DB, p *ginoauth.Profile) (string, error) {
			u := User{Name: displayName(p)}
			if p.EmailVerified {
				u.Email = p.Email
			}
			if err := tx.Create(&u).Error; err != nil {
				return "", err
			}
			return strconv.FormatUint(uint64(u.ID), 10), nil
		},
		// OnLink fills our own columns of the account's row.
		OnLink: func(c *gin.Context, tx *gorm.DB, acc *gormstore.Account, p *ginoauth.Profile) error {
			return tx.Model(&OAuthAccount{}).Where("id = ?", acc.ID).
				Updates(map[string]any{"display_name": displayName(p), "avatar_url": p.AvatarURL}).Error
		},
		// OnUnlink keeps the last account, so nobody locks themselves out.
		OnUnlink: func(ctx context.Context, tx *gorm.DB, acc *gormstore.Account) error {
			var n int64
			if err := tx.Model(&OAuthAccount{}).Where("user_id = ?", acc.UserID).Count(&n).Error; err != nil {
				return err
			}
			if n <= 1 {
				return errLastAccount
			}
			return nil
		},
	}
}

func displayName(p *ginoauth.Profile) string {
	switch {
	case p.Name != "":
		return p.Name
	case p.Username != "":
		return p.Username
	case p.Email != "":
		return p.Email
	}
	return "New user"
}

// user returns the logged-in local user, if any.
func (a *app) user(c *gin.Context) (*User, bool) {
	id, ok := a.userID(c)
	if !ok {
		return nil, false
	}
	var u User
	if err := a.db.WithContext(c.Request.Context()).First(&u, "id = ?", id).Error; err != nil {
		return nil, false // deleted meanwhile, or the database is down
	}
	return &u, true
}

// accounts lists the user's linked provider accounts, without their tokens.
func (a *app) accounts(ctx context.Context, userID string) ([]OAuthAccount, error) {
	var rows []OAuthAccount
	err := a.db.WithContext(ctx).Omit("token").Where("user_id = ?", userID).
		Order("provider").Order("id").Find(&rows).Error
	return rows, err
}
