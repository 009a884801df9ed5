package interop_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/internal/testkit"
)

// interopApp mounts bp on a Gin engine with cookie sessions and the test
// routes:
//
//	/token   bp.Token and bp.Authorized, as JSON; the same under the
//	         end-session route, where the ID token of a cookie session is
//	         sent too
//	/api     GET <api>/<apiPath> through bp.Client, relayed
//	/profile bp.Profile, as JSON
//	/expire  the stored token's expiry moved into the past
//	/logout  bp.Logout
//	/end-session bp.EndSession, then /bye
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
	tokenView := func(c *gin.Context) {
		v := interopTokenView{Authorized: bp.Authorized(c)}
		tok, err := bp.Token(c)
		if err != nil {
			v.Err, v.NoToken = err.Error(), errors.Is(err, ginoauth.ErrNoToken)
		} else {
			v.Access, v.Refresh, v.Type, v.Expiry = tok.AccessToken, tok.RefreshToken, tok.TokenType, tok.Expiry
			v.Scopes, v.IDToken, v.Extra = tok.Scopes, tok.IDToken, tok.Extra
		}
		c.JSON(http.StatusOK, v)
	}
	r.GET("/token", tokenView)
	// Where a cookie session's ID token travels too.
	r.GET(bp.LoginPath()+"/end-session/token", tokenView)
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
	r.GET("/end-session", func(c *gin.Context) {
		if err := bp.EndSession(c, "/bye"); err != nil {
			c.String(http.StatusBadGateway, "end session: %v", err)
		}
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

// interopBrowser is the shared test browser (internal/testkit): it keeps
// cookies and does not follow redirects, so every hop can be checked.
type interopBrowser struct {
	*testkit.Browser
	t *testing.T
}

func newInteropBrowser(t *testing.T) *interopBrowser {
	return &interopBrowser{Browser: testkit.NewBrowser(t, nil), t: t}
}

// get GETs u; its errors show u without the query, which may carry a code.
func (b *interopBrowser) get(u string) (*http.Response, []byte) {
	b.t.Helper()
	resp, err := b.Client().Get(u)
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

// oidcToken reads the "oidc" blueprint's stored token where all of it is
// sent, the ID token too (a cookie session sends that to the end-session
// route only).
func (b *interopBrowser) oidcToken(appURL string) interopTokenView {
	b.t.Helper()
	var v interopTokenView
	b.getJSON(appURL+"/login/oidc/end-session/token", http.StatusOK, &v)
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

// postTokenForm posts form to a token endpoint with HTTP Basic client
// credentials, as a client of the provider's own would, and returns the
// status and the decoded JSON answer.
func postTokenForm(t *testing.T, tokenURL string, form url.Values, clientID, secret string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, tr
}
