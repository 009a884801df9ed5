package reliability

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-contrib/sessions/redis"
	redigo "github.com/gomodule/redigo/redis"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// NewRedisSessions returns a Redis session store with its own connection
// pool, its keys prefixed with prefix.
func NewRedisSessions(addr, prefix string) (sessions.Store, error) {
	st, err := redis.NewStore(16, "tcp", addr, "", "", sessionKeys...)
	if err != nil {
		return nil, fmt.Errorf("reliability: redis session store: %w", err)
	}
	if err := redis.SetKeyPrefix(st, prefix); err != nil {
		return nil, fmt.Errorf("reliability: redis session store: %w", err)
	}
	st.Options(sessionOptions())
	return st, nil
}

// NewCookieSessions returns an encrypted cookie session store.
func NewCookieSessions() sessions.Store {
	st := cookie.NewStore(sessionKeys...)
	st.Options(sessionOptions())
	return st
}

// OpenPostgres opens a connection pool of its own on dsn, with GORM's
// logger silenced.
func OpenPostgres(dsn string) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, fmt.Errorf("reliability: open postgres: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(16)
	return db, nil
}

// UniqueName returns prefix followed by random lowercase letters and
// digits, for per-run table names and key prefixes.
func UniqueName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:12])
}

// DeleteRedisKeys deletes the keys that start with prefix, such as a run's
// sessions in a shared Redis.
func DeleteRedisKeys(addr, prefix string) error {
	conn, err := redigo.Dial("tcp", addr, redigo.DialConnectTimeout(2*time.Second), redigo.DialReadTimeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("reliability: delete redis keys: %w", err)
	}
	defer conn.Close()
	cursor := "0"
	for {
		v, err := redigo.Values(conn.Do("SCAN", cursor, "MATCH", prefix+"*", "COUNT", 1000))
		if err != nil || len(v) != 2 {
			return fmt.Errorf("reliability: delete redis keys: SCAN: %v", err)
		}
		cursor, _ = redigo.String(v[0], nil)
		keys, _ := redigo.Strings(v[1], nil)
		for _, k := range keys {
			if _, err := conn.Do("DEL", k); err != nil {
				return fmt.Errorf("reliability: delete redis keys: %w", err)
			}
		}
		if cursor == "0" {
			return nil
		}
	}
}
