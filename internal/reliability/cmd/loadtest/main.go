// Command loadtest drives full login flows and API calls against one
// ginoauth app instance on loopback and reports throughput, latency, heap
// and goroutines before and after. The test provider runs in a child
// process (this program again), so the heap measured is the app's.
//
//	go run ./internal/reliability/cmd/loadtest -duration 60s
//
// With -postgres and -redis (default: GINOAUTH_POSTGRES_DSN and
// GINOAUTH_REDIS_ADDR) sessions live in Redis and tokens in PostgreSQL;
// otherwise in an encrypted session cookie. It exits with status 1 when a
// request failed or goroutines leaked.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth/internal/reliability"
)

func main() {
	if reliability.ServeProviderProcess() {
		return
	}
	cfg := reliability.LoadFlags(flag.CommandLine)
	heap := flag.String("heapprofile", "", "write a heap profile taken after the run to this file")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	pp, err := reliability.StartProviderProcess(exe, nil, cfg.Users, cfg.TokenLife)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	cfg.Provider = pp.Info
	cfg.Log = os.Stderr
	if *heap != "" {
		f, err := os.Create(*heap)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
			os.Exit(2)
		}
		defer f.Close()
		cfg.HeapProfile = f
	}
	res, err := reliability.RunLoad(context.Background(), *cfg)
	_ = pp.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	fmt.Print(res)
	if res.Errors != 0 || res.GoroutinesAfter > res.GoroutinesBefore+2 {
		os.Exit(1)
	}
}
