package ginoauthtest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// ServeHTTP serves the provider's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := s.endpointPath(r.URL.Path)
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	}
	formErr := r.ParseForm()
	s.record(r, path)
	if !s.wait(r, path) {
		if r.Context().Err() == nil { // closed while waiting
			dropConnection(w)
		}
		return
	}
	if s.injectFault(w, path) {
		return
	}
	switch path {
	case PathAuthorize:
		s.handleAuthorize(w, r, formErr)
	case PathToken:
		s.handleToken(w, r, formErr)
	case PathRevoke:
		s.handleRevoke(w, r, formErr)
	case PathUserinfo:
		s.handleUserinfo(w, r)
	case PathWhoami:
		s.handleWhoami(w, r)
	case PathDiscovery:
		s.handleDiscovery(w, r)
	case PathJWKS:
		s.handleJWKS(w, r)
	case PathEndSession:
		s.handleEndSession(w, r, formErr)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
	}
}

// endpointPath returns the request path relative to the issuer.
func (s *Server) endpointPath(p string) string {
	if s.basePath != "" && strings.HasPrefix(p, s.basePath) {
		rest := p[len(s.basePath):]
		if rest == "" || rest[0] == '/' {
			p = rest
		}
	}
	if p == "" {
		return "/"
	}
	return p
}

func (s *Server) now() time.Time { return (*s.clock.Load())() }

// onlyMethods answers 405 unless r uses one of methods.
func onlyMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, oauthError{Code: "invalid_request", Description: "method not allowed"})
	return false
}
