package ginoauth_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestFormPostCallback(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer srv.Close()
	a := newApp(t, srv, func(c *ginoauth.Config, p *ginoauth.Provider) {
		p.FormPostCallback = true
		p.CallbackParams = []string{"user"}
		c.AuthParams = map[string]string{"response_mode": "form_post"}
	})
	kept := make(chan any, 1)
	a.engine.GET("/kept", func(c *gin.Context) {
		tok, err := a.bp.Token(c)
		if err == nil {
			kept <- tok.Extra["user"]
		}
	})
	b := newBrowser(t)
	authURL := b.startLogin(a, "")
	formFields := func(body string) url.Values {
		vals := url.Values{}
		for _, f := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
			vals.Set(f[1], htmlUnescape(f[2]))
		}
		return vals
	}
	vals := formFields(b.get(authURL.String()).body)
	if vals.Get("code") == "" {
		t.Fatal("the provider sent no form_post page")
	}
	vals.Set("user", `{"name":{"firstName":"Alice"}}`) // as Apple adds it
	// A cross-site POST carries no Lax cookie: post without the jar. The
	// answer posts the same fields again from this site, keeping them out
	// of any URL.
	resp, err := http.PostForm(a.ts.URL+"/login/test/authorized", vals)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	again := formFields(string(body))
	if resp.StatusCode != http.StatusOK || again.Get("code") != vals.Get("code") || again.Get("_ginoauth_resubmit") != "1" {
		t.Fatalf("cookieless form_post: got %d with fields %v, want a same-site resubmit page", resp.StatusCode, again)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'; script-src 'nonce-") || strings.Contains(csp, "form-action") {
		t.Errorf("resubmit page CSP %q: want the page's own script only, and no form-action (browsers apply it to the redirects after the post)", csp)
	}
	// The browser's own POST, with its session cookie, completes the login.
	p := b.post(a.ts.URL+"/login/test/authorized", again)
	if p.status != http.StatusFound || p.location != a.ts.URL+"/" {
		t.Fatalf("same-site POST: got %d to %q, want 302 to /", p.status, p.location)
	}
	b.get(a.ts.URL + "/kept")
	if got := <-kept; got != vals.Get("user") {
		t.Fatalf("CallbackParams: token Extra[user] = %v, want the callback's user field", got)
	}
	// A resubmitted POST without a session does not loop: it fails clearly.
	resp, err = http.PostForm(a.ts.URL+"/login/test/authorized", again)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("resubmitted POST without a session: got %d, want 400", resp.StatusCode)
	}
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}

func TestRefreshOnUnauthorized(t *testing.T) {
	t.Parallel()
	t.Run("token revoked early is replaced", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv.Close()
		a := newApp(t, srv)
		b := newBrowser(t)
		b.login(a)
		before := b.get(a.ts.URL + "/token").body
		srv.ExpireAccessTokens() // the stored copy still looks valid for an hour
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusOK || !strings.Contains(p.body, `"alice"`) {
			t.Fatalf("whoami after the provider expired the token: %d %s", p.status, p.body)
		}
		if got := srv.Grants("refresh_token"); got != 1 {
			t.Fatalf("refresh requests: %d, want 1", got)
		}
		if after := b.get(a.ts.URL + "/token").body; after == before {
			t.Fatal("the replacement token was not saved")
		}
	})
	t.Run("refresh refused: the provider's 401 stands and the token is dropped", func(t *testing.T) {
		t.Parallel()
		srv := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
		defer srv.Close()
		a := newApp(t, srv)
		b := newBrowser(t)
		b.login(a)
		srv.RevokeAll()
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusUnauthorized {
			t.Fatalf("whoami with a revoked grant: %d %s, want the provider's 401", p.status, p.body)
		}
		if p := b.get(a.ts.URL + "/whoami"); p.status != http.StatusFound || !strings.Contains(p.location, "/login/test") {
			t.Fatalf("next visit: %d to %q, want a redirect to log in again", p.status, p.location)
		}
	})
}
