package ginoauthtest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ginoauth/ginoauth"
)

// sharedKey is the default signing key, generated on first use and shared
// by every server in the process.
var sharedKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

// newSigner wraps key as a JWK whose key ID is its RFC 7638 thumbprint and
// returns an RS256 signer that puts that kid in every header.
func newSigner(key *rsa.PrivateKey) (jose.JSONWebKey, jose.Signer, error) {
	jwk := jose.JSONWebKey{Key: key, Algorithm: string(jose.RS256), Use: "sig"}
	pub := jwk.Public()
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return jose.JSONWebKey{}, nil, err
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jwk},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return jose.JSONWebKey{}, nil, err
	}
	return jwk, signer, nil
}

// PublicKey returns the JWK that verifies the server's ID tokens, as
// published at /jwks.
func (s *Server) PublicKey() jose.JSONWebKey { return s.key.Public() }

// idToken signs an ID token for g (OpenID Connect Core section 2). Profile
// and email claims follow the granted scopes (section 5.4).
func (s *Server) idToken(g *grant, scopes []string, nonce, accessToken string, now time.Time) (string, error) {
	sum := sha256.Sum256([]byte(accessToken))
	claims := map[string]any{
		"iss":       s.URL,
		"sub":       g.user.ID,
		"aud":       s.cfg.ClientID,
		"exp":       now.Add(s.cfg.AccessTokenTTL).Unix(),
		"iat":       now.Unix(),
		"auth_time": g.authTime.Unix(),
		"at_hash":   base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if n := s.cfg.IDTokenPadding; n > 0 {
		claims["pad"] = randomChars(n)
	}
	for k, v := range userClaims(g.user, scopes) {
		claims[k] = v
	}
	return jwt.Signed(s.signer).Claims(claims).Serialize()
}

// userClaims are the standard claims about u that scopes allow (OpenID
// Connect Core section 5.4), without "sub".
func userClaims(u User, scopes []string) map[string]any {
	c := map[string]any{}
	if slices.Contains(scopes, "profile") {
		if u.Name != "" {
			c["name"] = u.Name
		}
		if u.Username != "" {
			c["preferred_username"] = u.Username
		}
		if u.AvatarURL != "" {
			c["picture"] = u.AvatarURL
		}
	}
	if slices.Contains(scopes, "email") && u.Email != "" {
		c["email"] = u.Email
		c["email_verified"] = u.EmailVerified
	}
	return c
}

// handleDiscovery serves the OpenID Provider metadata (OpenID Connect
// Discovery section 3, RFC 8414).
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	pkce := []string{"S256"}
	if s.cfg.AllowPlainPKCE {
		pkce = append(pkce, "plain")
	}
	auth := []string{"client_secret_basic", "client_secret_post"}
	if s.cfg.PublicClient {
		auth = []string{"none"}
	}
	writeJSONCacheable(w, map[string]any{
		"issuer":                                         s.URL,
		"authorization_endpoint":                         s.URL + PathAuthorize,
		"token_endpoint":                                 s.URL + PathToken,
		"userinfo_endpoint":                              s.URL + PathUserinfo,
		"jwks_uri":                                       s.URL + PathJWKS,
		"revocation_endpoint":                            s.URL + PathRevoke,
		"end_session_endpoint":                           s.URL + PathEndSession,
		"scopes_supported":                               s.cfg.Scopes,
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query", "fragment", "form_post"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{string(jose.RS256)},
		"code_challenge_methods_supported":               pkce,
		"token_endpoint_auth_methods_supported":          auth,
		"revocation_endpoint_auth_methods_supported":     auth,
		"authorization_response_iss_parameter_supported": s.cfg.SendIssuer,
		"claims_supported": []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"name", "preferred_username", "picture", "email", "email_verified"},
		"prompt_values_supported": []string{"none", "login", "consent", "select_account"},
	})
}

// handleJWKS serves the public signing key (RFC 7517).
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	writeJSONCacheable(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{s.key.Public()}})
}

