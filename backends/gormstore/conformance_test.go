package gormstore_test

import (
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/ginoauth/ginoauth/backends/storagetest"
)

// harness maps the suite's simulated users to local user IDs, the way an
// app's auth middleware would.
func harness(t *testing.T, db database, cfg gormstore.Config) storagetest.Harness {
	cfg.UserID = contextUser
	return storagetest.Harness{
		Storage: newStore(t, db.open(t), cfg),
		Middleware: []gin.HandlerFunc{func(c *gin.Context) {
			if u := storagetest.User(c); u != "" {
				c.Set(userKey, "local-"+u)
			}
		}},
	}
}

func TestConformance(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			db.open(t) // skips without a DSN
			storagetest.Run(t, func(t *testing.T) storagetest.Harness {
				return harness(t, db, gormstore.Config{UserRequired: true})
			})
		})
	}
}

// TestConformanceEncryptedCached runs the suite with every option on.
func TestConformanceEncryptedCached(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			db.open(t)
			storagetest.Run(t, func(t *testing.T) storagetest.Harness {
				return harness(t, db, gormstore.Config{
					Keys:     [][]byte{[]byte("0123456789abcdef0123456789abcdef")},
					CacheTTL: time.Minute,
				})
			})
		})
	}
}

// TestConformanceAnonymous runs the suite with nobody logged in: each
// simulated user is a visitor with their own session, and the anonymous
// rows must keep them apart.
func TestConformanceAnonymous(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storagetest.Harness {
		return storagetest.Harness{Storage: newStore(t, openSQLite(t), gormstore.Config{})}
	})
}
