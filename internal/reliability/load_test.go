package reliability

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestLoad drives full login flows and API calls against one instance for
// GINOAUTH_LOAD (e.g. 60s), with the provider in a child process so that
// the heap measured is the app's. It skips when GINOAUTH_LOAD is unset.
// No request may fail, and after the run the goroutines must come back to
// their number before it (no leak) and the heap must not have grown
// beyond noise.
func TestLoad(t *testing.T) {
	if os.Getenv("GINOAUTH_LOAD") == "" {
		t.Skip("GINOAUTH_LOAD is not set: set it to a duration such as 60s to run the load test (or use go run ./internal/reliability/cmd/loadtest)")
	}
	dur := envDuration(t, "GINOAUTH_LOAD", time.Minute)
	const users, tokenLife = 16, time.Second
	pp, err := StartProviderProcess(os.Args[0], []string{"-test.run=^$"}, users, tokenLife)
	if err != nil {
		t.Fatal(err)
	}
	defer pp.Close()
	res, err := RunLoad(context.Background(), LoadConfig{
		Duration: dur, Users: users, CallsPerLogin: 100, TokenLife: tokenLife, Provider: pp.Info,
		PostgresDSN: os.Getenv(EnvPostgres), RedisAddr: os.Getenv(EnvRedis), Log: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load result:\n%s", res)
	checkLoad(t, res)
}

// TestLoadSmoke runs the load generator for two seconds with the provider
// in process, so the load test keeps working between the runs that
// measure.
func TestLoadSmoke(t *testing.T) {
	prov := NewTestProvider(LoadProviderConfig(4, time.Second))
	defer prov.Close()
	res, err := RunLoad(context.Background(), LoadConfig{Duration: 2 * time.Second, Users: 4, CallsPerLogin: 5, Provider: prov.Info()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Logins == 0 || res.APICalls == 0 {
		t.Fatalf("smoke load: %d errors (%v), %d logins, %d API calls; want 0 errors and some of each", res.Errors, res.ErrorKinds, res.Logins, res.APICalls)
	}
}

// checkLoad fails the test for errors, a goroutine leak or heap growth.
func checkLoad(t *testing.T, res LoadResult) {
	t.Helper()
	if res.Errors != 0 {
		t.Errorf("errors: got %d (%v), want 0", res.Errors, res.ErrorKinds)
	}
	if res.GoroutinesAfter > res.GoroutinesBefore+2 {
		t.Errorf("goroutines: %d before, %d after: a leak", res.GoroutinesBefore, res.GoroutinesAfter)
	}
	if res.HeapAfter > 2*res.HeapBefore+8<<20 {
		t.Errorf("heap in use: %d before, %d after: grew beyond noise", res.HeapBefore, res.HeapAfter)
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}
