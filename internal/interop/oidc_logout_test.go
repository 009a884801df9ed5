package interop_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/clientauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/internal/testkit"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// interopKeyedApp starts zitadel and an app whose blueprint authenticates
// as the "keyed" client with private_key_jwt, signing with key.
func interopKeyedApp(t *testing.T, key *rsa.PrivateKey) (*interopOP, string) {
	t.Helper()
	appTS := httptest.NewUnstartedServer(nil)
	appURL := "http://" + appTS.Listener.Addr().String()
	p := newInteropOP(t, appURL)
	k, err := clientauth.NewKey(key, interopClientKeyID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := clientauth.PrivateKeyJWT(interopOIDCKeyClient, k, clientauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bp, err := oidc.New(context.Background(), oidc.Config{Issuer: p.issuer, Config: ginoauth.Config{
		ClientID: interopOIDCKeyClient, ClientAssertion: a.Sign, Scopes: interopOIDCScopes,
		Hooks: ginoauth.Hooks{Error: interopErrorHook},
	}})
	if err != nil {
		t.Fatal(err)
	}
	interopApp(t, appTS, bp, "userinfo")
	return p, appURL
}

// TestInteropOIDCPrivateKeyJWT: zitadel verifies the assertions of the
// code exchange, the refresh and the revocation, against the public key
// registered for the client.
func TestInteropOIDCPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	key, err := interopClientKey()
	if err != nil {
		t.Fatal(err)
	}
	p, appURL := interopKeyedApp(t, key)
	b := newInteropBrowser(t)
	if _, resp, body := interopOIDCLogin(t, b, appURL); resp.StatusCode != http.StatusFound {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	if tok := b.token(appURL); !tok.Authorized || tok.Refresh == "" {
		t.Fatalf("token after login: %+v", tok)
	}
	b.get(appURL + "/expire")
	if resp, body := b.get(appURL + "/api"); resp.StatusCode != http.StatusOK {
		t.Fatalf("API call after a refresh: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.get(appURL + "/logout"); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	grants, basic, revoked, _ := p.seen()
	p.mu.Lock()
	asserted := slices.Clone(p.asserted)
	p.mu.Unlock()
	if !slices.Equal(grants, []string{"authorization_code", "refresh_token"}) || len(revoked) != 1 ||
		!slices.Equal(asserted, []bool{true, true, true}) || slices.Contains(basic, true) {
		t.Errorf("grants %v, revocations %v, assertions %v, basic %v: want an exchange, a refresh and a revocation, each with an assertion and no secret",
			grants, revoked, asserted, basic)
	}
}

// A key the provider does not know (the registered kid, another key) is
// refused by zitadel: the login fails with exchange_failed.
func TestInteropOIDCPrivateKeyJWTWrongKey(t *testing.T) {
	t.Parallel()
	wrong, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, appURL := interopKeyedApp(t, wrong)
	b := newInteropBrowser(t)
	_, resp, body := interopOIDCLogin(t, b, appURL)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), `"exchange_failed"`) {
		t.Errorf("login with an unknown key: %d %s, want 502 exchange_failed", resp.StatusCode, body)
	}
}

var interopHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// TestInteropOIDCRPInitiatedLogout: EndSession's request goes through
// zitadel's end_session endpoint, which verifies the id_token_hint and the
// registered post_logout_redirect_uri and returns the state.
func TestInteropOIDCRPInitiatedLogout(t *testing.T) {
	t.Parallel()
	p, appTS, _ := interopOIDCSetup(t, "")
	appURL := appTS.URL
	b := newInteropBrowser(t)
	if _, resp, body := interopOIDCLogin(t, b, appURL); resp.StatusCode != http.StatusFound {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	// EndSession sends the browser on to the end-session route, which the
	// cookie-held ID token reaches.
	resp, _ := b.get(appURL + "/end-session")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/oidc/end-session?ticket=") {
		t.Fatalf("end session: %d to %q, want 303 to the end-session route", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page := b.get(appURL + resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `action="`+p.disc.EndSession+`"`) {
		t.Fatalf("end-session route: %d %s, want a page posting to %s", resp.StatusCode, page, p.disc.EndSession)
	}
	form := url.Values{}
	for _, m := range interopHidden.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if tok := b.token(appURL); tok.Authorized {
		t.Errorf("still authorized after EndSession")
	}
	back := b.Post(p.disc.EndSession, form)
	loc, err := url.Parse(back.Header.Get("Location"))
	if back.Status != http.StatusFound || err != nil || loc.Query().Get("state") != form.Get("state") ||
		!strings.HasPrefix(back.Header.Get("Location"), appURL+"/login/oidc/logged-out?") {
		t.Fatalf("zitadel's end_session answered %d %q: want a redirect to the logged-out route with the state", back.Status, back.Header.Get("Location"))
	}
	if done := b.redirect(loc.String()); done.Path != "/bye" {
		t.Errorf("after logout: %v, want /bye", done)
	}
}

// TestInteropBackChannelLogout: no Go OpenID provider sends back-channel
// logout tokens, so the project's test provider signs the ID tokens and
// golang-jwt, a JOSE library independent of the verifier's, builds the
// logout tokens with the same key.
func TestInteropBackChannelLogout(t *testing.T) {
	t.Parallel()
	key, err := interopClientKey()
	if err != nil {
		t.Fatal(err)
	}
	srv := ginoauthtest.NewServer(ginoauthtest.Config{AutoApprove: "1001", InsecureAnyRedirectURI: true, SigningKey: key})
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var ended []string
	a := testkit.NewApp(t, ginoauth.Config{ClientID: "test-client", ClientSecret: "test-secret",
		Hooks: ginoauth.Hooks{BackChannelLogout: func(_ context.Context, _ *ginoauth.Blueprint, sub, sid string) error {
			mu.Lock()
			defer mu.Unlock()
			ended = append(ended, sub)
			return nil
		}}},
		func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) {
			return oidc.New(context.Background(), oidc.Config{Issuer: srv.URL, Config: cfg})
		}, nil, nil)
	b := testkit.NewBrowser(t, nil)
	authURL := a.StartLogin(b, "")
	if page := b.Follow(testkit.Approve(b, authURL).String()); page.Status != http.StatusOK {
		t.Fatalf("login: %d", page.Status)
	}
	a.NoError()

	kid := thumbprint(t, &key.PublicKey)
	sign := func(method jwt.SigningMethod, signKey any, mod func(jwt.MapClaims)) string {
		c := jwt.MapClaims{
			"iss": srv.URL, "aud": "test-client", "iat": time.Now().Unix(), "exp": time.Now().Add(2 * time.Minute).Unix(),
			"jti": rand.Text(), "sub": "1001",
			"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
		}
		if mod != nil {
			mod(c)
		}
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = kid
		tok.Header["typ"] = "logout+jwt"
		raw, err := tok.SignedString(signKey)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	post := func(raw string) int {
		resp, err := http.PostForm(a.TS.URL+"/login/oidc/backchannel-logout", url.Values{"logout_token": {raw}})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	hmacKey := []byte(kid) // public data an attacker knows, used as an HMAC key
	for name, raw := range map[string]string{
		"other key":             sign(jwt.SigningMethodRS256, other, nil),
		"alg none":              sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil),
		"HMAC with public data": sign(jwt.SigningMethodHS256, hmacKey, nil),
		"with nonce":            sign(jwt.SigningMethodRS256, key, func(c jwt.MapClaims) { c["nonce"] = "n" }),
		"without events":        sign(jwt.SigningMethodRS256, key, func(c jwt.MapClaims) { delete(c, "events") }),
	} {
		if code := post(raw); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	valid := sign(jwt.SigningMethodRS256, key, nil)
	if code := post(valid); code != http.StatusOK {
		t.Fatalf("valid logout token: %d, want 200", code)
	}
	if code := post(valid); code != http.StatusBadRequest {
		t.Errorf("replayed logout token: %d, want 400", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(ended, []string{"1001"}) {
		t.Errorf("ended %v, want [1001] once", ended)
	}
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of an RSA public key, the
// test provider's key ID, computed without a JOSE library.
func thumbprint(t *testing.T, k *rsa.PublicKey) string {
	t.Helper()
	e := big(k.E)
	n := base64.RawURLEncoding.EncodeToString(k.N.Bytes())
	h := crypto.SHA256.New()
	_, _ = io.WriteString(h, `{"e":"`+e+`","kty":"RSA","n":"`+n+`"}`)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

func big(e int) string {
	var b []byte
	for ; e > 0; e >>= 8 {
		b = append([]byte{byte(e)}, b...)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
