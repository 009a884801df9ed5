package redislock_test

import (
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/redis"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/redislock"
	"github.com/ginoauth/ginoauth/providers/github"
	redigo "github.com/gomodule/redigo/redis"
)

// Several instances keep GitHub tokens in the users' sessions and share
// their refreshes through Redis.
func ExampleNew() {
	pool := &redigo.Pool{MaxIdle: 16, Dial: func() (redigo.Conn, error) { return redigo.Dial("tcp", "127.0.0.1:6379") }}
	bp, err := github.New(github.Config{Config: ginoauth.Config{
		Storage: &ginoauth.SessionStorage{Coordinator: redislock.New(pool, redislock.Config{})},
	}})
	if err != nil {
		panic(err)
	}
	store, err := redis.NewStoreWithPool(pool, []byte("32-byte-long-authentication-key!"), []byte("32-byte-long-encryption-key-0123"))
	if err != nil {
		panic(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("session", store))
	bp.Register(r.Group("/login"))
}
