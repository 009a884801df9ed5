package reliability

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// StartProviderProcess starts exe (a program that calls
// ServeProviderProcess first) with args as the provider for users users
// and tokens refreshed every tokenLife.
func StartProviderProcess(exe string, args []string, users int, tokenLife time.Duration) (*ProviderProcess, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%s", ProviderProcessEnv, users, tokenLife))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://127.0.0.1:") {
		stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("reliability: provider process: got %q, %v", line, err)
	}
	url := strings.TrimSpace(line)
	// A handler with the same configuration and issuer describes the
	// child's endpoints; its Profile function reads the child's userinfo.
	h := ginoauthtest.NewHandler(LoadProviderConfig(users, tokenLife), url)
	return &ProviderProcess{cmd: cmd, stdin: stdin, Info: Provider{Provider: h.Provider(), ClientID: h.ClientID(), ClientSecret: h.ClientSecret()}}, nil
}

// Close stops the child process.
func (p *ProviderProcess) Close() error {
	p.stdin.Close()
	return p.cmd.Wait()
}

// LoadFlags registers the load generator's flags on fs and returns the
// configuration they fill in (Provider is left to the caller).
func LoadFlags(fs *flag.FlagSet) *LoadConfig {
	cfg := &LoadConfig{}
	fs.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long to run")
	fs.IntVar(&cfg.Users, "users", 16, "simulated users running at once")
	fs.IntVar(&cfg.CallsPerLogin, "calls", 100, "API calls per login")
	fs.DurationVar(&cfg.TokenLife, "token-life", time.Second, "access token life as the app sees it (refresh period)")
	fs.StringVar(&cfg.PostgresDSN, "postgres", os.Getenv(EnvPostgres), "PostgreSQL DSN for tokens (with -redis); empty: tokens in the session")
	fs.StringVar(&cfg.RedisAddr, "redis", os.Getenv(EnvRedis), "Redis address for sessions (with -postgres); empty: cookie sessions")
	return cfg
}
