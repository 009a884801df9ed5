package providers_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/atlassian"
	"github.com/ginoauth/ginoauth/providers/oidc"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
	"github.com/ginoauth/ginoauth/providers/salesforce"
	"github.com/ginoauth/ginoauth/providers/zoho"
)

func t1Salesforce(c salesforce.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(salesforce.Provider(c))(salesforce.New(c))
	}
}

func t1Atlassian(c atlassian.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(atlassian.Provider(c))(atlassian.New(c))
	}
}

func t1Zoho(c zoho.Config) func(ginoauth.Config) (*ginoauth.Blueprint, error) {
	return func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
		c.Config = t1Merge(cfg, c.Config)
		return t1Keep(zoho.Provider(c))(zoho.New(c))
	}
}

// t1Merge keeps the option's scopes on top of the test's base config.
func t1Merge(base, opt ginoauth.Config) ginoauth.Config {
	if opt.Scopes != nil {
		base.Scopes = opt.Scopes
	}
	return base
}

// TestTable1Provider checks what every provider must satisfy, from its
// Provider value alone.
func TestTable1Provider(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tc := range t1Cases(t) {
		p := tc.provider()
		if p.Name != tc.name {
			t.Errorf("%s: got name %q", tc.name, p.Name)
		}
		if seen[p.Name] {
			t.Errorf("%s: duplicate name", tc.name)
		}
		seen[p.Name] = true
		for what, u := range map[string]string{"AuthURL": p.Endpoint.AuthURL, "TokenURL": p.Endpoint.TokenURL,
			"RevocationURL": p.RevocationURL, "APIBaseURL": p.APIBaseURL} {
			if u == "" && (what == "RevocationURL" || what == "APIBaseURL") {
				continue
			}
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme != "https" || pu.Host == "" {
				t.Errorf("%s: %s %q is not an https URL", tc.name, what, u)
			}
		}
		if p.APIBaseURL != "" && !strings.HasSuffix(p.APIBaseURL, "/") {
			t.Errorf("%s: APIBaseURL %q does not end with /", tc.name, p.APIBaseURL)
		}
		if got, want := p.APIBaseURL, tc.apiBase; got != want {
			t.Errorf("%s: got APIBaseURL %q, want %q", tc.name, got, want)
		}
		sep := p.ScopeSeparator
		if sep == "" {
			sep = " "
		}
		if got := strings.Join(p.Scopes, sep); got != tc.scope {
			t.Errorf("%s: got default scopes %q, want %q", tc.name, got, tc.scope)
		}
		if p.DisablePKCE == tc.pkce {
			t.Errorf("%s: got DisablePKCE %v, want %v", tc.name, p.DisablePKCE, !tc.pkce)
		}
		if p.Endpoint.AuthStyle != tc.style {
			t.Errorf("%s: got AuthStyle %v, want %v", tc.name, p.Endpoint.AuthStyle, tc.style)
		}
		if p.RefreshDisabled == tc.refresh {
			t.Errorf("%s: got RefreshDisabled %v, want %v", tc.name, p.RefreshDisabled, !tc.refresh)
		}
		if p.Profile == nil {
			t.Errorf("%s: no Profile function", tc.name)
		}
		if openID := tc.id != nil; p.OpenID != openID || (p.VerifyIDToken != nil) != openID {
			t.Errorf("%s: got OpenID %v (verifier %v), want %v", tc.name, p.OpenID, p.VerifyIDToken != nil, openID)
		}
	}
}

// t1TokenRequest is what the fake provider's token endpoint received.
type t1TokenRequest struct {
	url         string
	method      string
	form        url.Values
	user, pass  string
	basic       bool
	contentType string
}

// t1Fake answers, for one provider case, every request the
// blueprint makes to the provider's real URLs (routed by
// oidctest.Transport): discovery, keys and the token endpoint.
type t1Fake struct {
	t        *testing.T
	tc       t1Case
	tokenURL string
	signer   *oidctest.Signer

	mu    sync.Mutex
	nonce string
	token []t1TokenRequest
}

func (f *t1Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	full := r.Header.Get("X-Forwarded-Proto") + "://" + r.Header.Get("X-Forwarded-Host") + r.URL.Path
	w.Header().Set("Content-Type", "application/json")
	switch {
	case f.tc.id != nil && f.tc.id.discovery != nil && strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		_ = json.NewEncoder(w).Encode(f.tc.id.discovery)
	case f.tc.id != nil && full == f.tc.id.jwks:
		_, _ = w.Write(f.signer.JWKS())
	case full == f.tokenURL:
		_ = r.ParseForm()
		u, p, ok := r.BasicAuth()
		f.token = append(f.token, t1TokenRequest{url: full, method: r.Method, form: r.PostForm, user: u, pass: p, basic: ok,
			contentType: r.Header.Get("Content-Type")})
		resp := map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1"}
		maps.Copy(resp, f.tc.tokenExtra)
		if f.tc.id != nil {
			raw, err := f.signer.Sign(f.tc.id.claims(f.nonce))
			if err != nil {
				f.t.Errorf("sign: %v", err)
			}
			resp["id_token"] = raw
		}
		_ = json.NewEncoder(w).Encode(resp)
	default:
		f.t.Errorf("%s: unexpected request %s %s", f.tc.name, r.Method, full)
		http.NotFound(w, r)
	}
}

func t1Engine(bp *ginoauth.Blueprint) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	return r
}

