package oidc_test

import (
	"context"
	"crypto/rand"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// logoutApp is a logged-in browser session with an app that has a
// /logout route calling EndSession.
type logoutApp struct {
	r       *gin.Engine
	bp      *ginoauth.Blueprint
	cookies []*http.Cookie
	res     *result
}

func newLogoutApp(t *testing.T, op *testOP, mod func(*oidc.Config)) *logoutApp {
	t.Helper()
	a := &logoutApp{res: &result{}}
	cfg := oidc.Config{Issuer: op.issuer(), Config: ginoauth.Config{ClientID: clientID, ClientSecret: clientSecret, Hooks: hooks(a.res)}}
	if mod != nil {
		mod(&cfg)
	}
	bp, err := oidc.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.bp, a.r = bp, engine(bp)
	a.r.GET("/logout", func(c *gin.Context) {
		if err := bp.EndSession(c, "/bye"); err != nil {
			c.String(http.StatusInternalServerError, "logout failed")
		}
	})
	a.r.GET("/refresh", func(c *gin.Context) {
		_, err := bp.Refresh(c)
		c.String(http.StatusOK, "%v", err)
	})
	a.r.GET("/has-token", func(c *gin.Context) {
		_, err := bp.Token(c)
		c.String(http.StatusOK, "%v", err == nil)
	})
	loc, cookies := login(t, a.r, "/login/oidc")
	op.set(func(op *testOP) { op.nonce = loc.Query().Get("nonce") })
	w := callback(a.r, "/login/oidc/authorized", url.Values{"code": {"c"}, "state": {loc.Query().Get("state")}}, cookies)
	if a.res.err != nil || w.Code != http.StatusFound {
		t.Fatalf("login: %d %v", w.Code, a.res.err)
	}
	a.cookies = browserCookies(append(cookies, w.Result().Cookies()...))
	return a
}

// get requests path with the session and keeps the cookies it sets.
func (a *logoutApp) get(path string) (int, string, http.Header) {
	w := serve(a.r, httptestRequest(http.MethodGet, path, nil, a.cookies))
	a.cookies = browserCookies(append(a.cookies, w.Result().Cookies()...))
	return w.Code, w.Body.String(), w.Header()
}

// logout runs EndSession at /logout: with a cookie session it sends the
// browser on to the end-session route (where the ID token cookie is sent),
// which answers with the page for the provider.
func (a *logoutApp) logout(t *testing.T) (int, string, http.Header) {
	t.Helper()
	code, body, h := a.get("/logout")
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login/oidc/end-session?ticket=") {
		return code, body, h
	}
	return a.get(h.Get("Location"))
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// TestRPInitiatedLogout: OpenID Connect RP-Initiated Logout 1.0.
func TestRPInitiatedLogout(t *testing.T) {
	t.Parallel()
	op := newOP(t)
	a := newLogoutApp(t, op, nil)
	idToken := a.res.token.IDToken
	code, page, h := a.logout(t)
	if code != http.StatusOK || !strings.Contains(page, `action="`+op.issuer()+`/logout"`) {
		t.Fatalf("logout: %d %s, want a page posting to the end-session endpoint", code, page)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'; script-src 'nonce-") || h.Get("Cache-Control") != "no-store" {
		t.Errorf("CSP %q, Cache-Control %q: want the page's own script only, and no caching", csp, h.Get("Cache-Control"))
	}
	form := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if form.Get("id_token_hint") != idToken || form.Get("client_id") != clientID ||
		form.Get("post_logout_redirect_uri") != "http://example.com/login/oidc/logged-out" || len(form.Get("state")) < 22 {
		t.Fatalf("end-session request %v: want id_token_hint, client_id, post_logout_redirect_uri and a fresh state", form)
	}
	if _, body, _ := a.get("/has-token"); body != "false" {
		t.Errorf("the token is still stored after EndSession")
	}
	if op.count("/revoke") != 1 {
		t.Errorf("revocation requests: %d, want 1", op.count("/revoke"))
	}
	back := "/login/oidc/logged-out?state="
	// A forged return (another state) is refused and consumes nothing.
	if code, body, _ := a.get(back + "forged"); code != http.StatusBadRequest || a.res.err == nil || a.res.err.Kind != ginoauth.KindStateMismatch ||
		!strings.Contains(body, "signed out of this site") {
		t.Errorf("forged state: %d %v, want 400 %s and a signed-out page", code, a.res.err, ginoauth.KindStateMismatch)
	}
	code, _, h = a.get(back + url.QueryEscape(form.Get("state")))
	if code != http.StatusFound || h.Get("Location") != "/bye" {
		t.Errorf("return: %d %q, want 302 /bye", code, h.Get("Location"))
	}
	// The state is spent.
	a.res.err = nil
	if code, _, _ := a.get(back + url.QueryEscape(form.Get("state"))); code != http.StatusBadRequest || a.res.err == nil || a.res.err.Kind != ginoauth.KindStateMissing {
		t.Errorf("replayed return: %d %v, want 400 %s", code, a.res.err, ginoauth.KindStateMissing)
	}
}

// TestEndSessionTicket: only EndSession can send the browser to the
// end-session route. Another site's link there logs nobody out, and a
// ticket works once.
func TestEndSessionTicket(t *testing.T) {
	t.Parallel()
	op := newOP(t)
	a := newLogoutApp(t, op, nil)
	code, _, h := a.get("/logout")
	if code != http.StatusSeeOther {
		t.Fatalf("logout: %d, want 303 to the end-session route", code)
	}
	for _, forged := range []string{"", "?ticket=forged"} {
		a.res.err = nil
		if code, body, _ := a.get("/login/oidc/end-session" + forged); code != http.StatusBadRequest ||
			a.res.err == nil || a.res.err.Kind != ginoauth.KindStateMismatch || !strings.Contains(body, "still signed in") {
			t.Errorf("end-session route with %q: %d %v, want 400 %s", forged, code, a.res.err, ginoauth.KindStateMismatch)
		}
		if _, body, _ := a.get("/has-token"); body != "true" {
			t.Fatalf("a forged end-session request (%q) deleted the token", forged)
		}
	}
	if op.count("/revoke") != 0 {
		t.Errorf("revocations after forged requests: %d, want 0", op.count("/revoke"))
	}
	if code, page, _ := a.get(h.Get("Location")); code != http.StatusOK || !strings.Contains(page, "id_token_hint") {
		t.Fatalf("end-session route with EndSession's ticket: %d, want the page with the ID token hint", code)
	}
	if code, _, _ := a.get(h.Get("Location")); code != http.StatusBadRequest {
		t.Errorf("the ticket used again: %d, want 400", code)
	}

	// A browser that lost the ID token cookie still signs out, without
	// the hint (and without going round in circles).
	b := newLogoutApp(t, op, nil)
	kept := b.cookies[:0]
	for _, c := range b.cookies {
		if !strings.HasSuffix(c.Name, ".id") {
			kept = append(kept, c)
		}
	}
	b.cookies = kept
	if code, page, _ := b.logout(t); code != http.StatusOK || strings.Contains(page, "id_token_hint") || !strings.Contains(page, "client_id") {
		t.Errorf("sign-out without the ID token cookie: %d, want the page without a hint", code)
	}
}

func TestEndSessionWithoutEndpoint(t *testing.T) {
	t.Parallel()
	op := newOP(t)
	op.set(func(op *testOP) { op.doc = map[string]any{"end_session_endpoint": nil} })
	a := newLogoutApp(t, op, nil)
	// Nothing would read the ID token: the session keeps only its subject.
	for _, c := range a.cookies {
		if strings.HasSuffix(c.Name, ".id") {
			t.Errorf("ID token cookie %q set, with no end-session endpoint to send it to", c.Name)
		}
	}
	if code, _, h := a.get("/logout"); code != http.StatusFound || h.Get("Location") != "/bye" {
		t.Errorf("logout: %d %q, want 302 /bye", code, h.Get("Location"))
	}
	if code, _, _ := a.get("/login/oidc/logged-out?state=x"); code != http.StatusNotFound {
		t.Errorf("logged-out route: %d, want 404 (not mounted)", code)
	}
}

// TestBackChannelLogout: OpenID Connect Back-Channel Logout 1.0 section
// 2.6's checks, each one pinned, and 2.8's answers.
func TestBackChannelLogout(t *testing.T) {
	t.Parallel()
	good, evil := signers(t)
	op := newOP(t)
	var mu sync.Mutex
	var ended []string
	var hookErr error
	bp, err := oidc.New(context.Background(), oidc.Config{Issuer: op.issuer(), Config: ginoauth.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		Hooks: ginoauth.Hooks{BackChannelLogout: func(_ context.Context, _ *ginoauth.Blueprint, sub, sid string) error {
			mu.Lock()
			defer mu.Unlock()
			ended = append(ended, sub+"/"+sid)
			return hookErr
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := engine(bp)
	token := func(mod func(c map[string]any)) string {
		iat, exp := claimsAt()
		c := map[string]any{
			"iss": op.issuer(), "aud": clientID, "iat": iat, "exp": exp, "jti": rand.Text(),
			"sub": "user-1", "sid": "s-1",
			"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
		}
		if mod != nil {
			mod(c)
		}
		raw, err := good.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	post := func(raw string) int {
		req := httptestRequest(http.MethodPost, "/login/oidc/backchannel-logout", strings.NewReader(url.Values{"logout_token": {raw}}.Encode()), nil)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := serve(r, req)
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("answer without Cache-Control: no-store")
		}
		return w.Code
	}
	valid := token(nil)
	if code := post(valid); code != http.StatusOK || len(ended) != 1 || ended[0] != "user-1/s-1" {
		t.Fatalf("valid token: %d, ended %v: want 200 and user-1/s-1 ended", code, ended)
	}
	forged, _ := evil.Sign(map[string]any{"iss": op.issuer(), "aud": clientID})
	refused := map[string]string{
		"replayed":       valid,
		"no token":       "",
		"bad signature":  forged,
		"other audience": token(func(c map[string]any) { c["aud"] = "other-client" }),
		"other issuer":   token(func(c map[string]any) { c["iss"] = "https://evil.example" }),
		"no iat":         token(func(c map[string]any) { delete(c, "iat") }),
		"expired":        token(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }),
		"no jti":         token(func(c map[string]any) { delete(c, "jti") }),
		"no events":      token(func(c map[string]any) { delete(c, "events") }),
		"other event":    token(func(c map[string]any) { c["events"] = map[string]any{"urn:other": map[string]any{}} }),
		"event not an object": token(func(c map[string]any) {
			c["events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": "x"}
		}),
		"neither sub nor sid": token(func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }),
		"has a nonce":         token(func(c map[string]any) { c["nonce"] = "n" }),
	}
	for name, raw := range refused {
		if code := post(raw); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if len(ended) != 1 {
		t.Errorf("ended %v: refused tokens must end nothing", ended)
	}
	// sid alone is enough; an app that cannot end the session answers 400.
	if code := post(token(func(c map[string]any) { delete(c, "sub") })); code != http.StatusOK || ended[1] != "/s-1" {
		t.Errorf("sid only: %d %v, want 200", code, ended)
	}
	hookErr = errors.New("session store down")
	if code := post(token(nil)); code != http.StatusBadRequest {
		t.Errorf("failing hook: %d, want 400", code)
	}
}

// A blueprint that does not check the issuer itself (multi-tenant
// providers) cannot tell one tenant's logout tokens from another's: it
// refuses them all.
func TestBackChannelLogoutNeedsIssuerCheck(t *testing.T) {
	t.Parallel()
	good, _ := signers(t)
	op := newOP(t)
	bp, err := oidc.New(context.Background(), oidc.Config{Issuer: op.issuer(), SkipIssuerCheck: true,
		CheckClaims: func(map[string]any) error { return nil },
		Config: ginoauth.Config{ClientID: clientID, ClientSecret: clientSecret, Hooks: ginoauth.Hooks{
			BackChannelLogout: func(context.Context, *ginoauth.Blueprint, string, string) error { return nil },
		}}})
	if err != nil {
		t.Fatal(err)
	}
	iat, exp := claimsAt()
	raw, _ := good.Sign(map[string]any{"iss": op.issuer(), "aud": clientID, "iat": iat, "exp": exp, "jti": "j", "sub": "user-1",
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}})
	req := httptestRequest(http.MethodPost, "/login/oidc/backchannel-logout", strings.NewReader(url.Values{"logout_token": {raw}}.Encode()), nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := serve(engine(bp), req); w.Code != http.StatusBadRequest {
		t.Errorf("got %d, want 400", w.Code)
	}
}

// With nothing to act on the token (no hook, a storage without
// SubjectLogout), no back-channel route is mounted.
func TestBackChannelRouteNeedsAHandler(t *testing.T) {
	t.Parallel()
	op := newOP(t)
	var res result
	r := newBlueprint(t, op, &res, nil)
	req := httptestRequest(http.MethodPost, "/login/oidc/backchannel-logout", strings.NewReader("logout_token=x"), nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := serve(r, req); w.Code != http.StatusNotFound {
		t.Errorf("got %d, want 404", w.Code)
	}
}
