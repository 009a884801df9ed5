package gormstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"gorm.io/gorm"
)

// load returns userID's token for provider, or ginoauth.ErrNoToken.
func (s *Store) load(db *gorm.DB, provider, userID string) (*ginoauth.Token, error) {
	if userID == "" {
		return nil, noUserToken{}
	}
	k := cacheKey{provider, userID}
	var gen uint64
	if s.cache != nil {
		if t, ok := s.cache.get(k, s.now()); ok {
			if t == nil {
				return nil, ginoauth.ErrNoToken
			}
			return t.Clone(), nil
		}
		gen = s.cache.generation()
	}
	row, err := s.currentWithToken(db, provider, userID)
	if err != nil {
		return nil, dbErr("load "+provider+" token", err)
	}
	var t *ginoauth.Token
	if row != nil {
		if t, err = s.decode(row.Token, provider, row); err != nil {
			return nil, err
		}
	}
	if s.cache != nil {
		s.cache.put(k, t, gen, s.now())
		t = t.Clone()
	}
	if t == nil {
		return nil, ginoauth.ErrNoToken
	}
	return t, nil
}

// currentWithToken is current(db, provider, userID, true) as a prepared
// statement of constant text: the token read of every API call. Built by
// GORM's query builder and unprepared, the database would parse and plan
// it on every call, which costs more than running it. It goes through
// GORM all the same (Raw and Find), so the app's GORM callbacks (tracing,
// metrics) see it.
func (s *Store) currentWithToken(db *gorm.DB, provider, userID string) (*Account, error) {
	if _, held := db.Statement.ConnPool.(*sql.Conn); held {
		// On a refresh lock's connection, which a prepared statement of
		// the pool would not use.
		return s.current(db, provider, userID, true)
	}
	// Room for the two rows read: GORM would otherwise make room for 20.
	rows := make([]Account, 0, 2)
	if err := db.Session(&gorm.Session{PrepareStmt: true}).Raw(s.readSQL, provider, userID).Find(&rows).Error; err != nil {
		return nil, err
	}
	switch {
	case len(rows) == 0 || len(rows) == 1 && rows[0].Token == "":
		return nil, nil
	case len(rows) == 1:
		return &rows[0], nil
	}
	return s.current(db, provider, userID, true)
}

