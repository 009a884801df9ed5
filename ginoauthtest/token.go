package ginoauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// grant is one approval of one user for the client: the authorization code
// and every token obtained from it belong to it. Revoking the grant ends
// them all.
type grant struct {
	user     User
	scopes   []string
	nonce    string
	authTime time.Time
	revoked  bool
}

// authCode is an issued authorization code.
type authCode struct {
	grant        *grant
	redirectURI  string
	redirectSent bool // redirect_uri was in the authorization request
	challenge    string
	method       string
	expiry       time.Time
	used         bool
}

// accessToken is an issued access token.
type accessToken struct {
	grant   *grant
	scopes  []string
	expiry  time.Time
	revoked bool
}

// refreshToken is an issued refresh token.
type refreshToken struct {
	grant *grant
	spent bool // replaced by rotation
}

// oauthError is an RFC 6749 section 5.2 error response.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int
}

func errInvalidRequest(format string, args ...any) *oauthError {
	return &oauthError{Code: "invalid_request", Description: fmt.Sprintf(format, args...), status: http.StatusBadRequest}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{Code: "invalid_grant", Description: desc, status: http.StatusBadRequest}
}

func errInvalidClient(desc string) *oauthError {
	return &oauthError{Code: "invalid_client", Description: desc, status: http.StatusUnauthorized}
}

// tokenResponse is the token endpoint's success response (RFC 6749 section
// 5.1) plus the OpenID Connect id_token and one provider-specific field.
type tokenResponse struct {
	AccessToken  string         `json:"access_token"`
	TokenType    string         `json:"token_type"`
	ExpiresIn    int64          `json:"expires_in"`
	RefreshToken string         `json:"refresh_token,omitempty"`
	Scope        string         `json:"scope"`
	IDToken      string         `json:"id_token,omitempty"`
	TestAccount  map[string]any `json:"test_account"`
}

// testAccount is the non-standard field of every token response, so that
// clients can show they keep fields they do not know.
func testAccount() map[string]any { return map[string]any{"plan": "free"} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", s.cfg.Name))
	}
	writeJSON(w, e.status, e)
}

// repeated returns the name of a parameter that occurs more than once;
// RFC 6749 section 3.1 and 3.2 forbid repeating parameters.
func repeated(v url.Values) string {
	for k, vs := range v {
		if len(vs) > 1 {
			return k
		}
	}
	return ""
}

// clientAuthMethod says how r tries to authenticate the client, without
// judging the credentials: "basic", "post" or "none".
func clientAuthMethod(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return "basic"
	}
	if r.PostForm.Has("client_secret") {
		return "post"
	}
	return "none"
}

// authenticateClient checks the client credentials of a token or
// revocation request (RFC 6749 section 2.3).
func (s *Server) authenticateClient(r *http.Request) *oauthError {
	form := r.PostForm
	var id, secret string
	switch clientAuthMethod(r) {
	case "basic":
		if form.Has("client_secret") {
			return errInvalidRequest("more than one client authentication method")
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			return errInvalidClient("malformed Authorization header")
		}
		// RFC 6749 section 2.3.1: both are form-urlencoded first.
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return errInvalidClient("malformed client credentials")
		}
		if bodyID := form.Get("client_id"); bodyID != "" && bodyID != id {
			return errInvalidClient("client_id does not match the credentials")
		}
	case "post":
		id, secret = form.Get("client_id"), form.Get("client_secret")
	default:
		id = form.Get("client_id")
		if !s.cfg.PublicClient {
			return errInvalidClient("client authentication required")
		}
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.ClientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) != 1 {
		return errInvalidClient("unknown client or wrong secret")
	}
	return nil
}

