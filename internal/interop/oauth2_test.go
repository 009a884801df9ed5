package interop_test

// Interoperability tests against github.com/go-oauth2/oauth2/v4, an
// independent OAuth 2 authorization server, run on loopback. Its server,
// manage, models and generates packages do the protocol work: PKCE checks,
// code redemption, refresh-token rotation and bearer-token validation. Only
// its two stores are replaced by the small in-memory ones below, because the
// module's own store package needs a database module this module does not
// otherwise use.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	o2 "github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/generates"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	o2server "github.com/go-oauth2/oauth2/v4/server"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
)

const (
	interopClientID     = "interop-client"
	interopClientSecret = "interop-secret"
	interopUserID       = "user-1"
)

// interopTokenStore is an in-memory o2.TokenStore. It stores copies, so the
// manager's in-place edits during a refresh never alias a stored record.
type interopTokenStore struct {
	mu        sync.Mutex
	codes     map[string]models.Token
	byAccess  map[string]models.Token
	byRefresh map[string]models.Token
}

func newInteropTokenStore() *interopTokenStore {
	return &interopTokenStore{
		codes:     map[string]models.Token{},
		byAccess:  map[string]models.Token{},
		byRefresh: map[string]models.Token{},
	}
}

func (s *interopTokenStore) Create(_ context.Context, info o2.TokenInfo) error {
	tm, ok := info.(*models.Token)
	if !ok {
		return fmt.Errorf("interop store: unexpected token info %T", info)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if code := tm.GetCode(); code != "" {
		s.codes[code] = *tm
		return nil
	}
	s.byAccess[tm.GetAccess()] = *tm
	if r := tm.GetRefresh(); r != "" {
		s.byRefresh[r] = *tm
	}
	return nil
}

func (s *interopTokenStore) get(m map[string]models.Token, k string) (o2.TokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tm, ok := m[k]
	if !ok {
		return nil, nil
	}
	return &tm, nil
}

func (s *interopTokenStore) remove(m map[string]models.Token, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(m, k)
	return nil
}

func (s *interopTokenStore) RemoveByCode(_ context.Context, code string) error {
	return s.remove(s.codes, code)
}

func (s *interopTokenStore) RemoveByAccess(_ context.Context, access string) error {
	return s.remove(s.byAccess, access)
}

func (s *interopTokenStore) RemoveByRefresh(_ context.Context, refresh string) error {
	return s.remove(s.byRefresh, refresh)
}

func (s *interopTokenStore) GetByCode(_ context.Context, code string) (o2.TokenInfo, error) {
	return s.get(s.codes, code)
}

func (s *interopTokenStore) GetByAccess(_ context.Context, access string) (o2.TokenInfo, error) {
	return s.get(s.byAccess, access)
}

func (s *interopTokenStore) GetByRefresh(_ context.Context, refresh string) (o2.TokenInfo, error) {
	return s.get(s.byRefresh, refresh)
}

// interopClientStore is a read-only o2.ClientStore.
type interopClientStore map[string]*models.Client

func (s interopClientStore) GetByID(_ context.Context, id string) (o2.ClientInfo, error) {
	if c, ok := s[id]; ok {
		return c, nil
	}
	return nil, errors.New("interop store: unknown client")
}

// interopTokenRequest is what the token endpoint saw in one request.
type interopTokenRequest struct {
	GrantType   string
	HasVerifier bool
	BasicAuth   bool
	FormSecret  bool
}

// interopO2 is a go-oauth2 authorization server on loopback, with an
// authorize endpoint that approves interopUserID at once, a token endpoint
// and a protected resource at /api/me.
type interopO2 struct {
	ts    *httptest.Server
	srv   *o2server.Server
	mgr   *manage.Manager
	store *interopTokenStore

	mu       sync.Mutex
	requests []interopTokenRequest
}

type interopO2Options struct {
	codeAccessExp time.Duration // lifetime of tokens from the code grant
}

func newInteropO2(t *testing.T, appURL string, o interopO2Options) *interopO2 {
	t.Helper()
	if o.codeAccessExp == 0 {
		o.codeAccessExp = 2 * time.Hour
	}
	p := &interopO2{store: newInteropTokenStore()}
	p.mgr = manage.NewDefaultManager()
	p.mgr.SetAuthorizeCodeTokenCfg(&manage.Config{
		AccessTokenExp: o.codeAccessExp, RefreshTokenExp: 24 * time.Hour, IsGenerateRefresh: true,
	})
	// Refreshed tokens live an hour; refresh tokens rotate and the
	// replaced access and refresh tokens stop working at once.
	p.mgr.SetRefreshTokenCfg(&manage.RefreshingConfig{
		AccessTokenExp: time.Hour, RefreshTokenExp: 24 * time.Hour, IsGenerateRefresh: true,
		IsRemoveAccess: true, IsRemoveRefreshing: true,
	})
	p.mgr.MapTokenStorage(p.store)
	p.mgr.MapAccessGenerate(generates.NewAccessGenerate())
	p.mgr.MapClientStorage(interopClientStore{
		interopClientID: {ID: interopClientID, Secret: interopClientSecret, Domain: appURL},
	})

	p.srv = o2server.NewServer(o2server.NewConfig(), p.mgr)
	p.srv.Config.ForcePKCE = true
	p.srv.Config.AllowedCodeChallengeMethods = []o2.CodeChallengeMethod{o2.CodeChallengeS256}
	p.srv.Config.AllowedGrantTypes = []o2.GrantType{o2.AuthorizationCode, o2.Refreshing}
	p.srv.SetUserAuthorizationHandler(func(http.ResponseWriter, *http.Request) (string, error) {
		return interopUserID, nil
	})
	p.srv.SetExtensionFieldsHandler(func(o2.TokenInfo) map[string]any {
		return map[string]any{"account_tier": "gold"}
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		if err := p.srv.HandleAuthorizeRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		_, _, basic := r.BasicAuth()
		p.mu.Lock()
		p.requests = append(p.requests, interopTokenRequest{
			GrantType:   r.PostForm.Get("grant_type"),
			HasVerifier: r.PostForm.Get("code_verifier") != "",
			BasicAuth:   basic,
			FormSecret:  r.PostForm.Has("client_secret"),
		})
		p.mu.Unlock()
		_ = p.srv.HandleTokenRequest(w, r)
	})
	mux.HandleFunc("/api/me", func(w http.ResponseWriter, r *http.Request) {
		ti, err := p.srv.ValidationBearerToken(r)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"user_id": ti.GetUserID(), "client_id": ti.GetClientID(), "scope": ti.GetScope(),
		})
	})
	p.ts = httptest.NewServer(mux)
	t.Cleanup(p.ts.Close)
	return p
}

