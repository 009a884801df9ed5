package bench

// The end-to-end benchmark: an OpenID Connect login and an API call, with
// the app, the provider and the browser in three processes on loopback,
// so the app's own CPU time, allocations and (under callgrind.sh)
// instructions are measured apart from the rest:
//
//	BenchmarkE2E/provider=zitadel/phase=login/impl=ginoauth
//
// phase=login is a whole login in a fresh browser (the app's login route,
// the provider's authorization, login and callback pages, the app's
// callback: code exchange and ID token verification); phase=api is
// GET /api of a logged-in browser, which calls the provider's userinfo
// endpoint with the token kept in the cookie session. Each op is checked.
// app-cpu-ns/op is the app process's CPU time per op (all its threads,
// from /proc), app-B/op and app-allocs/op its heap allocations per op.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// roleEnv tells a child process of the benchmark what to serve.
const roleEnv = "GINOAUTH_BENCH_ROLE"

func TestMain(m *testing.M) {
	role := os.Getenv(roleEnv)
	if role == "" {
		os.Exit(m.Run())
	}
	if err := serveChild(role); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", role+":", err)
		os.Exit(1)
	}
}

// serveChild serves role on the listener the parent passed as file 3,
// until the parent closes the child's standard input.
func serveChild(role string) error {
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return err
	}
	// GINOAUTH_BENCH_APP_MEMPROFILE=file: the app's allocation profile,
	// every allocation sampled, written when the benchmark ends it.
	memprofile := os.Getenv("GINOAUTH_BENCH_APP_MEMPROFILE")
	if role == "op" {
		memprofile = ""
	}
	if memprofile != "" {
		runtime.MemProfileRate = 1
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		if memprofile != "" {
			if f, err := os.Create(memprofile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
		os.Exit(0) // exits cleanly, so callgrind writes its counts
	}()
	issuer, appURL := os.Getenv("GINOAUTH_BENCH_ISSUER"), os.Getenv("GINOAUTH_BENCH_APP")
	if role == "op" {
		return serveOP(ln, issuer, appURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var h http.Handler
	switch Impl(role) {
	case Ginoauth:
		h, err = e2eGinoauth(ctx, issuer)
	case Handwritten:
		h, err = e2eHandwritten(ctx, issuer)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		return err
	}
	return http.Serve(ln, withStats(h))
}

// statsPath answers the app process's allocation counters, outside the
// app's routes.
const statsPath = "/__bench/stats"

type appStats struct{ Mallocs, Bytes uint64 }

func withStats(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != statsPath {
			h.ServeHTTP(w, r)
			return
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(appStats{Mallocs: ms.Mallocs, Bytes: ms.TotalAlloc})
	})
}

// child is a process of the benchmark serving a role.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startChild starts this test binary serving role on ln, with env added.
// GINOAUTH_BENCH_CALLGRIND=dir runs the app (not the provider) under
// valgrind's callgrind, writing dir/callgrind.<out>.
func startChild(tb testing.TB, role string, ln net.Listener, out string, env ...string) *child {
	tb.Helper()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	defer ln.Close()
	args := []string{os.Args[0], "-test.run=^$"}
	if dir := os.Getenv("GINOAUTH_BENCH_CALLGRIND"); dir != "" && role != "op" {
		args = append([]string{"valgrind", "--tool=callgrind", "--callgrind-out-file=" + filepath.Join(dir, "callgrind."+out)}, args...)
		env = append(env, "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off", "GOMAXPROCS=1")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), env...)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	tb.Cleanup(c.stop)
	return c
}

// stop ends the child and waits for it.
func (c *child) stop() {
	if c.stdin == nil {
		return
	}
	c.stdin.Close()
	c.stdin = nil
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// cpu is the child's CPU time so far, all threads, in nanoseconds (the
// scheduler's accounting, finer than getrusage's ticks); ok is false where
// /proc has no schedstat.
func (c *child) cpu() (ns int64, ok bool) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", c.cmd.Process.Pid))
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		ns += v
	}
	return ns, true
}

