package oidc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// TestInteropGinoauthtest logs in against the project's independent test
// provider: discovery, PKCE, nonce, RFC 9207 iss, client_secret_basic, ID
// token verification and userinfo, with no knob of this test's own.
func TestInteropGinoauthtest(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", SendIssuer: true, RequirePKCE: true})
	defer srv.Close()
	var res result
	var profile *ginoauth.Profile
	var profileErr error
	h := hooks(&res)
	h.Authorized = func(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
		res.token = t.Clone()
		profile, profileErr = bp.Profile(c)
		return nil
	}
	cfg := oidc.Config{
		Issuer: srv.URL,
		Config: ginoauth.Config{ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), HTTPClient: srv.Client(), Hooks: h},
	}
	bp, err := oidc.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := oidc.Discover(context.Background(), srv.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !p.RequireIssuerParam || p.Issuer != srv.URL {
		t.Errorf("got Issuer %q RequireIssuerParam %v, want the server's RFC 9207 support discovered", p.Issuer, p.RequireIssuerParam)
	}
	r := engine(bp)
	loc, cookies := login(t, r, "/login/oidc")

	// The "browser" visits the provider, which approves at once and
	// redirects back.
	browser := *srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("provider: got %d %q, want a redirect to the callback", resp.StatusCode, resp.Header.Get("Location"))
	}
	req := httptest.NewRequest(http.MethodGet, back.RequestURI(), nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if res.err != nil || w.Code != http.StatusFound {
		t.Fatalf("callback: got %d %v, want success", w.Code, res.err)
	}
	claims, ok := oidc.IDTokenClaims(res.token)
	if !ok || claims["sub"] != "1001" {
		t.Errorf("got claims %v, want sub 1001", claims)
	}
	if profileErr != nil || profile.ID != "1001" || profile.Email != "alice@example.com" || !profile.EmailVerified {
		t.Errorf("got profile %+v (%v), want user 1001 with a verified email", profile, profileErr)
	}
}
