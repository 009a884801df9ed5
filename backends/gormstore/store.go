package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/schema"
)

// DefaultTable is the table name used when Config names none.
const DefaultTable = "oauth_accounts"

// Config configures a [Store]. New copies it; changing it afterwards has no
// effect.
type Config struct {
	// UserID returns the ID of the local user the request is logged in as;
	// ok is false when nobody is logged in. It usually reads the app's
	// session or auth middleware. Optional. Default: nobody is ever logged
	// in (see UserRequired for what that means).
	UserID func(c *gin.Context) (userID string, ok bool)

	// UserRequired gives a request without a logged-in user a slot that
	// fails with ErrNoUser: Load's error also matches ginoauth.ErrNoToken,
	// so a logged-out visitor simply has no token, storing a token fails,
	// and deleting has nothing to delete and returns nil. Optional.
	// Default false: a visitor who is not logged in gets an anonymous row
	// (user_id NULL) that belongs to their session alone: its ID is kept
	// in the visitor's gin-contrib/sessions session, so no other visitor
	// can read it, and saving it never touches any other row. Remove stale
	// anonymous rows with DeleteAnonymous.
	UserRequired bool

	// Model is the GORM model of the table: &Account{}, or a pointer to a
	// struct of yours that embeds Account. Optional. Default &Account{}.
	Model any
	// Table is the table name. Optional. Default: the Model's table name
	// when Model is set, otherwise DefaultTable ("oauth_accounts").
	Table string

	// Keys turns on encryption at rest: tokens are sealed with AES-GCM
	// under Keys[0] (16, 24 or 32 bytes), bound to their row and its owner
	// (provider, row ID, user ID and provider user ID are the associated
	// data), so a token copied into another row or a row re-pointed at
	// another user does not open. Every key in the list can open tokens, so
	// keys rotate: put a new key first, run Reencrypt, then drop the old
	// one. Keep the keys out of the database and the source code. Rows that
	// are not sealed are refused (see AllowUnsealed). Optional. Default
	// none: tokens are stored as JSON.
	Keys [][]byte

	// AllowUnsealed lets a store with Keys read tokens that are not sealed
	// and bound to their owner: plain JSON, or sealed by an earlier version.
	// Set it while turning encryption on for an existing table (or after
	// upgrading), run Reencrypt, then remove it. Optional. Default false:
	// such rows fail with ErrUnsealed, so a row written into the table by
	// someone without the keys is never taken for a token.
	AllowUnsealed bool

	// CacheTTL turns on a per-process read cache of tokens by (provider,
	// user) for this long. Writes through this Store invalidate it at once;
	// writes by other app instances show after at most CacheTTL. Tokens
	// that expire within a minute are always read from the database, so
	// refreshes start from the stored token. Optional. Default 0: no cache.
	CacheTTL time.Duration

	// SessionName selects the session under sessions.SessionsMany, for the
	// anonymous rows. Optional.
	SessionName string
}

// Store is a [ginoauth.Storage] backed by a SQL table through GORM. It is
// safe for concurrent use, and several app instances may share one table:
// its token handles compare and swap on the row's version, and take a
// database lock around refreshes ([ginoauth.RefreshLocker]).
type Store struct {
	db    *gorm.DB
	cfg   Config
	table string
	model any
	keys  *keyRing
	cache *cache
	now   func() time.Time
	lock  dbLock
}

var _ ginoauth.Storage = (*Store)(nil)

// requiredColumns are the columns of Account; a custom Model must have them.
var requiredColumns = []string{"id", "provider", "provider_user_id", "user_id", "token", "version", "created_at", "updated_at"}

