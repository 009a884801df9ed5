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
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
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

// interopApp mounts bp on a Gin engine with cookie sessions and the test
// routes:
//
//	/token   bp.Token and bp.Authorized, as JSON
//	/api     GET <api>/<apiPath> through bp.Client, relayed
//	/profile bp.Profile, as JSON
//	/expire  the stored token's expiry moved into the past
//	/logout  bp.Logout
//
// A failed login answers with JSON {kind, code} from the Error hook.
func interopApp(t *testing.T, ts *httptest.Server, bp *ginoauth.Blueprint, apiPath string) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("interop", cookie.NewStore(
		[]byte("interop-auth-key-interop-auth-k!"), []byte("interop-enc-key!"))))
	bp.Register(r.Group("/login"))
	r.GET("/done", func(c *gin.Context) { c.String(http.StatusOK, "logged in") })
	r.GET("/required", bp.Required(), func(c *gin.Context) { c.String(http.StatusOK, "in") })
	r.GET("/token", func(c *gin.Context) {
		v := interopTokenView{Authorized: bp.Authorized(c)}
		tok, err := bp.Token(c)
		if err != nil {
			v.Err, v.NoToken = err.Error(), errors.Is(err, ginoauth.ErrNoToken)
		} else {
			v.Access, v.Refresh, v.Type, v.Expiry = tok.AccessToken, tok.RefreshToken, tok.TokenType, tok.Expiry
			v.Scopes, v.IDToken, v.Extra = tok.Scopes, tok.IDToken, tok.Extra
		}
		c.JSON(http.StatusOK, v)
	})
	r.GET("/api", func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.JSON(http.StatusUnauthorized, interopAPIResult{NoToken: errors.Is(err, ginoauth.ErrNoToken)})
			return
		}
		resp, err := client.Get(apiPath)
		if err != nil {
			res := interopAPIResult{Reauth: errors.Is(err, ginoauth.KindReauthRequired)}
			if ge, ok := errors.AsType[*ginoauth.Error](err); ok {
				res.Kind, res.Code = string(ge.Kind), ge.Code
			}
			c.JSON(http.StatusUnauthorized, res)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		c.Data(resp.StatusCode, resp.Header.Get("Content-Type"), body)
	})
	r.GET("/profile", func(c *gin.Context) {
		prof, err := bp.Profile(c)
		if err != nil {
			c.JSON(http.StatusBadGateway, gin.H{"error": err.Error()})
			return
		}
		c.JSON(http.StatusOK, prof)
	})
	r.GET("/expire", func(c *gin.Context) {
		tok, err := bp.Token(c)
		if err != nil {
			c.String(http.StatusNotFound, "no token")
			return
		}
		tok = tok.Clone()
		tok.Expiry = time.Now().Add(-time.Minute)
		if err := bp.SetToken(c, tok); err != nil {
			c.String(http.StatusInternalServerError, "set token failed")
			return
		}
		c.String(http.StatusOK, "expired")
	})
	r.GET("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			c.String(http.StatusBadGateway, "logout: %v", err)
			return
		}
		c.String(http.StatusOK, "logged out")
	})
	ts.Config.Handler = r
	ts.Start()
	t.Cleanup(ts.Close)
}

// interopErrorHook answers a failed login with its kind and RFC 6749 code.
func interopErrorHook(c *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) {
	c.JSON(err.Status(), gin.H{"kind": string(err.Kind), "code": err.Code})
}

// interopBrowser is a cookie-keeping client that does not follow
// redirects, so every hop can be checked.
type interopBrowser struct {
	t *testing.T
	c *http.Client
}

func newInteropBrowser(t *testing.T) *interopBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &interopBrowser{t: t, c: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *interopBrowser) get(u string) (*http.Response, []byte) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", interopPath(u), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("GET %s: read body: %v", interopPath(u), err)
	}
	return resp, body
}