func listen(tb testing.TB) (net.Listener, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

// e2eBrowser is a user agent for the end-to-end benchmark: it follows the
// login's redirects across the app and the provider one by one, and keeps
// cookies as browsers do (net/http/cookiejar: by domain and path).
type e2eBrowser struct {
	client *http.Client
	app    string
	// CookieBytes is the total length of the Set-Cookie header values the
	// app sent.
	CookieBytes int64
}

func newE2EBrowser(tr http.RoundTripper, app string) *e2eBrowser {
	jar, _ := cookiejar.New(nil)
	return &e2eBrowser{app: app, client: &http.Client{Transport: tr, Jar: jar, Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *e2eBrowser) get(target string) (*http.Response, []byte, error) {
	resp, err := b.client.Get(target)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.HasPrefix(target, b.app+"/") {
		for _, line := range resp.Header["Set-Cookie"] {
			b.CookieBytes += int64(len(line))
		}
	}
	return resp, body, err
}

// login runs a whole login: it must end at the app's callback, which
// names the provider's test user and redirects to "/".
func (b *e2eBrowser) login() error {
	target := b.app + e2eLoginPath
	for range 8 {
		resp, _, err := b.get(target)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			return fmt.Errorf("bench: e2e login: %s answered %d", target, resp.StatusCode)
		}
		next, err := resp.Location()
		if err != nil {
			return err
		}
		if strings.HasPrefix(target, b.app+e2eCallbackPath) {
			if next.Path != "/" || resp.Header.Get("X-User") != "id1" {
				return fmt.Errorf("bench: e2e callback: Location %q, user %q", next, resp.Header.Get("X-User"))
			}
			return nil
		}
		target = next.String()
	}
	return errors.New("bench: e2e login: too many redirects")
}

// api calls GET /api, which must relay the provider's userinfo answer.
func (b *e2eBrowser) api() error {
	resp, body, err := b.get(b.app + apiPath)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"sub":"id1"`) {
		return fmt.Errorf("bench: e2e api: status %d, body %.200q", resp.StatusCode, body)
	}
	return nil
}

func (b *e2eBrowser) stats() (appStats, error) {
	var s appStats
	_, body, err := b.get(b.app + statsPath)
	if err == nil {
		err = json.Unmarshal(body, &s)
	}
	return s, err
}

// TestE2E runs each app's login and API call once, as the benchmark does.
func TestE2E(t *testing.T) {
	for _, impl := range []Impl{Handwritten, Ginoauth} {
		t.Run(string(impl), func(t *testing.T) {
			opLn, issuer := listen(t)
			appLn, appURL := listen(t)
			env := []string{"GINOAUTH_BENCH_ISSUER=" + issuer, "GINOAUTH_BENCH_APP=" + appURL}
			startChild(t, "op", opLn, "", env...)
			startChild(t, string(impl), appLn, "test", env...)
			br := newE2EBrowser(http.DefaultTransport, appURL)
			if err := br.login(); err != nil {
				t.Fatal(err)
			}
			if err := br.api(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func BenchmarkE2E(b *testing.B) {
	for _, ph := range []string{"login", "api"} {
		for _, impl := range []Impl{Handwritten, Ginoauth} {
			name := fmt.Sprintf("provider=zitadel/phase=%s/impl=%s", ph, impl)
			b.Run(name, func(b *testing.B) { benchE2E(b, impl, ph) })
		}
	}
}

func benchE2E(b *testing.B, impl Impl, ph string) {
	opLn, issuer := listen(b)
	appLn, appURL := listen(b)
	env := []string{"GINOAUTH_BENCH_ISSUER=" + issuer, "GINOAUTH_BENCH_APP=" + appURL}
	startChild(b, "op", opLn, "", env...)
	app := startChild(b, string(impl), appLn, fmt.Sprintf("e2e_%s_%s.%d", ph, impl, b.N), env...)
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	newBrowser := func() *e2eBrowser { return newE2EBrowser(tr, appURL) }
	// One untimed login: the app is up, its key set fetched.
	br := newBrowser()
	if err := br.login(); err != nil {
		b.Fatal(err)
	}
	before, err := br.stats()
	if err != nil {
		b.Fatal(err)
	}
	br.CookieBytes = 0
	var cookieBytes int64
	cpu0, cpuOK := app.cpu()
	b.ResetTimer()
	for range b.N {
		if ph == "login" {
			fresh := newBrowser()
			if err := fresh.login(); err != nil {
				b.Fatal(err)
			}
			cookieBytes += fresh.CookieBytes
		} else if err := br.api(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu1, cpuOK1 := app.cpu()
	after, err := br.stats()
	if err != nil {
		b.Fatal(err)
	}
	n := float64(b.N)
	if ph != "login" {
		cookieBytes = br.CookieBytes
	}
	b.ReportMetric(float64(cookieBytes)/n, "cookie-B/op")
	if cpuOK && cpuOK1 {
		b.ReportMetric(float64(cpu1-cpu0)/n, "app-cpu-ns/op")
	}
	b.ReportMetric(float64(after.Bytes-before.Bytes)/n, "app-B/op")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "app-allocs/op")
}
