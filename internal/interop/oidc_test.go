package interop_test

// Interoperability tests against github.com/zitadel/oidc/v3, an
// independent, certified OpenID Provider library, run on loopback with the
// in-memory storage from its example server. The blueprint is built by
// providers/oidc from the provider's discovery document.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

const (
	interopOIDCClient       = "web"
	interopOIDCSecret       = "web-secret"
	interopOIDCOtherClient  = "other"
	interopOIDCOtherSecret  = "other-secret"
	interopOIDCUserPassword = "verysecure" // the example user store's password
	interopOIDCKeyClient    = "keyed"      // authenticates with private_key_jwt
	interopClientKeyID      = "keyed-2026"
)

// interopClientKey is the "keyed" client's private key.
var interopClientKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// interopStorage is zitadel's example storage with what the example's
// clients cannot be given through its API: a registered
// post_logout_redirect_uri for every client, and the "keyed" client's
// private_key_jwt authentication with its registered public key.
type interopStorage struct {
	*storage.Storage
	logoutURI string
	key       *rsa.PublicKey
}

func (s interopStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return interopClient{Client: c, logoutURI: s.logoutURI, keyed: id == interopOIDCKeyClient}, nil
}

func (s interopStorage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	if clientID == interopOIDCKeyClient && keyID == interopClientKeyID {
		return &jose.JSONWebKey{KeyID: keyID, Use: "sig", Key: s.key}, nil
	}
	return s.Storage.GetKeyByIDAndClientID(ctx, keyID, clientID)
}

type interopClient struct {
	op.Client
	logoutURI string
	keyed     bool
}

func (c interopClient) PostLogoutRedirectURIs() []string { return []string{c.logoutURI} }

func (c interopClient) AuthMethod() zoidc.AuthMethod {
	if c.keyed {
		return zoidc.AuthMethodPrivateKeyJWT
	}
	return c.Client.AuthMethod()
}

// interopOP is a zitadel OpenID Provider on loopback. Its login page signs
// the example user "id1" in at once.
type interopOP struct {
	ts     *httptest.Server
	issuer string
	disc   interopDiscovery

	mu       sync.Mutex // serializes requests: the example storage reads some maps unlocked
	grants   []string
	basic    []bool
	revoked  []string // token_type_hint of each revocation request
	revBasic []bool
	asserted []bool // whether each token and revocation request carried a client assertion
}

type interopDiscovery struct {
	Issuer         string   `json:"issuer"`
	Authorization  string   `json:"authorization_endpoint"`
	Token          string   `json:"token_endpoint"`
	UserInfo       string   `json:"userinfo_endpoint"`
	Revocation     string   `json:"revocation_endpoint"`
	JWKS           string   `json:"jwks_uri"`
	AuthMethods    []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallenges []string `json:"code_challenge_methods_supported"`
	EndSession     string   `json:"end_session_endpoint"`
}

// newInteropOP starts a provider with two registered web clients, "web" and
// "other", whose redirect URIs are the app's /login/oidc/authorized.
func newInteropOP(t *testing.T, appURL string) *interopOP {
	t.Helper()
	p := &interopOP{ts: httptest.NewUnstartedServer(nil)}
	p.issuer = "http://" + p.ts.Listener.Addr().String()
	redirect := appURL + "/login/oidc/authorized"
	clients := map[string]*storage.Client{
		interopOIDCClient:      storage.WebClient(interopOIDCClient, interopOIDCSecret, redirect),
		interopOIDCOtherClient: storage.WebClient(interopOIDCOtherClient, interopOIDCOtherSecret, redirect),
		interopOIDCKeyClient:   storage.WebClient(interopOIDCKeyClient, "", redirect),
	}
	key, err := interopClientKey()
	if err != nil {
		t.Fatal(err)
	}
	st := interopStorage{
		Storage:   storage.NewStorageWithClients(storage.NewUserStore(p.issuer), clients),
		logoutURI: appURL + "/login/oidc/logged-out",
		key:       &key.PublicKey,
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:               sha256.Sum256([]byte("interop test key")),
		CodeMethodS256:          true,
		AuthMethodPost:          true,
		AuthMethodPrivateKeyJWT: true,
		GrantTypeRefreshToken:   true,
	}, st, op.StaticIssuer(p.issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatalf("op.NewProvider: %v", err)
	}
	callback := op.AuthCallbackURL(provider)
	issuerURL, err := url.Parse(p.issuer)
	if err != nil {
		t.Fatal(err)
	}
	username := "test-user@" + issuerURL.Hostname() // the example user store's user id1

	mux := http.NewServeMux()
	// The login page of this provider: the user signs in at once.
	mux.Handle("/login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			id := r.URL.Query().Get("authRequestID")
			if err := st.CheckUsernamePassword(username, interopOIDCUserPassword, id); err != nil {
				http.Error(w, "login failed", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
		}))
	mux.Handle("/", provider)
	p.ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch r.URL.Path {
		case "/oauth/token":
			if err := r.ParseForm(); err == nil {
				_, _, basic := r.BasicAuth()
				p.grants = append(p.grants, r.PostForm.Get("grant_type"))
				p.basic = append(p.basic, basic && !r.PostForm.Has("client_secret"))
				p.asserted = append(p.asserted, r.PostForm.Has("client_assertion"))
			}
		case "/revoke":
			if err := r.ParseForm(); err == nil {
				_, _, basic := r.BasicAuth()
				p.revoked = append(p.revoked, r.PostForm.Get("token_type_hint"))
				p.revBasic = append(p.revBasic, basic && !r.PostForm.Has("client_secret"))
				p.asserted = append(p.asserted, r.PostForm.Has("client_assertion"))
			}
		}
		mux.ServeHTTP(w, r)
	})
	p.ts.Start()
	t.Cleanup(p.ts.Close)

	resp, err := http.Get(p.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&p.disc); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return p
}