func writeJSONCacheable(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// bearer authenticates a protected resource request (RFC 6750): the
// Authorization header, or for a POST the access_token form parameter.
// On failure it has written the 401 or 400 answer.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (*accessToken, bool) {
	var tok string
	header := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(header, " "); ok && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(rest)
	}
	// Another scheme counts as no token (RFC 6750 section 3).
	if r.Method == http.MethodPost && r.PostForm.Has("access_token") {
		if tok != "" {
			s.bearerError(w, http.StatusBadRequest, "invalid_request", "more than one access token")
			return nil, false
		}
		tok = r.PostForm.Get("access_token")
	}
	if tok == "" {
		s.bearerError(w, http.StatusUnauthorized, "", "")
		return nil, false
	}
	now := s.now()
	s.mu.Lock()
	at := s.access[tok]
	var valid bool
	var snapshot accessToken
	if at != nil {
		valid = !at.revoked && !at.grant.revoked && now.Before(at.expiry)
		snapshot = *at
	}
	s.mu.Unlock()
	if !valid {
		s.bearerError(w, http.StatusUnauthorized, "invalid_token", "the access token is unknown, expired or revoked")
		return nil, false
	}
	return &snapshot, true
}

// bearerError answers with RFC 6750 section 3's WWW-Authenticate header. A
// request without a token gets no error code (section 3.1).
func (s *Server) bearerError(w http.ResponseWriter, status int, code, desc string) {
	v := fmt.Sprintf("Bearer realm=%q", s.cfg.Name)
	if code != "" {
		v += fmt.Sprintf(", error=%q, error_description=%q", code, desc)
	}
	if code == "insufficient_scope" {
		v += `, scope="openid"`
	}
	w.Header().Set("WWW-Authenticate", v)
	if code == "" {
		code = "invalid_token"
		desc = "no access token"
	}
	writeJSON(w, status, oauthError{Code: code, Description: desc})
}

// handleUserinfo is the OpenID Connect userinfo endpoint (Core section
// 5.3). The access token must carry the "openid" scope.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	at, ok := s.bearer(w, r)
	if !ok {
		return
	}
	if !slices.Contains(at.scopes, "openid") {
		s.bearerError(w, http.StatusForbidden, "insufficient_scope", "the userinfo endpoint needs the openid scope")
		return
	}
	claims := userClaims(at.grant.user, at.scopes)
	claims["sub"] = at.grant.user.ID
	writeJSON(w, http.StatusOK, claims)
}

// handleWhoami is the sample provider API: the user as JSON, for any valid
// access token.
func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	if !onlyMethods(w, r, http.MethodGet) {
		return
	}
	at, ok := s.bearer(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, at.grant.user)
}

// userinfo is the userinfo endpoint's answer.
type userinfo struct {
	Sub               string `json:"sub"`
	Email             string `json:"email"`
	EmailVerified     bool   `json:"email_verified"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	Picture           string `json:"picture"`
}

// profile is the provider's Profile function: it reads the userinfo
// endpoint with client, which carries the token.
func (s *Server) profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+PathUserinfo, nil)
	if err != nil {
		return nil, fmt.Errorf("ginoauthtest: userinfo: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ginoauthtest: userinfo: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFormBytes))
	if err != nil {
		return nil, fmt.Errorf("ginoauthtest: userinfo: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ginoauthtest: userinfo: answered %d", resp.StatusCode)
	}
	var ui userinfo
	if err := json.Unmarshal(body, &ui); err != nil {
		return nil, fmt.Errorf("ginoauthtest: userinfo: %w", err)
	}
	if ui.Sub == "" {
		return nil, errors.New("ginoauthtest: userinfo: no sub")
	}
	return &ginoauth.Profile{
		ID:            ui.Sub,
		Email:         ui.Email,
		EmailVerified: ui.EmailVerified,
		Name:          ui.Name,
		Username:      ui.PreferredUsername,
		AvatarURL:     ui.Picture,
		Raw:           json.RawMessage(body),
	}, nil
}