// redirect GETs u, requires a 302 and returns its Location.
func (b *interopBrowser) redirect(u string) *url.URL {
	b.t.Helper()
	resp, body := b.get(u)
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("GET %s: got status %d (%s), want 302", interopPath(u), resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil {
		b.t.Fatalf("GET %s: Location: %v", interopPath(u), err)
	}
	return loc
}

func (b *interopBrowser) getJSON(u string, wantStatus int, v any) {
	b.t.Helper()
	resp, body := b.get(u)
	if resp.StatusCode != wantStatus {
		b.t.Fatalf("GET %s: got status %d (%s), want %d", interopPath(u), resp.StatusCode, body, wantStatus)
	}
	if err := json.Unmarshal(body, v); err != nil {
		b.t.Fatalf("GET %s: decode %q: %v", interopPath(u), body, err)
	}
}

func (b *interopBrowser) token(appURL string) interopTokenView {
	b.t.Helper()
	var v interopTokenView
	b.getJSON(appURL+"/token", http.StatusOK, &v)
	return v
}

// interopPath drops the query, which may carry a code or state.
func interopPath(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i] + "?..."
	}
	return u
}

// interopO2Setup starts a go-oauth2 server and an app with a blueprint for
// it, and returns both.
func interopO2Setup(t *testing.T, o interopO2Options) (*interopO2, *httptest.Server, *ginoauth.Blueprint) {
	t.Helper()
	appTS := httptest.NewUnstartedServer(nil)
	appURL := "http://" + appTS.Listener.Addr().String()
	p := newInteropO2(t, appURL, o)
	bp, err := ginoauth.New(p.provider(), ginoauth.Config{
		ClientID:     interopClientID,
		ClientSecret: interopClientSecret,
		Hooks:        ginoauth.Hooks{Error: interopErrorHook},
	})
	if err != nil {
		t.Fatalf("ginoauth.New: %v", err)
	}
	interopApp(t, appTS, bp, "me")
	return p, appTS, bp
}

// interopO2Login runs login → authorize → callback and returns the
// callback's redirect target.
func interopO2Login(t *testing.T, b *interopBrowser, appURL string) *url.URL {
	t.Helper()
	authURL := b.redirect(appURL + "/login/o2?next=/done")
	cb := b.redirect(authURL.String())
	return b.redirect(cb.String())
}

