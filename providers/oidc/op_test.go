package oidc_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

// keys are generated once per test binary: RSA generation is slow.
var keys = sync.OnceValues(func() ([2]*oidctest.Signer, error) {
	good, err := oidctest.NewSigner("k1")
	if err != nil {
		return [2]*oidctest.Signer{}, err
	}
	// Same key ID, different key: a forged signature.
	evil, err := oidctest.NewSigner("k1")
	return [2]*oidctest.Signer{good, evil}, err
})

func signers(t *testing.T) (good, evil *oidctest.Signer) {
	t.Helper()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	return k[0], k[1]
}

const (
	clientID     = "client-1"
	clientSecret = "secret-1"
)

// testOP is a small OpenID provider: discovery, keys, token, userinfo. The
// token endpoint issues an ID token for the nonce the test hands it.
type testOP struct {
	t      *testing.T
	srv    *httptest.Server
	signer *oidctest.Signer

	mu          sync.Mutex
	nonce       string
	mutate      func(claims map[string]any)
	mutateRef   func(claims map[string]any) // for refresh grants
	signWith    *oidctest.Signer
	omitIDToken bool
	issParam    bool
	authMethods []string
	userinfo    map[string]any
	hits        map[string]int
	tokenForm   url.Values
	tokenBasic  bool

	// Scripted behaviours of the conformance cases.
	doc        map[string]any                               // discovery fields added or replaced (nil deletes)
	jwks       []byte                                       // served at /jwks instead of signer's set
	signID     func(claims map[string]any) string           // signs ID tokens instead of signer
	authCheck  func(r *http.Request) string                 // client authentication at /token and /revoke: "" accepts
	userinfoFn func(w http.ResponseWriter, r *http.Request) // answers /userinfo instead
	endSession url.Values                                   // the last end-session request
}

func newOP(t *testing.T) *testOP {
	t.Helper()
	good, _ := signers(t)
	op := &testOP{t: t, signer: good, hits: map[string]int{}}
	op.srv = httptest.NewServer(http.HandlerFunc(op.serve))
	t.Cleanup(op.srv.Close)
	return op
}

func (op *testOP) issuer() string { return op.srv.URL }

func (op *testOP) set(f func(op *testOP)) {
	op.mu.Lock()
	defer op.mu.Unlock()
	f(op)
}

func (op *testOP) count(path string) int {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.hits[path]
}

