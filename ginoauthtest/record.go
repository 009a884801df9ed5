package ginoauthtest

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Request is one request the server received, recorded before it was
// served (so faults and failed requests are recorded too).
//
// Recorded values include client secrets, authorization codes, PKCE
// verifiers and tokens, exactly as sent. They are for assertions in tests
// only: never log them.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the endpoint path relative to the issuer: "/token",
	// "/authorize", ... (the Path constants).
	Path string
	// Form holds the query and, for form posts, the body parameters.
	Form url.Values
	// Header is a copy of the request's header.
	Header http.Header
	// ClientAuth is how a token or revocation request tried to
	// authenticate the client, whether or not it succeeded: "basic" (an
	// Authorization header, HTTP Basic), "post" (client_secret in the
	// body) or "none" (client_id alone). It is "" for other endpoints.
	ClientAuth string
	// Time is when the request arrived, by the server's clock.
	Time time.Time
}

func (s *Server) record(r *http.Request, path string) {
	rec := Request{
		Method: r.Method,
		Path:   path,
		Form:   cloneValues(r.Form),
		Header: r.Header.Clone(),
		Time:   s.now(),
	}
	if path == PathToken || path == PathRevoke {
		rec.ClientAuth = clientAuthMethod(r)
	}
	s.mu.Lock()
	s.records = append(s.records, rec)
	s.mu.Unlock()
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// Requests returns a copy of every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.records))
	for i, r := range s.records {
		r.Form = cloneValues(r.Form)
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.records = nil
	s.mu.Unlock()
}

// Count returns how many requests reached path ("/token", "token" or the
// issuer-prefixed path), whatever their outcome.
func (s *Server) Count(path string) int {
	key := s.endpointKey(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		if r.Path == key {
			n++
		}
	}
	return n
}

// Grants returns how many token requests used grantType
// ("authorization_code", "refresh_token", ...), successful or not.
func (s *Server) Grants(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		if r.Path == PathToken && r.Form.Get("grant_type") == grantType {
			n++
		}
	}
	return n
}
