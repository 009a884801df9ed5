package gormstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"time"

	"github.com/ginoauth/ginoauth/internal/keyedlock"
	"gorm.io/gorm"
)

// Refresh locks make app instances that find the same expired token at once
// take turns: without them both would send its refresh token to the
// provider, and a provider that rotates refresh tokens accepts it once. The
// lock is the database's own, held on a connection of its own and released
// by the server if that connection dies, and waiting for it blocks in the
// server, with no polling:
//
//   - PostgreSQL: pg_advisory_lock on a 64-bit hash of the slot;
//   - MySQL and MariaDB: GET_LOCK on a name hashed from the slot;
//   - SQLite and others: the lock in process memory alone, which orders the
//     refreshes of the one process that uses an SQLite file in practice.
//
// Callers in one process first queue on a lock in process memory, so only
// one connection per token waits in the database; each refresh in progress
// holds one connection of the pool until its token is saved.
type dbLock struct {
	db      *sql.DB
	dialect string
	local   *keyedlock.Mutexes
}

func newDBLock(db *gorm.DB) dbLock {
	l := dbLock{dialect: db.Dialector.Name(), local: &keyedlock.Mutexes{}}
	if l.dialect == "postgres" || l.dialect == "mysql" {
		if sqlDB, err := db.DB(); err == nil {
			l.db = sqlDB
		}
	}
	return l
}

var errLockTimeout = errors.New("gormstore: refresh lock: timed out waiting for another instance's refresh")

// acquire blocks until the caller holds the lock of slot, or ctx ends. It
// returns the connection that holds the database lock (nil without one),
// for the caller's queries until unlock.
func (l dbLock) acquire(ctx context.Context, slot string) (func(), *sql.Conn, error) {
	sum := sha256.Sum256([]byte("ginoauth refresh\x00" + slot))
	// Callers in this process queue here, so at most one connection per
	// slot waits in the database.
	unlockLocal, err := l.local.Lock(ctx, string(sum[:]))
	if err != nil {
		return nil, nil, errors.Join(errLockTimeout, err)
	}
	if l.db == nil {
		return unlockLocal, nil, nil
	}
	unlockDB, conn, err := l.acquireDB(ctx, sum)
	if err != nil {
		unlockLocal()
		return nil, nil, err
	}
	return func() { unlockDB(); unlockLocal() }, conn, nil
}

// acquireDB takes the database lock of the slot hashed to sum, on a
// connection of its own.
func (l dbLock) acquireDB(ctx context.Context, sum [32]byte) (func(), *sql.Conn, error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return nil, nil, dbErr("refresh lock", err)
	}
	var lockQ, unlockQ string
	var arg any
	switch l.dialect {
	case "postgres":
		arg = int64(binary.BigEndian.Uint64(sum[:8]))
		lockQ, unlockQ = "SELECT pg_advisory_lock($1)", "SELECT pg_advisory_unlock($1)"
		_, err = conn.ExecContext(ctx, lockQ, arg)
	default: // mysql
		arg = "ginoauth:" + hex.EncodeToString(sum[:20])
		unlockQ = "SELECT RELEASE_LOCK(?)"
		var got sql.NullInt64
		err = conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", arg, waitSeconds(ctx)).Scan(&got)
		if err == nil && got.Int64 != 1 {
			err = errLockTimeout
		}
	}
	if err != nil {
		discard(conn)
		if ctx.Err() != nil {
			err = errors.Join(errLockTimeout, ctx.Err())
		}
		return nil, nil, dbErr("refresh lock", err)
	}
	return func() {
		// The refresh may have used up ctx: unlock on a context of its own.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, unlockQ, arg); err != nil {
			discard(conn) // closing the connection releases the lock
			return
		}
		conn.Close()
	}, conn, nil
}

// waitSeconds is how long GET_LOCK may wait: until ctx's deadline.
func waitSeconds(ctx context.Context) int64 {
	d, ok := ctx.Deadline()
	if !ok {
		return 60
	}
	return max(1, int64(math.Ceil(time.Until(d).Seconds())))
}

// discard closes conn's connection instead of returning it to the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
