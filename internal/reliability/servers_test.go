package reliability

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	redigo "github.com/gomodule/redigo/redis"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tempPostgres is a throwaway PostgreSQL cluster on a free port, for tests
// that stop and start the database. It never touches the shared server.
type tempPostgres struct {
	t     *testing.T
	bin   string   // directory of initdb and pg_ctl
	runAs []string // command prefix to run as the postgres user, if root
	dir   string
	port  int
	DSN   string
}

// startTempPostgres creates and starts a cluster, or skips the test when
// the server binaries are missing.
func startTempPostgres(t *testing.T) *tempPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(bins)
	bin := ""
	if len(bins) > 0 {
		bin = filepath.Dir(bins[len(bins)-1])
	} else if p, err := exec.LookPath("initdb"); err == nil {
		bin = filepath.Dir(p)
	}
	if bin == "" {
		t.Skip("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql to run this fault test")
	}
	if _, err := os.Stat(filepath.Join(bin, "pg_ctl")); err != nil {
		t.Skipf("pg_ctl not found next to %s/initdb", bin)
	}
	dir, err := os.MkdirTemp("", "ginoauth-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pg := &tempPostgres{t: t, bin: bin, dir: dir, port: freePort(t)}
	if os.Geteuid() == 0 {
		// initdb refuses to run as root: run the server as postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run a throwaway PostgreSQL server")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Skip("running as root without runuser to start PostgreSQL as the postgres user")
		}
		pg.runAs = []string{runuser, "-u", "postgres", "--"}
	}
	pg.run("initdb", "-D", pg.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	pg.DSN = fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable connect_timeout=2", pg.port)
	pg.Start()
	t.Cleanup(func() { _ = pg.ctl("stop", "-m", "immediate") })
	return pg
}

func (pg *tempPostgres) data() string { return filepath.Join(pg.dir, "data") }

func (pg *tempPostgres) command(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string(nil), pg.runAs...), filepath.Join(pg.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = pg.dir
	return cmd
}

func (pg *tempPostgres) run(name string, args ...string) {
	pg.t.Helper()
	if out, err := pg.command(name, args...).CombinedOutput(); err != nil {
		pg.t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func (pg *tempPostgres) ctl(action string, extra ...string) error {
	args := append([]string{"-D", pg.data(), "-l", filepath.Join(pg.dir, "log"), "-w", "-t", "30"}, extra...)
	if action == "start" {
		args = append(args, "-o", fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c full_page_writes=off", pg.port, pg.dir))
	}
	args = append(args, action)
	out, err := pg.command("pg_ctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", action, err, out)
	}
	return nil
}

// Start starts the server and waits until it accepts connections.
func (pg *tempPostgres) Start() {
	pg.t.Helper()
	if err := pg.ctl("start"); err != nil {
		pg.t.Fatal(err)
	}
}

// Stop shuts the server down, disconnecting every client ("fast" mode).
func (pg *tempPostgres) Stop() {
	pg.t.Helper()
	if err := pg.ctl("stop", "-m", "fast"); err != nil {
		pg.t.Fatal(err)
	}
}

// tempRedis is a throwaway redis-server on a free port that keeps its data
// across restarts (append-only file), for tests that stop and start it.
type tempRedis struct {
	t    *testing.T
	bin  string
	dir  string
	Addr string
	cmd  *exec.Cmd
	out  bytes.Buffer
}

// startTempRedis starts a server, or skips the test when redis-server is
// missing.
func startTempRedis(t *testing.T) *tempRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found: install redis-server to run this fault test")
	}
	r := &tempRedis{t: t, bin: bin, dir: t.TempDir(), Addr: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
	r.Start()
	t.Cleanup(func() {
		if r.cmd != nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	})
	return r
}

// Start starts the server as a child process and waits until it answers.
func (r *tempRedis) Start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.Addr)
	r.out.Reset()
	r.cmd = exec.Command(r.bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
		"--appendfsync", "always", "--dir", r.dir, "--daemonize", "no")
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := redigo.Dial("tcp", r.Addr, redigo.DialConnectTimeout(time.Second))
		if err == nil {
			_, err = c.Do("PING")
			c.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server did not answer: %v\n%s", err, r.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the server down gracefully (SIGTERM) and waits for it.
func (r *tempRedis) Stop() {
	r.t.Helper()
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		r.t.Fatal(err)
	}
	_ = r.cmd.Wait()
	r.cmd = nil
}
