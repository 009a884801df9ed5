package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

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
	// readSQL is the token read's statement (see currentWithToken).
	readSQL string
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
	var table strings.Builder
	db.Dialector.QuoteTo(&table, s.table)
	// The read needs the owner's columns only to open a sealed token (and
	// to say which account a token it cannot read belongs to, the ID).
	cols := "id, token"
	if s.keys != nil || cfg.AllowUnsealed {
		cols = "id, token, user_id, provider_user_id"
	}
	// No ORDER BY, no condition on the token: a user almost always has one
	// row per provider, and the database parses and plans every word on
	// every call. With two rows (several linked accounts of one provider),
	// current picks the most recently updated that holds a token.
	s.readSQL = "SELECT " + cols + " FROM " + table.String() + " WHERE provider = ? AND user_id = ? LIMIT 2"
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