func (op *testOP) serve(w http.ResponseWriter, r *http.Request) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.hits[r.URL.Path]++
	w.Header().Set("Content-Type", "application/json")
	switch path := r.URL.Path; {
	case strings.HasSuffix(path, "/.well-known/openid-configuration"):
		doc := map[string]any{
			"issuer":                                op.issuer(),
			"authorization_endpoint":                op.issuer() + "/authorize",
			"token_endpoint":                        op.issuer() + "/token",
			"userinfo_endpoint":                     op.issuer() + "/userinfo",
			"jwks_uri":                              op.issuer() + "/jwks",
			"revocation_endpoint":                   op.issuer() + "/revoke",
			"id_token_signing_alg_values_supported": []string{"RS256", "HS256"},
			"authorization_response_iss_parameter_supported": op.issParam,
			"end_session_endpoint":                           op.issuer() + "/logout",
			"pushed_authorization_request_endpoint":          op.issuer() + "/par",
			"code_challenge_methods_supported":               []string{"S256"},
			"backchannel_logout_supported":                   true,
		}
		if op.authMethods != nil {
			doc["token_endpoint_auth_methods_supported"] = op.authMethods
		}
		for k, v := range op.doc {
			if v == nil {
				delete(doc, k)
			} else {
				doc[k] = v
			}
		}
		_ = json.NewEncoder(w).Encode(doc)
	case path == "/jwks":
		if op.jwks != nil {
			_, _ = w.Write(op.jwks)
			return
		}
		_, _ = w.Write(op.signer.JWKS())
	case path == "/revoke" || path == "/token":
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if op.authCheck != nil {
			if msg := op.authCheck(r); msg != "" {
				w.WriteHeader(http.StatusUnauthorized)
				_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": msg})
				return
			}
		}
		if path == "/revoke" {
			return
		}
		op.tokenForm = r.PostForm
		_, _, op.tokenBasic = r.BasicAuth()
		refresh := r.PostForm.Get("grant_type") == "refresh_token"
		resp := map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1"}
		if refresh {
			resp["access_token"] = "at-2"
		}
		if !op.omitIDToken {
			claims := map[string]any{
				"iss":   op.issuer(),
				"sub":   "user-1",
				"aud":   clientID,
				"exp":   time.Now().Add(time.Hour).Unix(),
				"iat":   time.Now().Unix(),
				"nonce": op.nonce,
				"email": "ada@example.com",
			}
			if refresh {
				// OpenID Connect Core 12.2: no nonce in a refreshed ID token.
				delete(claims, "nonce")
				claims["auth_time"] = time.Now().Unix()
				if op.mutateRef != nil {
					op.mutateRef(claims)
				}
			} else if op.mutate != nil {
				op.mutate(claims)
			}
			if op.signID != nil {
				resp["id_token"] = op.signID(claims)
			} else {
				s := op.signer
				if op.signWith != nil {
					s = op.signWith
				}
				raw, err := s.Sign(claims)
				if err != nil {
					op.t.Errorf("sign: %v", err)
				}
				resp["id_token"] = raw
			}
		}
		_ = json.NewEncoder(w).Encode(resp)
	case path == "/userinfo":
		if op.userinfoFn != nil {
			op.userinfoFn(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer at-1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(op.userinfo)
	case path == "/logout":
		// RP-Initiated Logout 1.0: GET or POST.
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		op.endSession = r.Form
		back := r.Form.Get("post_logout_redirect_uri")
		if back == "" {
			return
		}
		http.Redirect(w, r, back+"?state="+url.QueryEscape(r.Form.Get("state")), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// engine mounts bp under /login with a cookie session.
func engine(bp *ginoauth.Blueprint) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	return r
}

// login GETs the login route and returns the provider URL and the cookies.
func login(t *testing.T, r http.Handler, path string) (*url.URL, []*http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	if w.Code != http.StatusFound {
		t.Fatalf("login: got status %d, want 302", w.Code)
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatalf("login: bad Location: %v", err)
	}
	return loc, w.Result().Cookies()
}

// callback GETs the authorized route with query and cookies.
func callback(r http.Handler, path string, query url.Values, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path+"?"+query.Encode(), nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// run drives login and callback for the blueprint named name, handing the
// login's nonce to op, and returns the callback response and the error the
// Error hook saw (nil on success) and the token the Authorized hook saw.
type result struct {
	w     *httptest.ResponseRecorder
	err   *ginoauth.Error
	token *ginoauth.Token
	auth  *url.URL

	// With readProfile set, the Authorized hook reads the profile.
	readProfile bool
	profile     *ginoauth.Profile
	profileErr  error
}

func hooks(res *result) ginoauth.Hooks {
	return ginoauth.Hooks{
		Error: func(_ *gin.Context, _ *ginoauth.Blueprint, err *ginoauth.Error) { res.err = err },
		Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
			res.token = t.Clone()
			if res.readProfile {
				res.profile, res.profileErr = bp.Profile(c)
			}
			return nil
		},
	}
}

func run(t *testing.T, r http.Handler, op *testOP, name string, res *result, extra url.Values) {
	t.Helper()
	loc, cookies := login(t, r, "/login/"+name)
	res.auth = loc
	op.set(func(op *testOP) { op.nonce = loc.Query().Get("nonce") })
	q := url.Values{"code": {"code-1"}, "state": {loc.Query().Get("state")}}
	maps.Copy(q, extra)
	res.w = callback(r, "/login/"+name+"/authorized", q, cookies)
}

func httptestRequest(method, path string, body io.Reader, cookies []*http.Cookie) *http.Request {
	req := httptest.NewRequest(method, path, body)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// countingTransport counts requests and passes them on.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// browserCookies keeps, as a browser does, the last of several Set-Cookie
// headers for one name.
func browserCookies(set []*http.Cookie) []*http.Cookie {
	last := map[string]*http.Cookie{}
	var order []string
	for _, c := range set {
		if _, ok := last[c.Name]; !ok {
			order = append(order, c.Name)
		}
		last[c.Name] = c
	}
	out := make([]*http.Cookie, 0, len(order))
	for _, n := range order {
		out = append(out, last[n])
	}
	return out
}
