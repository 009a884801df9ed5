package ginoauthtest

import (
	"net/http"
	"strings"
	"time"
)

// fault is an injected answer for one request.
type fault struct {
	status int
	body   string
	hijack bool
}

// endpointKey normalizes an endpoint name given to a control: "token",
// "/token" and the issuer-prefixed path all mean "/token".
func (s *Server) endpointKey(endpoint string) string {
	if !strings.HasPrefix(endpoint, "/") {
		endpoint = "/" + endpoint
	}
	return s.endpointPath(endpoint)
}

// FailNext makes the next request to endpoint ("/token", "/userinfo",
// "/authorize", ... see the Path constants) answer status with body
// instead of being served. Each call queues one failure, so calling it
// three times fails the next three requests. A body starting with "{" is
// sent as application/json, any other as text/plain.
func (s *Server) FailNext(endpoint string, status int, body string) {
	s.queueFault(endpoint, fault{status: status, body: body})
}

// FailNextWithHijack makes the next request to endpoint end with the
// connection closed and no answer, as when a provider crashes. It queues
// one failure per call, like FailNext.
//
// net/http's Transport retries an idempotent request (a GET without body)
// once when a reused keep-alive connection closes before any answer, so a
// GET may need two queued failures to fail. POST requests, such as those to
// the token endpoint, are never retried. Where the ResponseWriter cannot be
// hijacked (HTTP/2), the handler aborts with http.ErrAbortHandler, which
// resets the stream.
func (s *Server) FailNextWithHijack(endpoint string) {
	s.queueFault(endpoint, fault{hijack: true})
}

func (s *Server) queueFault(endpoint string, f fault) {
	key := s.endpointKey(endpoint)
	s.mu.Lock()
	s.faults[key] = append(s.faults[key], f)
	s.mu.Unlock()
}

// injectFault answers r with the next queued fault for path, if any.
func (s *Server) injectFault(w http.ResponseWriter, path string) bool {
	s.mu.Lock()
	q := s.faults[path]
	if len(q) == 0 {
		s.mu.Unlock()
		return false
	}
	f := q[0]
	s.faults[path] = q[1:]
	s.mu.Unlock()
	if f.hijack {
		dropConnection(w)
		return true
	}
	ct := "text/plain; charset=utf-8"
	if strings.HasPrefix(strings.TrimSpace(f.body), "{") {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte(f.body))
	return true
}

// dropConnection ends the request with no answer at all.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// net/http's documented way to abort a response without writing
		// one: the server closes the connection or resets the HTTP/2
		// stream, and logs nothing.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// SetLatency delays every request to endpoint by d before it is served
// (or fails as FailNext said). d <= 0 removes the delay. A waiting request
// ends without an answer as soon as its context is canceled (the client
// gave up) or the server is closed.
func (s *Server) SetLatency(endpoint string, d time.Duration) {
	key := s.endpointKey(endpoint)
	s.mu.Lock()
	if d <= 0 {
		delete(s.latency, key)
	} else {
		s.latency[key] = d
	}
	s.mu.Unlock()
}

// wait applies the latency for path. It reports false when the request
// should end without an answer.
func (s *Server) wait(r *http.Request, path string) bool {
	s.mu.Lock()
	d := s.latency[path]
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}

// ExpireAccessTokens makes every access token issued so far expired: the
// userinfo endpoint and the sample API reject them with invalid_token.
// Refresh tokens stay valid, so clients can refresh.
func (s *Server) ExpireAccessTokens() {
	now := s.now()
	s.mu.Lock()
	for _, at := range s.access {
		if at.expiry.After(now) {
			at.expiry = now
		}
	}
	s.mu.Unlock()
}

// RevokeAll revokes every grant: all codes not yet exchanged, access tokens
// and refresh tokens stop working, as if the user revoked the application.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	for _, g := range s.grants {
		g.revoked = true
	}
	s.grants = nil
	s.mu.Unlock()
}

// SetClock replaces the server's clock, which decides token and code
// expiry and the times in ID tokens and recorded requests. nil restores
// time.Now. A clock far from real time makes ID tokens fail verifiers that
// use real time.
func (s *Server) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.clock.Store(&now)
}