// grants returns the grant types of the token requests seen so far.
func (p *interopO2) grants() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.requests))
	for i, r := range p.requests {
		out[i] = r.GrantType
	}
	return out
}

func (p *interopO2) tokenRequests() []interopTokenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

func (p *interopO2) provider() ginoauth.Provider {
	return ginoauth.Provider{
		Name: "o2",
		Endpoint: oauth2.Endpoint{
			AuthURL:  p.ts.URL + "/authorize",
			TokenURL: p.ts.URL + "/token",
		},
		APIBaseURL: p.ts.URL + "/api",
		Scopes:     []string{"read", "write"},
	}
}

// resource calls the protected resource directly with accessToken.
func (p *interopO2) resource(t *testing.T, accessToken string) (int, map[string]string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.ts.URL+"/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("resource request: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("resource response: %v", err)
	}
	return resp.StatusCode, body
}

// interopTokenView is what the app's /token route reports.
type interopTokenView struct {
	Authorized bool           `json:"authorized"`
	Err        string         `json:"error"`
	NoToken    bool           `json:"no_token"`
	Access     string         `json:"access_token"`
	Refresh    string         `json:"refresh_token"`
	Type       string         `json:"token_type"`
	Expiry     time.Time      `json:"expiry"`
	Scopes     []string       `json:"scopes"`
	IDToken    string         `json:"id_token"`
	Extra      map[string]any `json:"extra"`
}

// interopAPIResult is what the app's /api route reports when the API call
// itself failed.
type interopAPIResult struct {
	Reauth  bool   `json:"reauth"`
	NoToken bool   `json:"no_token"`
	Kind    string `json:"kind"`
	Code    string `json:"code"`
}