// handleToken is the token endpoint (RFC 6749 section 3.2).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, formErr error) {
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
	var (
		resp *tokenResponse
		e    *oauthError
	)
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "":
		e = errInvalidRequest("grant_type is missing")
	case "authorization_code":
		resp, e = s.exchangeCode(r.PostForm)
	case "refresh_token":
		resp, e = s.refreshGrant(r.PostForm)
	default:
		e = &oauthError{Code: "unsupported_grant_type", Description: "grant type not supported", status: http.StatusBadRequest}
	}
	if e != nil {
		s.writeOAuthError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// checkForm checks a token or revocation request's body.
func checkForm(r *http.Request, formErr error) *oauthError {
	if formErr != nil {
		return errInvalidRequest("malformed request body")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return errInvalidRequest("the body must be application/x-www-form-urlencoded")
	}
	if k := repeated(r.PostForm); k != "" {
		return errInvalidRequest("parameter %s is repeated", k)
	}
	return nil
}

// exchangeCode is the authorization code grant (RFC 6749 section 4.1.3,
// RFC 7636 section 4.6).
func (s *Server) exchangeCode(form url.Values) (*tokenResponse, *oauthError) {
	code := form.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code is missing")
	}
	verifier := form.Get("code_verifier")
	if verifier != "" && !validPKCEValue(verifier) {
		return nil, errInvalidRequest("code_verifier must be 43 to 128 unreserved characters")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ac := s.codes[code]
	if ac == nil {
		return nil, errInvalidGrant("unknown authorization code")
	}
	if ac.used {
		// RFC 6749 section 4.1.2: a replayed code revokes what it gave.
		ac.grant.revoked = true
		return nil, errInvalidGrant("authorization code already used")
	}
	// Any attempt spends the code, so a verifier cannot be guessed.
	ac.used = true
	if !now.Before(ac.expiry) {
		return nil, errInvalidGrant("authorization code expired")
	}
	if ac.grant.revoked {
		return nil, errInvalidGrant("authorization revoked")
	}
	if ac.redirectSent {
		got, ok := form["redirect_uri"]
		if !ok {
			return nil, errInvalidRequest("redirect_uri is missing")
		}
		if got[0] != ac.redirectURI {
			return nil, errInvalidGrant("redirect_uri does not match the authorization request")
		}
	} else if got, ok := form["redirect_uri"]; ok && got[0] != ac.redirectURI {
		return nil, errInvalidGrant("redirect_uri does not match the registered one")
	}
	switch {
	case ac.challenge != "" && verifier == "":
		return nil, errInvalidGrant("code_verifier is required")
	case ac.challenge != "" && !pkceMatches(ac.method, ac.challenge, verifier):
		return nil, errInvalidGrant("code_verifier does not match the code challenge")
	case ac.challenge == "" && verifier != "":
		return nil, errInvalidGrant("code_verifier sent, but the authorization request had no code challenge")
	}
	return s.issueLocked(ac.grant, ac.grant.scopes, true, true, now)
}

// refreshGrant is the refresh token grant (RFC 6749 section 6).
func (s *Server) refreshGrant(form url.Values) (*tokenResponse, *oauthError) {
	raw := form.Get("refresh_token")
	if raw == "" {
		return nil, errInvalidRequest("refresh_token is missing")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.refresh[raw]
	switch {
	case rt == nil:
		return nil, errInvalidGrant("unknown refresh token")
	case rt.grant.revoked:
		return nil, errInvalidGrant("refresh token revoked")
	case rt.spent:
		return nil, errInvalidGrant("refresh token already used")
	}
	scopes := rt.grant.scopes
	if form.Has("scope") {
		scopes = parseScopes(form.Get("scope"))
		for _, sc := range scopes {
			if !slices.Contains(rt.grant.scopes, sc) {
				return nil, &oauthError{Code: "invalid_scope", Description: "scope exceeds the original grant", status: http.StatusBadRequest}
			}
		}
		if len(scopes) == 0 {
			scopes = rt.grant.scopes
		}
	}
	if s.cfg.RotateRefreshTokens {
		rt.spent = true
	}
	return s.issueLocked(rt.grant, scopes, s.cfg.RotateRefreshTokens, false, now)
}

// issueLocked mints an access token (and a refresh token if withRefresh)
// for g. withNonce puts the login's nonce in the ID token; OpenID Connect
// Core section 12.2 leaves it out of ID tokens from a refresh. s.mu is held.
func (s *Server) issueLocked(g *grant, scopes []string, withRefresh, withNonce bool, now time.Time) (*tokenResponse, *oauthError) {
	at := rand.Text()
	if n := s.cfg.AccessTokenSize; n > len(at) {
		at += "." + randomChars(n-len(at)-1)
	}
	s.access[at] = &accessToken{grant: g, scopes: scopes, expiry: now.Add(s.cfg.AccessTokenTTL)}
	resp := &tokenResponse{
		AccessToken: at,
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.cfg.AccessTokenTTL / time.Second),
		Scope:       strings.Join(scopes, " "),
		TestAccount: testAccount(),
	}
	if withRefresh {
		rt := rand.Text()
		s.refresh[rt] = &refreshToken{grant: g}
		resp.RefreshToken = rt
	}
	if slices.Contains(scopes, "openid") {
		nonce := ""
		if withNonce {
			nonce = g.nonce
		}
		idt, err := s.idToken(g, scopes, nonce, at, now)
		if err != nil {
			return nil, &oauthError{Code: "server_error", Description: "could not sign the ID token", status: http.StatusInternalServerError}
		}
		resp.IDToken = idt
	}
	return resp, nil
}

// validPKCEValue checks a code verifier or challenge: 43 to 128 characters
// of ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 7636 section 4.1).
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// pkceMatches compares verifier with the stored challenge (RFC 7636
// section 4.6).
func pkceMatches(method, challenge, verifier string) bool {
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