// current returns the row that holds userID's token for provider: the most
// recently updated one (with a token, if withToken), or nil.
func (s *Store) current(db *gorm.DB, provider, userID string, withToken bool) (*Account, error) {
	rows := make([]Account, 0, 1)
	q := db.Table(s.table).Select("id", "token", "version", "user_id", "provider_user_id").
		Where("provider = ? AND user_id = ?", provider, userID)
	if withToken {
		q = q.Where("token <> ''")
	}
	if err := q.Order("updated_at DESC").Order("id DESC").Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// save stores t as userID's token for provider, in one transaction: it
// updates the user's most recently updated row for provider (keeping the
// provider user ID and any other column) or inserts one. It never deletes a
// row.
func (s *Store) save(db *gorm.DB, provider, userID string, t *ginoauth.Token) error {
	err := db.Transaction(func(tx *gorm.DB) error {
		row, err := s.current(tx, provider, userID, false)
		if err != nil {
			return err
		}
		if row != nil {
			ok, err := s.writeToken(tx, provider, row, t, "")
			if err != nil || ok {
				return err
			}
			// The row was deleted meanwhile: insert a new one.
		}
		_, err = s.insert(tx, Account{Provider: provider, UserID: ptr(userID)}, t)
		return err
	})
	return dbErr("save "+provider+" token", err)
}

// writeToken stores t in row (with the extra where condition, if any) and
// bumps its version. A nil t deletes the token: the row of a linked
// provider account keeps the link with an empty token, any other row is
// deleted. It reports whether the row was written.
func (s *Store) writeToken(db *gorm.DB, provider string, row *Account, t *ginoauth.Token, where string, args ...any) (bool, error) {
	q := db.Table(s.table).Where("id = ?", row.ID)
	if where != "" {
		q = q.Where(where, args...)
	}
	if t == nil && row.ProviderUserID == nil {
		res := q.Delete(&Account{})
		return res.RowsAffected == 1, res.Error
	}
	enc := ""
	if t != nil {
		var err error
		if enc, err = s.encode(t, provider, row); err != nil {
			return false, err
		}
	}
	res := q.Updates(map[string]any{
		"token":      enc,
		"version":    gorm.Expr("version + 1"),
		"updated_at": s.now().UTC(),
	})
	return res.RowsAffected == 1, res.Error
}

// insert adds row a holding t. Call it inside a transaction: with Keys, the
// token is sealed in a second statement, once the row's ID is known.
func (s *Store) insert(tx *gorm.DB, a Account, t *ginoauth.Token) (Account, error) {
	now := s.now().UTC()
	a.ID, a.CreatedAt, a.UpdatedAt, a.Version = 0, now, now, 1
	a.Token = ""
	if s.keys == nil {
		enc, err := s.encode(t, a.Provider, &a)
		if err != nil {
			return a, err
		}
		a.Token = enc
	}
	if err := tx.Table(s.table).Create(&a).Error; err != nil {
		return a, err
	}
	if s.keys != nil {
		enc, err := s.encode(t, a.Provider, &a)
		if err != nil {
			return a, err
		}
		if err := tx.Table(s.table).Where("id = ?", a.ID).Update("token", enc).Error; err != nil {
			return a, err
		}
		a.Token = enc
	}
	return a, nil
}

// delete removes userID's tokens for provider. Rows that only hold a token
// are deleted; rows that link a provider account (ProviderUserID set) keep
// the link with an empty token, so logging out of a provider does not
// disconnect the account (use Linker.Unlink for that). Deleting what is not
// there is not an error.
func (s *Store) delete(db *gorm.DB, provider, userID string) error {
	err := db.Transaction(func(tx *gorm.DB) error {
		err := tx.Table(s.table).
			Where("provider = ? AND user_id = ? AND provider_user_id IS NULL", provider, userID).
			Delete(&Account{}).Error
		if err != nil {
			return err
		}
		return tx.Table(s.table).
			Where("provider = ? AND user_id = ? AND provider_user_id IS NOT NULL AND token <> ''", provider, userID).
			Updates(map[string]any{"token": "", "version": gorm.Expr("version + 1")}).Error
	})
	return dbErr("delete "+provider+" token", err)
}

// maxSwapAttempts bounds the compare-and-swap retries of one swap.
const maxSwapAttempts = 5

// casLoop reads the current row, returns its token if it is no longer old,
// and otherwise writes new (nil: deletes the token) with a compare-and-swap
// on the version it read (and the extra condition scope), re-reading after
// a lost race.
func (s *Store) casLoop(db *gorm.DB, provider string, old, new *ginoauth.Token, read func() (*Account, error), scope string) (*ginoauth.Token, error) {
	for range maxSwapAttempts {
		row, err := read()
		if err != nil {
			return nil, dbErr("swap "+provider+" token", err)
		}
		if row == nil {
			// Deleted meanwhile (logout, unlink): do not bring it back.
			return nil, nil
		}
		cur, err := s.decode(row.Token, provider, row)
		if err != nil {
			return nil, err
		}
		if !cur.Same(old) {
			return cur, nil
		}
		ok, err := s.writeToken(db, provider, row, new, "version = ?"+scope, row.Version)
		if err != nil {
			return nil, dbErr("swap "+provider+" token", err)
		}
		if ok {
			return new, nil
		}
		// Another writer won; read what it wrote.
	}
	return nil, fmt.Errorf("gormstore: swap %s token: the row kept changing; gave up after %d attempts", provider, maxSwapAttempts)
}

// Accounts returns userID's rows, for a "connected accounts" page: ordered
// by provider, then most recently updated first. The Token field is not
// loaded.
func (s *Store) Accounts(ctx context.Context, userID string) ([]Account, error) {
	if userID == "" {
		return nil, ErrNoUser
	}
	var rows []Account
	err := s.db.WithContext(ctx).Table(s.table).
		Select("id", "provider", "provider_user_id", "user_id", "version", "created_at", "updated_at").
		Where("user_id = ?", userID).
		Order("provider").Order("updated_at DESC").Order("id DESC").
		Find(&rows).Error
	if err != nil {
		return nil, dbErr("list accounts", err)
	}
	return rows, nil
}

// DeleteAnonymous deletes the anonymous rows (no user, no provider account)
// last written before before, and returns how many it deleted. Run it now
// and then with the app's session lifetime, e.g.
// store.DeleteAnonymous(ctx, time.Now().Add(-30*24*time.Hour)).
func (s *Store) DeleteAnonymous(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Table(s.table).
		Where("user_id IS NULL AND provider_user_id IS NULL AND updated_at < ?", before.UTC()).
		Delete(&Account{})
	return res.RowsAffected, dbErr("delete anonymous rows", res.Error)
}

// Anonymous rows: the row ID lives in the visitor's session.

func (s *Store) anonKey(provider string) string { return "gormstore:" + s.table + ":" + provider }

func (s *Store) session(c *gin.Context) (sessions.Session, error) {
	v, ok := c.Get(sessions.DefaultKey)
	if !ok || v == nil {
		return nil, ginoauth.ErrNoSession
	}
	switch sess := v.(type) {
	case sessions.Session:
		return sess, nil
	case map[string]sessions.Session:
		if one, ok := sess[s.cfg.SessionName]; ok && one != nil {
			return one, nil
		}
		return nil, fmt.Errorf("gormstore: no session named %q: check Config.SessionName", s.cfg.SessionName)
	}
	return nil, ginoauth.ErrNoSession
}

// anonRef is an anonymous visitor's token slot: the row whose ID the
// visitor's session holds.
type anonRef struct {
	slotConn
	provider string
	sess     sessions.Session
	idMu     sync.Mutex
}

func (r *anonRef) id() int64 {
	raw, _ := r.sess.Get(r.s.anonKey(r.provider)).(string)
	id, _ := strconv.ParseInt(raw, 10, 64)
	return id
}

func (r *anonRef) setID(id int64) error {
	if id == 0 {
		r.sess.Delete(r.s.anonKey(r.provider))
	} else {
		r.sess.Set(r.s.anonKey(r.provider), strconv.FormatInt(id, 10))
	}
	if err := r.sess.Save(); err != nil {
		return fmt.Errorf("gormstore: save session: %w", err)
	}
	return nil
}

func (s *Store) anonRow(db *gorm.DB, provider string, id int64) (*Account, error) {
	var rows []Account
	err := db.Table(s.table).Select("id", "token", "version", "user_id", "provider_user_id").
		Where("id = ? AND provider = ? AND user_id IS NULL AND token <> ''", id, provider).
		Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

func (r *anonRef) Load(ctx context.Context) (*ginoauth.Token, error) {
	r.idMu.Lock()
	id := r.id()
	r.idMu.Unlock()
	if id == 0 {
		return nil, ginoauth.ErrNoToken
	}
	row, err := r.s.anonRow(r.db(ctx), r.provider, id)
	if err != nil {
		return nil, dbErr("load "+r.provider+" token", err)
	}
	if row == nil {
		return nil, ginoauth.ErrNoToken
	}
	return r.s.decode(row.Token, r.provider, row)
}

func (r *anonRef) Swap(ctx context.Context, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	if new != nil {
		if err := checkToken(new); err != nil {
			return nil, err
		}
	}
	r.idMu.Lock()
	defer r.idMu.Unlock()
	s, provider, id := r.s, r.provider, r.id()
	db := r.db(ctx)
	if old != nil {
		if id == 0 {
			return nil, nil
		}
		return s.casLoop(db, provider, old, new, func() (*Account, error) {
			return s.anonRow(db, provider, id)
		}, " AND user_id IS NULL")
	}
	if new == nil {
		if id == 0 {
			return nil, nil
		}
		err := db.Table(s.table).Where("id = ? AND provider = ? AND user_id IS NULL", id, provider).Delete(&Account{}).Error
		if err != nil {
			return nil, dbErr("delete "+provider+" token", err)
		}
		return nil, r.setID(0)
	}
	if id != 0 {
		ok, err := s.writeToken(db, provider, &Account{ID: id}, new, "provider = ? AND user_id IS NULL", provider)
		if err != nil {
			return nil, dbErr("save "+provider+" token", err)
		}
		if ok {
			return new, nil
		}
	}
	var a Account
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		a, err = s.insert(tx, Account{Provider: provider}, new)
		return err
	})
	if err != nil {
		return nil, dbErr("save "+provider+" token", err)
	}
	return new, r.setID(a.ID)
}