// New returns a Store on db. It does not touch the database: create the
// table with AutoMigrate (or your own migrations) first.
//
// db's logger is wrapped so that it never logs the statements' parameters,
// which contain tokens.
func New(db *gorm.DB, cfg Config) (*Store, error) {
	if db == nil {
		return nil, errors.New("gormstore: config: db is nil")
	}
	if cfg.UserRequired && cfg.UserID == nil {
		return nil, errors.New("gormstore: config: UserRequired needs a UserID function")
	}
	s := &Store{cfg: cfg, now: time.Now, cache: newCache(cfg.CacheTTL)}
	s.model = cfg.Model
	if s.model == nil {
		s.model = &Account{}
	}
	sch, err := schema.Parse(s.model, &sync.Map{}, db.NamingStrategy)
	if err != nil {
		return nil, fmt.Errorf("gormstore: config: Model: %w", err)
	}
	for _, col := range requiredColumns {
		if _, ok := sch.FieldsByDBName[col]; !ok {
			return nil, fmt.Errorf("gormstore: config: Model %s has no %q column; embed gormstore.Account", sch.Name, col)
		}
	}
	switch {
	case cfg.Table != "":
		s.table = cfg.Table
	case cfg.Model != nil:
		s.table = sch.Table
	default:
		s.table = DefaultTable
	}
	if s.keys, err = newKeyRing(cfg.Keys); err != nil {
		return nil, err
	}
	lg := db.Logger
	if lg == nil {
		lg = logger.Discard
	}
	s.db = db.Session(&gorm.Session{NewDB: true, Logger: noParams{lg}})
	s.lock = newDBLock(s.db)
	return s, nil
}

// noParams is the app's GORM logger without statement parameters.
type noParams struct{ logger.Interface }

func (l noParams) LogMode(level logger.LogLevel) logger.Interface {
	return noParams{l.Interface.LogMode(level)}
}

// ParamsFilter implements gorm.ParamsFilter: statements are logged with
// their placeholders, never with the tokens bound to them.
func (noParams) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Table returns the name of the store's table.
func (s *Store) Table() string { return s.table }

// AutoMigrate creates or updates the table and its indexes: a unique index
// on (provider, provider_user_id) and an index on (provider, user_id). The
// index names contain the table name. New never migrates; call this at
// start-up or from your migration tool.
func (s *Store) AutoMigrate(ctx context.Context) error {
	if err := s.db.WithContext(ctx).Table(s.table).AutoMigrate(s.model); err != nil {
		return dbErr("migrate table "+s.table, err)
	}
	return nil
}

// dbError is a database failure. Its message never contains a password
// (drivers do not put one in, and anything that looks like one is
// removed).
type dbError struct {
	op  string
	err error
}

var (
	passwordParam = regexp.MustCompile(`(?i)(password\s*=\s*)\S+`)
	passwordURL   = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	passwordMySQL = regexp.MustCompile(`\b([\w.-]+:)[^@\s]*@(tcp|unix)\(`)
)

func (e *dbError) Error() string {
	msg := passwordParam.ReplaceAllString(e.err.Error(), "${1}xxxxx")
	msg = passwordURL.ReplaceAllString(msg, "${1}xxxxx@")
	msg = passwordMySQL.ReplaceAllString(msg, "${1}xxxxx@${2}(")
	return "gormstore: " + e.op + ": " + msg
}

func (e *dbError) Unwrap() error { return e.err }

func dbErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *dbError
	if errors.As(err, &de) {
		return err
	}
	return &dbError{op: op, err: err}
}

func ctxOf(c *gin.Context) context.Context {
	if c != nil && c.Request != nil {
		return c.Request.Context()
	}
	return context.Background()
}

// user resolves the request's local user.
func (s *Store) user(c *gin.Context) (string, bool) {
	if s.cfg.UserID == nil {
		return "", false
	}
	id, ok := s.cfg.UserID(c)
	return id, ok && id != ""
}

func (s *Store) invalidate(provider, userID string) {
	if s.cache != nil {
		s.cache.invalidate(cacheKey{provider, userID})
	}
}

// Ref implements [ginoauth.Storage]: the logged-in user's token slot for
// provider (the most recently updated row if the user linked several
// accounts of that provider), or the anonymous visitor's.
func (s *Store) Ref(c *gin.Context, provider string) (ginoauth.TokenRef, error) {
	if uid, ok := s.user(c); ok {
		return s.UserRef(provider, uid), nil
	}
	if s.cfg.UserRequired {
		return noUserRef{provider}, nil
	}
	sess, err := s.session(c)
	if err != nil {
		return nil, err
	}
	return &anonRef{slotConn: slotConn{s: s}, provider: provider, sess: sess}, nil
}