func TestInteropOAuth2FullFlow(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{})
	appURL := appTS.URL
	b := newInteropBrowser(t)

	// Login route: a redirect to the server's authorize endpoint.
	resp, body := b.get(appURL + "/login/o2?next=/done")
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: got status %d (%s), want 302", resp.StatusCode, body)
	}
	authURL, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := authURL.Scheme+"://"+authURL.Host+authURL.Path, p.ts.URL+"/authorize"; got != want {
		t.Errorf("authorize endpoint: got %v, want %v", got, want)
	}
	q := authURL.Query()
	for name, want := range map[string]string{
		"response_type":         "code",
		"client_id":             interopClientID,
		"redirect_uri":          appURL + "/login/o2/authorized",
		"scope":                 "read write",
		"code_challenge_method": "S256",
	} {
		if got := q.Get(name); got != want {
			t.Errorf("authorize %s: got %q, want %q", name, got, want)
		}
	}
	state := q.Get("state")
	if len(state) < 22 {
		t.Errorf("state: got %d characters, want at least 22 (128 bits)", len(state))
	}
	if got := len(q.Get("code_challenge")); got != 43 {
		t.Errorf("code_challenge: got %d characters, want 43 (base64url SHA-256)", got)
	}
	if q.Has("client_secret") || q.Has("code_verifier") {
		t.Errorf("authorize URL carries client_secret or code_verifier, want neither")
	}

	// The server approves and redirects back with a code and our state.
	cb := b.redirect(authURL.String())
	if got, want := cb.Scheme+"://"+cb.Host+cb.Path, appURL+"/login/o2/authorized"; got != want {
		t.Errorf("callback: got %v, want %v", got, want)
	}
	if got := cb.Query().Get("state"); got != state {
		t.Errorf("callback state: got %q, want the login's state", got)
	}
	if cb.Query().Get("code") == "" {
		t.Fatalf("callback has no code (error=%q)", cb.Query().Get("error"))
	}

	// The callback exchanges the code and sends the browser on to next.
	done := b.redirect(cb.String())
	if got, want := done.Path, "/done"; got != want {
		t.Errorf("after login: got %v, want %v", got, want)
	}
	reqs := p.tokenRequests()
	if len(reqs) != 1 {
		t.Fatalf("token requests: got %d, want 1", len(reqs))
	}
	if r := reqs[0]; r.GrantType != "authorization_code" || !r.HasVerifier || !r.BasicAuth || r.FormSecret {
		t.Errorf("code exchange: got %+v, want authorization_code with code_verifier and HTTP Basic client auth only", r)
	}

	tok := b.token(appURL)
	if !tok.Authorized {
		t.Errorf("Authorized after login: got false, want true")
	}
	if tok.Access == "" || tok.Refresh == "" {
		t.Fatalf("stored token: got access %t refresh %t, want both", tok.Access != "", tok.Refresh != "")
	}
	if got, want := tok.Type, "Bearer"; got != want {
		t.Errorf("token type: got %v, want %v", got, want)
	}
	if got, want := tok.Scopes, []string{"read", "write"}; !slices.Equal(got, want) {
		t.Errorf("scopes: got %v, want %v", got, want)
	}
	if d := time.Until(tok.Expiry); d < 119*time.Minute || d > 2*time.Hour {
		t.Errorf("expiry: got %v from now, want about 2h (expires_in 7200)", d)
	}
	if got, want := tok.Extra["account_tier"], "gold"; got != want {
		t.Errorf("extra account_tier: got %v, want %v", got, want)
	}

	// An API call through bp.Client reaches the protected resource.
	var me map[string]string
	b.getJSON(appURL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID || me["client_id"] != interopClientID || me["scope"] != "read write" {
		t.Errorf("resource: got %v, want user %s, client %s, scope %q", me, interopUserID, interopClientID, "read write")
	}
	if got := p.grants(); len(got) != 1 {
		t.Errorf("grants after a call with a fresh token: got %v, want no refresh", got)
	}

	// Expire the stored token: the next call refreshes transparently.
	if resp, body := b.get(appURL + "/expire"); resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: got status %d (%s)", resp.StatusCode, body)
	}
	b.getJSON(appURL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID {
		t.Errorf("resource after refresh: got %v, want user %s", me, interopUserID)
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v", got, want)
	}
	if r := p.tokenRequests()[1]; !r.BasicAuth || r.FormSecret {
		t.Errorf("refresh request: got %+v, want HTTP Basic client auth only", r)
	}
	fresh := b.token(appURL)
	if fresh.Access == "" || fresh.Access == tok.Access {
		t.Errorf("access token after refresh: got the old one or none, want a new one")
	}
	if fresh.Refresh == "" || fresh.Refresh == tok.Refresh {
		t.Errorf("refresh token after refresh: got the old one or none, want the rotated one")
	}
	if d := time.Until(fresh.Expiry); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiry after refresh: got %v from now, want about 1h", d)
	}
	if got, want := fresh.Extra["account_tier"], "gold"; got != want {
		t.Errorf("extra after refresh: got %v, want %v", got, want)
	}
	if !slices.Equal(fresh.Scopes, []string{"read", "write"}) {
		t.Errorf("scopes after refresh: got %v, want [read write]", fresh.Scopes)
	}
	// The server retired the old access token and honours the new one.
	if code, body := p.resource(t, tok.Access); code != http.StatusUnauthorized {
		t.Errorf("old access token at the resource: got %d %v, want 401", code, body)
	}
	if code, body := p.resource(t, fresh.Access); code != http.StatusOK {
		t.Errorf("new access token at the resource: got %d %v, want 200", code, body)
	}
	// The next call uses the stored new token without refreshing again.
	b.getJSON(appURL+"/api", http.StatusOK, &me)
	if got := len(p.grants()); got != 2 {
		t.Errorf("token requests after a call with the refreshed token: got %d, want 2", got)
	}

	// Logout: the token is gone and the user is no longer authorized.
	if resp, body := b.get(appURL + "/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: got status %d (%s)", resp.StatusCode, body)
	}
	after := b.token(appURL)
	if after.Authorized || !after.NoToken {
		t.Errorf("after logout: got authorized %t, no token %t, want false, true", after.Authorized, after.NoToken)
	}
	var res interopAPIResult
	b.getJSON(appURL+"/api", http.StatusUnauthorized, &res)
	if !res.NoToken {
		t.Errorf("API call after logout: got %+v, want ErrNoToken", res)
	}
}

