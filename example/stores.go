package main

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/redis"
	"github.com/ginoauth/ginoauth"
	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// openDB opens PostgreSQL when a DSN is set, otherwise the SQLite file.
func openDB(cfg config) (*gorm.DB, error) {
	gcfg := &gorm.Config{Logger: logger.Default.LogMode(logger.Error), TranslateError: true}
	if cfg.DatabaseURL != "" {
		return gorm.Open(postgres.Open(cfg.DatabaseURL), gcfg)
	}
	// Immediate transactions and a busy timeout let SQLite take concurrent writes.
	dsn := "file:" + cfg.DBPath + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	return gorm.Open(sqlite.Open(dsn), gcfg)
}

// sessionStore keeps sessions in an encrypted cookie, or in Redis.
func sessionStore(cfg config) (sessions.Store, error) {
	authKey, encKey := deriveKey(cfg.SessionKey, "auth"), deriveKey(cfg.SessionKey, "encrypt")
	var store sessions.Store
	if cfg.RedisURL != "" {
		u, err := url.Parse(cfg.RedisURL)
		if err != nil || u.Host == "" {
			return nil, errors.New("example: REDIS_URL must look like redis://[user:password@]host:port[/db]")
		}
		pass, _ := u.User.Password()
		db := cmp.Or(strings.TrimPrefix(u.Path, "/"), "0")
		rs, err := redis.NewStoreWithDB(10, "tcp", u.Host, u.User.Username(), pass, db, authKey, encKey)
		if err != nil {
			return nil, fmt.Errorf("example: connect to redis: %w", err)
		}
		store = rs
	} else {
		store = cookie.NewStore(authKey, encKey)
	}
	opts := ginoauth.SessionOptions() // HttpOnly, SameSite=Lax, Secure
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Scheme == "http" {
		opts.Secure = false // plain http on 127.0.0.1 only
	}
	opts.MaxAge = 12 * 3600 // a working day, not the 30-day default: a stolen cookie ages out
	store.Options(opts)
	return store, nil
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails (crypto/rand)
	return k
}

// deriveKey makes an independent 32-byte key for each use of one secret.
func deriveKey(secret []byte, use string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(use))
	return m.Sum(nil)
}
