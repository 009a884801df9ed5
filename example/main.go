// Command example is a small Gin app that logs people in with ginoauth.
//
//	go run ./example
//
// then open http://127.0.0.1:8080 and click "Log in with Dev". It needs no
// credentials: a built-in test provider runs in the same process. Local
// users live in SQLite (PostgreSQL with DATABASE_URL), provider tokens in the
// same database through backends/gormstore, encrypted at rest, and sessions
// in an encrypted cookie (Redis with REDIS_URL).
//
// Flags: -addr (default 127.0.0.1:$PORT, PORT defaulting to 8080) and -db
// (the SQLite file). Environment: DATABASE_URL, REDIS_URL, SESSION_KEY,
// TOKEN_KEY, and the credentials of real providers (GITHUB_OAUTH_CLIENT_ID,
// GITHUB_OAUTH_CLIENT_SECRET, GOOGLE_..., GITLAB_..., DISCORD_..., and
// OIDC_ISSUER with OIDC_OAUTH_CLIENT_ID / OIDC_OAUTH_CLIENT_SECRET).
package main

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:"+cmp.Or(os.Getenv("PORT"), "8080"), "address to listen on")
	db := flag.String("db", filepath.Join(os.TempDir(), "ginoauth-example.db"), "SQLite database file (unused when DATABASE_URL is set)")
	flag.Parse()
	if os.Getenv(gin.EnvGinMode) == "" {
		gin.SetMode(gin.ReleaseMode)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *db); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, dbPath string) error {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" {
		host, addr = "127.0.0.1", net.JoinHostPort("127.0.0.1", port) // loopback unless told otherwise
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Printf("warning: listening on %s: anyone who reaches it can log in as the built-in providers' test users", host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	cfg := config{
		BaseURL:     "http://" + ln.Addr().String(),
		DBPath:      dbPath,
		DatabaseURL: os.Getenv("DATABASE_URL"),
		RedisURL:    os.Getenv("REDIS_URL"),
	}
	if s := os.Getenv("SESSION_KEY"); s != "" {
		cfg.SessionKey = []byte(s)
	} else {
		cfg.SessionKey = randomKey()
		log.Print("SESSION_KEY is not set: using a random key, so sessions end when the app restarts")
	}
	if s := os.Getenv("TOKEN_KEY"); s != "" {
		if cfg.TokenKey, err = base64.StdEncoding.DecodeString(s); err != nil || len(cfg.TokenKey) != 32 {
			return errors.New("example: TOKEN_KEY must be 32 bytes in base64 (openssl rand -base64 32)")
		}
	} else {
		cfg.TokenKey = randomKey()
		log.Print("TOKEN_KEY is not set: using a random key, so stored tokens cannot be read after a restart (users log in again)")
	}

	a, err := newApp(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	srv := &http.Server{Handler: a.Engine, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	where := "SQLite " + dbPath
	if cfg.DatabaseURL != "" {
		where = "PostgreSQL"
	}
	fmt.Printf("ginoauth example: open %s (database: %s)\n", cfg.BaseURL, where)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