func t1Login(t *testing.T, r http.Handler, name string) (*url.URL, []*http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/login/"+name, nil))
	if w.Code != http.StatusFound {
		t.Fatalf("login: got status %d, want 302", w.Code)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc, w.Result().Cookies()
}

// TestTable1LoginAndTokenRequest drives a whole login for every provider with
// credentials from the environment: the authorization URL, the token
// request's shape, and (for OpenID presets) ID token verification against
// the preset's real issuer and key set URL.
func TestTable1LoginAndTokenRequest(t *testing.T) {
	k := t1Keys(t)
	for _, tc := range t1Cases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env+"_OAUTH_CLIENT_ID", envID)
			t.Setenv(tc.env+"_OAUTH_CLIENT_SECRET", envSecret)
			fake := &t1Fake{t: t, tc: tc, tokenURL: tc.tokenURL, signer: k.signer}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			var hookErr *ginoauth.Error
			var stored *ginoauth.Token
			bp, err := tc.newBP(ginoauth.Config{
				HTTPClient: oidctest.Client(srv.URL),
				Hooks: ginoauth.Hooks{
					Error:      func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { hookErr = err },
					Authorized: func(_ *gin.Context, _ *ginoauth.Blueprint, t *ginoauth.Token) error { stored = t; return nil },
				},
			})
			if err != nil {
				t.Fatalf("New with credentials from the environment: %v", err)
			}
			r := t1Engine(bp)
			loc, cookies := t1Login(t, r, tc.name)

			// The authorization URL.
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != tc.authURL {
				t.Errorf("got authorization endpoint %q, want %q", got, tc.authURL)
			}
			q := loc.Query()
			want := map[string]string{
				"client_id":     envID,
				"response_type": "code",
				"redirect_uri":  "http://example.com/login/" + tc.name + "/authorized",
			}
			if tc.scope != "" {
				want["scope"] = tc.scope
			}
			maps.Copy(want, tc.params)
			for k, v := range want {
				if got := q.Get(k); got != v {
					t.Errorf("parameter %s: got %q, want %q", k, got, v)
				}
			}
			if tc.scope == "" && q.Has("scope") {
				t.Errorf("got scope %q, want none", q.Get("scope"))
			}
			if got := q.Get("code_challenge_method") == "S256" && q.Get("code_challenge") != ""; got != tc.pkce {
				t.Errorf("got PKCE challenge %v, want %v", got, tc.pkce)
			}
			if got := q.Get("nonce") != ""; got != (tc.id != nil) {
				t.Errorf("got nonce %v, want %v", got, tc.id != nil)
			}
			if len(q.Get("state")) < 20 {
				t.Errorf("got state %q, want a long random value", q.Get("state"))
			}

			// The callback and the token request.
			fake.mu.Lock()
			fake.nonce = q.Get("nonce")
			fake.mu.Unlock()
			req := httptest.NewRequest(http.MethodGet, "/login/"+tc.name+"/authorized?code=code-1&state="+url.QueryEscape(q.Get("state")), nil)
			for _, c := range cookies {
				req.AddCookie(c)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if hookErr != nil {
				t.Fatalf("callback failed: %v", hookErr)
			}
			if w.Code != http.StatusFound || w.Header().Get("Location") != "/" {
				t.Fatalf("callback: got %d %q, want 302 /", w.Code, w.Header().Get("Location"))
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(fake.token) != 1 {
				t.Fatalf("got %d token requests, want 1", len(fake.token))
			}
			tr := fake.token[0]
			if tr.method != http.MethodPost || !strings.HasPrefix(tr.contentType, "application/x-www-form-urlencoded") {
				t.Errorf("got %s %q, want a form POST", tr.method, tr.contentType)
			}
			body := map[string]string{
				"grant_type":   "authorization_code",
				"code":         "code-1",
				"redirect_uri": want["redirect_uri"],
			}
			if tc.pkce {
				body["code_verifier"] = "?"
			}
			switch tc.style {
			case oauth2.AuthStyleInHeader:
				if !tr.basic || tr.user != envID || tr.pass != envSecret {
					t.Errorf("got Basic auth %v (%q), want the environment's credentials", tr.basic, tr.user)
				}
			case oauth2.AuthStyleInParams:
				if tr.basic {
					t.Errorf("got HTTP Basic auth, want credentials in the body")
				}
				body["client_id"] = envID
				body["client_secret"] = envSecret
				if tc.name == "apple" {
					body["client_secret"] = "?"
					t1AppleSecret(t, tr.form.Get("client_secret"), &k.apple.PublicKey)
				}
			}
			if got, want := slices.Sorted(maps.Keys(tr.form)), slices.Sorted(maps.Keys(body)); !slices.Equal(got, want) {
				t.Errorf("got token request fields %q, want %q", got, want)
			}
			for k, v := range body {
				if v != "?" && tr.form.Get(k) != v {
					t.Errorf("token request %s: got %q, want %q", k, tr.form.Get(k), v)
				}
			}
			if tc.pkce && len(tr.form.Get("code_verifier")) < 43 {
				t.Errorf("got code_verifier of length %d, want at least 43", len(tr.form.Get("code_verifier")))
			}
			if stored == nil || stored.RefreshToken != "rt-1" {
				t.Fatalf("got token %v, want the exchanged token", stored)
			}
			for k, v := range tc.tokenExtra {
				if stored.Extra[k] != v {
					t.Errorf("token extra %s: got %v, want %v", k, stored.Extra[k], v)
				}
			}
			if tc.id != nil {
				claims, ok := oidc.IDTokenClaims(stored)
				if !ok || claims["sub"] != "user-1" {
					t.Errorf("got claims %v, want the verified ID token's", claims)
				}
			}
		})
	}
}