// TestInteropOAuth2PKCEVerifiedByServer shows that the server really checks
// the PKCE verifier ginoauth keeps in the session: a direct exchange of the
// same code without it, or with another verifier, is refused.
func TestInteropOAuth2PKCEVerifiedByServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		verifier   string // "" sends none
		wantStatus int
		wantError  string
		// what ginoauth's own exchange of the same code does afterwards
		wantCallbackStatus int
		wantCallbackKind   string
	}{
		{
			name:       "no verifier",
			wantStatus: http.StatusBadRequest, wantError: "invalid_request",
			// The request was refused before the code was redeemed, so
			// ginoauth's exchange, with the right verifier, succeeds.
			wantCallbackStatus: http.StatusFound,
		},
		{
			name:       "wrong verifier",
			verifier:   oauth2.GenerateVerifier(),
			wantStatus: http.StatusUnauthorized, wantError: "invalid_grant",
			// The server burns a code on a failed redemption.
			wantCallbackStatus: http.StatusBadGateway, wantCallbackKind: string(ginoauth.KindExchangeFailed),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, appTS, _ := interopO2Setup(t, interopO2Options{})
			b := newInteropBrowser(t)
			authURL := b.redirect(appTS.URL + "/login/o2")
			cb := b.redirect(authURL.String())
			code := cb.Query().Get("code")
			if code == "" {
				t.Fatal("callback has no code")
			}

			form := url.Values{
				"grant_type":   {"authorization_code"},
				"code":         {code},
				"redirect_uri": {appTS.URL + "/login/o2/authorized"},
			}
			if tt.verifier != "" {
				form.Set("code_verifier", tt.verifier)
			}
			req, err := http.NewRequest(http.MethodPost, p.ts.URL+"/token", strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(interopClientID, interopClientSecret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var tr map[string]any
			err = json.NewDecoder(resp.Body).Decode(&tr)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || tr["error"] != tt.wantError {
				t.Errorf("direct exchange: got %d %v, want %d %s", resp.StatusCode, tr["error"], tt.wantStatus, tt.wantError)
			}
			if _, ok := tr["access_token"]; ok {
				t.Errorf("direct exchange: got an access token, want none")
			}

			cbResp, cbBody := b.get(cb.String())
			if cbResp.StatusCode != tt.wantCallbackStatus {
				t.Fatalf("callback: got status %d (%s), want %d", cbResp.StatusCode, cbBody, tt.wantCallbackStatus)
			}
			tok := b.token(appTS.URL)
			if tt.wantCallbackKind == "" {
				if !tok.Authorized || tok.Access == "" {
					t.Errorf("after callback: got authorized %t, want a stored token", tok.Authorized)
				}
				return
			}
			var got struct{ Kind, Code string }
			if err := json.Unmarshal(cbBody, &got); err != nil {
				t.Fatalf("callback error body %q: %v", cbBody, err)
			}
			if got.Kind != tt.wantCallbackKind || got.Code != "invalid_grant" {
				t.Errorf("callback error: got %s/%s, want %s/invalid_grant", got.Kind, got.Code, tt.wantCallbackKind)
			}
			if tok.Authorized || !tok.NoToken {
				t.Errorf("after failed callback: got authorized %t, want no token", tok.Authorized)
			}
		})
	}
}

