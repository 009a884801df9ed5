package ginoauthtest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ginoauth/ginoauth"
)

// parseScopes splits a scope parameter, dropping duplicates.
func parseScopes(s string) []string {
	var out []string
	for f := range strings.FieldsSeq(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// handleRevoke is the revocation endpoint (RFC 7009).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request, formErr error) {
	if !onlyMethods(w, r, http.MethodPost) {
		return
	}
	if e := checkForm(r, formErr); e != nil {
		s.writeOAuthError(w, e)
		return
	}
	if e := s.authenticateClient(r); e != nil {
		s.writeOAuthError(w, e)
		return
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		s.writeOAuthError(w, errInvalidRequest("token is missing"))
		return
	}
	// The hint only orders the search (RFC 7009 section 2.1); an unknown
	// token is not an error (section 2.2).
	s.mu.Lock()
	if rt := s.refresh[tok]; rt != nil {
		// A refresh token ends the whole grant: its access tokens too.
		rt.grant.revoked = true
	} else if at := s.access[tok]; at != nil {
		at.revoked = true
	}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// IssueToken logs userID in without a browser, for application tests: it
// mints an access token, a refresh token and, when the server's scopes
// include "openid", an ID token, exactly as a completed login with the
// configured scopes would. Store the result with Blueprint.SetToken or a
// storage backend.
func (s *Server) IssueToken(userID string) (*ginoauth.Token, error) {
	u, ok := s.user(userID)
	if !ok {
		return nil, fmt.Errorf("ginoauthtest: no user %q", userID)
	}
	now := s.now()
	g := &grant{user: u, scopes: slices.Clone(s.cfg.Scopes), authTime: now}
	s.mu.Lock()
	s.grants = append(s.grants, g)
	resp, e := s.issueLocked(g, g.scopes, true, false, now)
	s.mu.Unlock()
	if e != nil {
		return nil, fmt.Errorf("ginoauthtest: issue token: %s", e.Description)
	}
	return &ginoauth.Token{
		AccessToken:  resp.AccessToken,
		TokenType:    resp.TokenType,
		RefreshToken: resp.RefreshToken,
		Expiry:       now.Add(s.cfg.AccessTokenTTL),
		Scopes:       slices.Clone(g.scopes),
		IDToken:      resp.IDToken,
		Extra:        map[string]any{"test_account": testAccount()},
	}, nil
}

// randomChars returns n random base64url characters.
func randomChars(n int) string {
	b := make([]byte, (n*3+3)/4)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