func (p *interopOP) seen() (grants []string, basic []bool, revoked []string, revBasic []bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.grants), slices.Clone(p.basic), slices.Clone(p.revoked), slices.Clone(p.revBasic)
}

// refresh asks the token endpoint directly for a refresh and returns the
// status and the error code, if any.
func (p *interopOP) refresh(t *testing.T, refreshToken string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	req, err := http.NewRequest(http.MethodPost, p.disc.Token, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(interopOIDCClient, interopOIDCSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error
}

// userinfo calls the userinfo endpoint directly with accessToken.
// revoke revokes token at the provider's RFC 7009 endpoint, as the client.
func (p *interopOP) revoke(t *testing.T, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.disc.Revocation, strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(interopOIDCClient, interopOIDCSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: got %d, want 200", resp.StatusCode)
	}
}

func (p *interopOP) userinfo(t *testing.T, accessToken string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.disc.UserInfo, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var interopOIDCScopes = []string{"openid", "profile", "email", "offline_access"}

// interopOIDCSetup starts a provider and an app whose blueprint providers/oidc
// built from the discovery document. verifierClientID, when not empty, is
// the audience the ID token verifier expects instead of the client ID the
// blueprint logs in with.
func interopOIDCSetup(t *testing.T, verifierClientID string, change ...func(*ginoauth.Provider)) (*interopOP, *httptest.Server, *ginoauth.Blueprint) {
	t.Helper()
	appTS := httptest.NewUnstartedServer(nil)
	appURL := "http://" + appTS.Listener.Addr().String()
	p := newInteropOP(t, appURL)
	cfg := ginoauth.Config{
		ClientID:     interopOIDCClient,
		ClientSecret: interopOIDCSecret,
		Scopes:       interopOIDCScopes,
		Hooks:        ginoauth.Hooks{Error: interopErrorHook},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var bp *ginoauth.Blueprint
	var err error
	if verifierClientID == "" && len(change) == 0 {
		bp, err = oidc.New(ctx, oidc.Config{Issuer: p.issuer, Config: cfg})
	} else {
		vcfg := cfg
		if verifierClientID != "" {
			vcfg.ClientID = verifierClientID
		}
		var prov ginoauth.Provider
		prov, err = oidc.Discover(ctx, p.issuer, oidc.Config{Config: vcfg})
		for _, f := range change {
			f(&prov)
		}
		if err == nil {
			bp, err = ginoauth.New(prov, cfg)
		}
	}
	if err != nil {
		t.Fatalf("blueprint: %v", err)
	}
	interopApp(t, appTS, bp, "userinfo")
	return p, appTS, bp
}

// interopOIDCLogin walks the browser from the login route through the
// provider's authorize, login and callback steps back to the app's
// callback, and returns the authorization URL and the app's answer to the
// callback.
func interopOIDCLogin(t *testing.T, b *interopBrowser, appURL string) (authURL *url.URL, cbResp *http.Response, cbBody []byte) {
	t.Helper()
	authURL = b.redirect(appURL + "/login/oidc?next=/done")
	loginPage := b.redirect(authURL.String())
	opCallback := b.redirect(loginPage.String())
	cb := b.redirect(opCallback.String())
	if got, want := cb.Scheme+"://"+cb.Host+cb.Path, appURL+"/login/oidc/authorized"; got != want {
		t.Fatalf("provider redirected to %v, want %v", got, want)
	}
	if cb.Query().Get("code") == "" {
		t.Fatalf("callback has no code (error=%q, %q)", cb.Query().Get("error"), cb.Query().Get("error_description"))
	}
	cbResp, cbBody = b.get(cb.String())
	return authURL, cbResp, cbBody
}