// UserRef returns userID's token slot for provider, for work outside a
// request: Blueprint.ClientFor in a background job refreshes and saves the
// token with the same compare-and-swap and lock as requests do.
//
//	client := bp.ClientFor(ctx, store.UserRef(bp.Name(), userID))
//
// Storing a token (Swap with a nil old) updates the user's most recently
// updated row for provider, keeping its provider user ID and every other
// column, or inserts one. Deleting it removes rows that only hold a token
// and empties the token of rows that link a provider account, so logging
// out of a provider does not disconnect the account (Linker.Unlink does).
func (s *Store) UserRef(provider, userID string) ginoauth.TokenRef {
	return &userRef{slotConn: slotConn{s: s}, provider: provider, userID: userID}
}

func checkToken(t *ginoauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("gormstore: token has no access token")
	}
	return nil
}

// slotConn is what a token slot shares of the store: while the slot holds
// its refresh lock, its queries run on the lock's connection, so a refresh
// never needs a second connection of the pool (which other instances'
// waiters could all be holding).
type slotConn struct {
	s    *Store
	mu   sync.Mutex
	held *sql.Conn
}

// db is the store's database handle for ctx: on the lock's connection
// while the slot holds its refresh lock.
func (sc *slotConn) db(ctx context.Context) *gorm.DB {
	db := sc.s.db.WithContext(ctx)
	sc.mu.Lock()
	if sc.held != nil {
		db.Statement.ConnPool = sc.held
	}
	sc.mu.Unlock()
	return db
}

// lockRefresh takes the refresh lock of slot and keeps its connection
// for the slot's queries until unlock.
func (sc *slotConn) lockRefresh(ctx context.Context, slot string) (func(), error) {
	unlock, conn, err := sc.s.lock.acquire(ctx, slot)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	sc.held = conn
	sc.mu.Unlock()
	return func() {
		sc.mu.Lock()
		sc.held = nil
		sc.mu.Unlock()
		unlock()
	}, nil
}

type userRef struct {
	slotConn
	provider, userID string
}

func (r *userRef) Load(ctx context.Context) (*ginoauth.Token, error) {
	return r.s.load(r.db(ctx), r.provider, r.userID)
}

func (r *userRef) Swap(ctx context.Context, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	s, provider, userID := r.s, r.provider, r.userID
	if userID == "" {
		return nil, fmt.Errorf("gormstore: save %s token: %w", provider, ErrNoUser)
	}
	if new != nil {
		if err := checkToken(new); err != nil {
			return nil, err
		}
	}
	defer s.invalidate(provider, userID)
	db := r.db(ctx)
	switch {
	case old == nil && new == nil:
		return nil, s.delete(db, provider, userID)
	case old == nil:
		return new, s.save(db, provider, userID, new)
	}
	return s.casLoop(db, provider, old, new, func() (*Account, error) {
		return s.current(db, provider, userID, true)
	}, "")
}

func (r *userRef) LockRefresh(ctx context.Context, _ *ginoauth.Token) (func(), error) {
	return r.lockRefresh(ctx, r.s.table+"\x00"+r.provider+"\x00user\x00"+r.userID)
}

// noUserRef is the slot of a request without a logged-in user in
// UserRequired mode: it has no token and cannot store one.
type noUserRef struct{ provider string }

func (noUserRef) Load(context.Context) (*ginoauth.Token, error) { return nil, noUserToken{} }

func (r noUserRef) Swap(_ context.Context, _, new *ginoauth.Token) (*ginoauth.Token, error) {
	if new == nil {
		return nil, nil // nothing is stored for a visitor who is not logged in
	}
	return nil, fmt.Errorf("gormstore: save %s token: %w", r.provider, ErrNoUser)
}

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
	row, err := s.current(db, provider, userID, true)
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

// current returns the row that holds userID's token for provider: the most
// recently updated one (with a token, if withToken), or nil.
func (s *Store) current(db *gorm.DB, provider, userID string, withToken bool) (*Account, error) {
	var rows []Account
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

func (r *anonRef) LockRefresh(ctx context.Context, _ *ginoauth.Token) (func(), error) {
	r.idMu.Lock()
	id := r.id()
	r.idMu.Unlock()
	return r.lockRefresh(ctx, r.s.table+"\x00"+r.provider+"\x00anon\x00"+strconv.FormatInt(id, 10))
}