// TestInteropOAuth2RefreshInvalidGrant: the server no longer knows the
// refresh token, so its invalid_grant must reach the app as
// KindReauthRequired.
func TestInteropOAuth2RefreshInvalidGrant(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{})
	b := newInteropBrowser(t)
	if got := interopO2Login(t, b, appTS.URL); got.Path != "/done" {
		t.Fatalf("login: ended at %v, want /done", got.Path)
	}
	tok := b.token(appTS.URL)
	if err := p.mgr.RemoveRefreshToken(context.Background(), tok.Refresh); err != nil {
		t.Fatalf("server-side revocation: %v", err)
	}
	if resp, body := b.get(appTS.URL + "/expire"); resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: got status %d (%s)", resp.StatusCode, body)
	}

	var res interopAPIResult
	b.getJSON(appTS.URL+"/api", http.StatusUnauthorized, &res)
	want := interopAPIResult{Reauth: true, Kind: string(ginoauth.KindReauthRequired), Code: "invalid_grant"}
	if res != want {
		t.Errorf("API call with a dead refresh token: got %+v, want %+v", res, want)
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v", got, want)
	}
}

// TestInteropOAuth2ServerSideExpiry lets the server's short token lifetime
// run out for real, then checks that the app's next call refreshes and
// succeeds.
func TestInteropOAuth2ServerSideExpiry(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{codeAccessExp: time.Second})
	b := newInteropBrowser(t)
	interopO2Login(t, b, appTS.URL)
	tok := b.token(appTS.URL)
	if d := time.Until(tok.Expiry); d > time.Second {
		t.Errorf("expiry: got %v from now, want at most 1s (expires_in 1)", d)
	}

	// Poll the resource directly until the server rejects the token.
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := p.resource(t, tok.Access)
		if code == http.StatusUnauthorized {
			if body["error"] != "expired access token" {
				t.Errorf("resource: got %v, want the expired-token error", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resource still accepts the token after 5s (status %d)", code)
		}
		<-tick.C
	}

	var me map[string]string
	b.getJSON(appTS.URL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID {
		t.Errorf("resource after refresh: got %v, want user %s", me, interopUserID)
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v", got, want)
	}
	if fresh := b.token(appTS.URL); fresh.Access == tok.Access || time.Until(fresh.Expiry) < 59*time.Minute {
		t.Errorf("stored token after refresh: want a new access token valid for about 1h")
	}
}

// TestInteropOAuth2ConcurrentRefresh fires several API calls at once with
// one expired token. The server rotates refresh tokens, so a second refresh
// with the same refresh token would fail: every call must succeed on a
// single refresh.
func TestInteropOAuth2ConcurrentRefresh(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopO2Setup(t, interopO2Options{})
	b := newInteropBrowser(t)
	interopO2Login(t, b, appTS.URL)
	if resp, body := b.get(appTS.URL + "/expire"); resp.StatusCode != http.StatusOK {
		t.Fatalf("expire: got status %d (%s)", resp.StatusCode, body)
	}

	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := b.c.Get(appTS.URL + "/api")
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("call %d: got status %d, want 200", i, s)
		}
	}
	if got, want := p.grants(), []string{"authorization_code", "refresh_token"}; !slices.Equal(got, want) {
		t.Errorf("grants: got %v, want %v (one shared refresh)", got, want)
	}
	var me map[string]string
	b.getJSON(appTS.URL+"/api", http.StatusOK, &me)
	if me["user_id"] != interopUserID {
		t.Errorf("resource after the burst: got %v, want user %s", me, interopUserID)
	}
}
