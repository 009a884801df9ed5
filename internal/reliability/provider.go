package reliability

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"

	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// TestProvider is a ginoauthtest provider on a loopback port that counts
// its token endpoint's answers and keeps its request log short, so that
// long runs do not grow without bound.
type TestProvider struct {
	*ginoauthtest.Server
	ts *httptest.Server

	requests      atomic.Int64
	codeOK        atomic.Int64
	codeFailed    atomic.Int64
	refreshOK     atomic.Int64
	refreshFailed atomic.Int64
}

// Users returns n provider accounts with IDs "u001", "u002", ...
func Users(n int) []ginoauthtest.User {
	out := make([]ginoauthtest.User, n)
	for i := range out {
		id := fmt.Sprintf("u%03d", i+1)
		out[i] = ginoauthtest.User{ID: id, Email: id + "@example.com", EmailVerified: true, Name: "User " + id, Username: id}
	}
	return out
}

// NewTestProvider starts a provider configured by cfg. The caller must
// Close it.
func NewTestProvider(cfg ginoauthtest.Config) *TestProvider {
	ts := httptest.NewUnstartedServer(nil)
	p := &TestProvider{ts: ts}
	// The app instances' addresses are known only later; the provider is
	// reachable from this machine alone.
	cfg.InsecureAnyRedirectURI = true
	p.Server = ginoauthtest.NewHandler(cfg, "http://"+ts.Listener.Addr().String())
	ts.Config.Handler = http.HandlerFunc(p.serve)
	ts.Start()
	return p
}

// Info describes the provider for NewInstance.
func (p *TestProvider) Info() Provider {
	return Provider{Provider: p.Provider(), ClientID: p.ClientID(), ClientSecret: p.ClientSecret()}
}

// Close stops the provider.
func (p *TestProvider) Close() {
	p.Server.Close()
	p.ts.Close()
}

// TokenCounts is what the token endpoint answered: successes and failures
// of the authorization code and the refresh token grants.
type TokenCounts struct {
	CodeOK, CodeFailed, RefreshOK, RefreshFailed int64
}

// TokenCounts returns the token endpoint's counts so far.
func (p *TestProvider) TokenCounts() TokenCounts {
	return TokenCounts{p.codeOK.Load(), p.codeFailed.Load(), p.refreshOK.Load(), p.refreshFailed.Load()}
}

// statusWriter records the status of an answer. Unwrap lets the
// provider's connection-dropping fault reach the real connection.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (p *TestProvider) serve(w http.ResponseWriter, r *http.Request) {
	if p.requests.Add(1)%1000 == 0 {
		p.ResetRequests()
	}
	if r.URL.Path != ginoauthtest.PathToken || r.Method != http.MethodPost {
		p.Server.ServeHTTP(w, r)
		return
	}
	// Peek at the grant type without consuming the body.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body.Close()
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	sw := &statusWriter{ResponseWriter: w}
	p.Server.ServeHTTP(sw, r)
	ok := sw.status == http.StatusOK
	switch form.Get("grant_type") {
	case "authorization_code":
		count(ok, &p.codeOK, &p.codeFailed)
	case "refresh_token":
		count(ok, &p.refreshOK, &p.refreshFailed)
	}
}

func count(ok bool, yes, no *atomic.Int64) {
	if ok {
		yes.Add(1)
	} else {
		no.Add(1)
	}
}
