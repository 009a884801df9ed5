package ginoauth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

func TestOAuth1CallbackFailures(t *testing.T) {
	for _, method := range []string{"HMAC-SHA1", "RSA-SHA1"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			srv, key := o1Server(t, method)
			for _, tt := range []struct {
				name      string
				run       func(t *testing.T, a *o1App, b *o1Browser) o1Page
				status    int
				kind      ginoauth.ErrorKind
				code      string
				message   string
				exchanges int  // access-token requests the provider gets
				stored    bool // a token is stored (by an earlier, good callback)
			}{
				{"callback without a prior login", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					return b.get("/login/test1/authorized?oauth_token=forged&oauth_verifier=forged")
				}, 400, ginoauth.KindStateMissing, "", "expired or was already used", 0, false},
				{"oauth_token of another login", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					b.startLogin("")
					other := a.browser(t, nil)
					cb := other.approve(other.startLogin(""))
					q := o1Query(t, cb)
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(q.Get("oauth_token")) + "&oauth_verifier=" + url.QueryEscape(q.Get("oauth_verifier")))
				}, 400, ginoauth.KindStateMismatch, "", "could not be verified", 0, false},
				{"reused request token", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					if p := b.get(cb); p.status != http.StatusFound {
						t.Fatalf("first callback: got %d", p.status)
					}
					if e := a.nextErr(); e != nil {
						t.Fatalf("first callback failed: %v", e)
					}
					return b.get(cb)
				}, 400, ginoauth.KindStateMissing, "", "expired or was already used", 1, true},
				{"wrong verifier", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					q := o1Query(t, cb)
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(q.Get("oauth_token")) + "&oauth_verifier=wrong")
				}, 502, ginoauth.KindExchangeFailed, "verifier_invalid", "could not complete the login", 0, false},
				{"missing verifier", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(o1Query(t, cb).Get("oauth_token")))
				}, 400, ginoauth.KindCodeMissing, "", "incomplete", 0, false},
				{"user denies (X style)", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					authURL := b.startLogin("")
					p := b.do(http.MethodPost, srv.URL+ginoauthtest.OAuth1PathAuthorize, url.Values{"oauth_token": {o1Query(t, authURL).Get("oauth_token")}, "deny": {"1"}})
					if q := o1Query(t, p.location); q.Get("denied") == "" {
						t.Fatalf("provider denial redirect %q has no denied parameter", p.location)
					}
					return b.get(p.location)
				}, 400, ginoauth.KindProviderDenied, "access_denied", "You declined", 0, false},
				{"user denies (Jira style)", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					authURL := b.startLogin("")
					return b.get("/login/test1/authorized?oauth_token=" + url.QueryEscape(o1Query(t, authURL).Get("oauth_token")) + "&oauth_verifier=denied")
				}, 400, ginoauth.KindProviderDenied, "access_denied", "You declined", 0, false},
				{"tampered access-token signature", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					a.wire.setTamper(ginoauthtest.OAuth1PathAccessToken, o1FlipSignature)
					return b.login("")
				}, 502, ginoauth.KindExchangeFailed, "signature_invalid", "could not complete the login", 0, false},
				{"tampered request-token signature", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					a.wire.setTamper(ginoauthtest.OAuth1PathRequestToken, o1FlipSignature)
					return b.get("/login/test1")
				}, 502, ginoauth.KindExchangeFailed, "signature_invalid", "could not complete the login", 0, false},
				{"provider down at the request-token step", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					srv.FailNext(ginoauthtest.OAuth1PathRequestToken, http.StatusServiceUnavailable, "busy")
					return b.get("/login/test1")
				}, 502, ginoauth.KindExchangeFailed, "", "could not complete the login", 0, false},
				{"request token not confirmed", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					srv.FailNext(ginoauthtest.OAuth1PathRequestToken, http.StatusOK, "oauth_token=unconfirmed-token&oauth_token_secret=unconfirmed-secret")
					return b.get("/login/test1")
				}, 502, ginoauth.KindExchangeFailed, "", "could not complete the login", 0, false},
				{"provider down at the access-token step", func(t *testing.T, a *o1App, b *o1Browser) o1Page {
					cb := b.approve(b.startLogin(""))
					srv.FailNext(ginoauthtest.OAuth1PathAccessToken, http.StatusInternalServerError, "oauth_problem=internal")
					return b.get(cb)
				}, 502, ginoauth.KindExchangeFailed, "internal", "could not complete the login", 0, false},
			} {
				t.Run(tt.name, func(t *testing.T) {
					a := o1NewOAuth1App(t, srv, key)
					b := a.browser(t, nil)
					before := srv.Count(ginoauthtest.OAuth1PathAccessToken)
					p := tt.run(t, a, b)
					if p.status != tt.status {
						t.Errorf("status: got %d, want %d (body %q)", p.status, tt.status, p.body)
					}
					if !strings.Contains(p.body, tt.message) || !strings.Contains(p.body, string(tt.kind)) {
						t.Errorf("page %q lacks %q and the kind %s", p.body, tt.message, tt.kind)
					}
					e := a.nextErr()
					if e == nil {
						t.Fatal("error hook did not run")
					}
					if e.Kind != tt.kind || e.Code != tt.code || e.Provider != "test1" {
						t.Errorf("error: got kind %s code %q provider %q, want %s %q test1", e.Kind, e.Code, e.Provider, tt.kind, tt.code)
					}
					if tt.kind == ginoauth.KindStateMissing || tt.kind == ginoauth.KindStateMismatch {
						if got := srv.Count(ginoauthtest.OAuth1PathAccessToken) - before; got != tt.exchanges {
							t.Errorf("the provider got %d access-token requests, want %d", got, tt.exchanges)
						}
					}
					if stored := b.get("/token").status == http.StatusOK; stored != tt.stored {
						t.Errorf("token stored: got %v, want %v", stored, tt.stored)
					}
					a.assertNoSecrets(t, srv.ConsumerSecret())
				})
			}
		})
	}
}

// TestOAuth1APIRequestsSigned shows that the provider's protected endpoint
// checks the signature of Client's requests: a tampered one fails.
func TestOAuth1APIRequestsSigned(t *testing.T) {
	t.Parallel()
	srv, key := o1Server(t, "RSA-SHA1")
	a := o1NewOAuth1App(t, srv, key)
	b := a.browser(t, nil)
	if p := b.login(""); p.status != http.StatusFound {
		t.Fatalf("login: got %d", p.status)
	}
	if p := b.get("/whoami"); p.status != 200 {
		t.Fatalf("/whoami: got %d %q", p.status, p.body)
	}
	// A form body is signed whatever the Content-Type's parameters, and
	// the header reaches the provider unchanged.
	p := b.do(http.MethodPost, "/echo-charset", url.Values{"status": {"naïve ✓"}})
	var echo struct {
		Form        url.Values `json:"form"`
		ContentType string     `json:"content_type"`
	}
	if err := json.Unmarshal([]byte(p.body), &echo); err != nil || p.status != 200 ||
		echo.Form.Get("status") != "naïve ✓" || echo.ContentType != "application/x-www-form-urlencoded; charset=utf-8" {
		t.Errorf("form post with a charset: got %d %q", p.status, p.body)
	}
	a.wire.setTamper(ginoauthtest.OAuth1PathWhoami, o1FlipSignature)
	if p := b.get("/whoami"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "signature_invalid") {
		t.Errorf("tampered API request: got %d %q, want 401 signature_invalid", p.status, p.body)
	}
	a.wire.setTamper(ginoauthtest.OAuth1PathWhoami, func(r *http.Request) { r.Header.Del("Authorization") })
	if p := b.get("/whoami"); p.status != http.StatusBadRequest {
		t.Errorf("unsigned API request: got %d %q, want 400", p.status, p.body)
	}
}

// o1HookOutcome is what a browser and the app saw for one hook case.
type o1HookOutcome struct {
	Status   int
	Location string
	Body     string
	Stored   bool
	Kind     ginoauth.ErrorKind
}

// TestOAuth1HooksMatchOAuth2 runs one table of hook cases against an OAuth
// 2 blueprint and an OAuth 1 blueprint, and wants the same outcome.
func TestOAuth1HooksMatchOAuth2(t *testing.T) {
	t.Parallel()
	srv2 := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	t.Cleanup(srv2.Close)
	srv1, _ := o1Server(t, "HMAC-SHA1")

	flows := []struct {
		name  string
		build func(t *testing.T, hooks ginoauth.Hooks, failureURL string) *o1App
	}{
		{"OAuth2", func(t *testing.T, hooks ginoauth.Hooks, failureURL string) *o1App {
			cfg := ginoauth.Config{ClientID: srv2.ClientID(), ClientSecret: srv2.ClientSecret(), Hooks: hooks, FailureURL: failureURL}
			return o1NewApp(t, cfg, func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) { return ginoauth.New(srv2.Provider(), cfg) })
		}},
		{"OAuth1", func(t *testing.T, hooks ginoauth.Hooks, failureURL string) *o1App {
			return o1NewOAuth1App(t, srv1, nil, func(cfg *ginoauth.Config, _ *ginoauth.OAuth1Provider) {
				cfg.Hooks, cfg.FailureURL = hooks, failureURL
			})
		}},
	}
	for _, tt := range []struct {
		name       string
		hooks      ginoauth.Hooks
		failureURL string
		replay     bool // send the callback twice; the outcome is the second's
		want       o1HookOutcome
	}{
		{name: "no hooks", want: o1HookOutcome{Status: 302, Location: "/", Stored: true}},
		{name: "Authorized returns nil", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error { return nil },
		}, want: o1HookOutcome{Status: 302, Location: "/", Stored: true}},
		{name: "Authorized skips the store", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error { return ginoauth.ErrSkipStore },
		}, want: o1HookOutcome{Status: 302, Location: "/", Stored: false}},
		{name: "Authorized takes the response over", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				c.String(http.StatusCreated, "welcome")
				return nil
			},
		}, want: o1HookOutcome{Status: 201, Body: "welcome", Stored: false}},
		{name: "Authorized uses the new token", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				client, err := bp.Client(c)
				if err != nil {
					return err
				}
				resp, err := client.Get("whoami")
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				var u struct{ ID string }
				if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || u.ID != "1001" {
					return fmt.Errorf("whoami in the hook: %d %v", resp.StatusCode, err)
				}
				c.String(http.StatusOK, "hello %s", u.ID)
				return nil
			},
		}, want: o1HookOutcome{Status: 200, Body: "hello 1001", Stored: false}},
		{name: "Authorized fails", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				return errors.New("no such local user")
			},
		}, want: o1HookOutcome{Status: 500, Stored: false, Kind: ginoauth.KindHookFailed}},
		{name: "Authorized fails with a kind", hooks: ginoauth.Hooks{
			Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, tok *ginoauth.Token) error {
				return &ginoauth.Error{Kind: ginoauth.KindProviderDenied, Code: "access_denied"}
			},
		}, want: o1HookOutcome{Status: 400, Stored: false, Kind: ginoauth.KindProviderDenied}},
		{name: "Error hook takes a replayed callback over", replay: true, hooks: ginoauth.Hooks{
			Error: func(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
				c.Redirect(http.StatusFound, "/sorry?kind="+string(err.Kind))
			},
		}, want: o1HookOutcome{Status: 302, Location: "/sorry?kind=state_missing", Stored: true, Kind: ginoauth.KindStateMissing}},
		{name: "FailureURL for a replayed callback", replay: true, failureURL: "/oops",
			want: o1HookOutcome{Status: 302, Location: "/oops?error=state_missing", Stored: true, Kind: ginoauth.KindStateMissing}},
		{name: "BeforeLogin takes the response over", hooks: ginoauth.Hooks{
			BeforeLogin: func(c *gin.Context, bp *ginoauth.Blueprint, authURL string) error {
				c.String(http.StatusOK, "go to the provider yourself")
				return nil
			},
		}, want: o1HookOutcome{Status: 200, Body: "go to the provider yourself", Stored: false}},
		{name: "BeforeLogin fails", hooks: ginoauth.Hooks{
			BeforeLogin: func(c *gin.Context, bp *ginoauth.Blueprint, authURL string) error { return errors.New("closed") },
		}, want: o1HookOutcome{Status: 500, Stored: false, Kind: ginoauth.KindHookFailed}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got [2]o1HookOutcome
			for i, f := range flows {
				a := f.build(t, tt.hooks, tt.failureURL)
				b := a.browser(t, nil)
				var p o1Page
				login := b.get(a.bp.LoginPath())
				if tt.hooks.BeforeLogin != nil {
					p = login
				} else {
					cb := b.approve(login.location)
					p = b.get(cb)
					if tt.replay {
						p = b.get(cb)
					}
				}
				out := o1HookOutcome{Status: p.status, Location: strings.TrimPrefix(p.location, a.ts.URL), Stored: b.get("/token").status == 200}
				if p.status < 300 || p.status > 399 {
					if p.status < 400 {
						out.Body = p.body
					}
				}
				if e := a.nextErr(); e != nil {
					out.Kind = e.Kind
				}
				got[i] = out
				if out != tt.want {
					t.Errorf("%s: got %+v, want %+v", f.name, out, tt.want)
				}
			}
			if got[0] != got[1] {
				t.Errorf("OAuth 2 and OAuth 1 differ: %+v vs %+v", got[0], got[1])
			}
		})
	}
}

func TestOAuth1RequiredAndConcurrentLogins(t *testing.T) {
	t.Parallel()
	srv, _ := o1Server(t, "HMAC-SHA1")
	a := o1NewOAuth1App(t, srv, nil)
	// Required answers 401 to a non-GET request.
	if p := a.browser(t, nil).do(http.MethodPost, "/echo", url.Values{"status": {"x"}}); p.status != http.StatusUnauthorized {
		t.Errorf("anonymous POST: got %d, want 401", p.status)
	}

	// Two tabs of one browser, finished in reverse order, both succeed.
	b := a.browser(t, nil)
	first, second := b.startLogin("?next=%2Ffirst"), b.startLogin("?next=%2Fsecond")
	cb1, cb2 := b.approve(first), b.approve(second)
	if p := b.get(cb2); p.status != http.StatusFound || p.location != a.ts.URL+"/second" {
		t.Errorf("second tab: got %d %q", p.status, p.location)
	}
	if p := b.get(cb1); p.status != http.StatusFound || p.location != a.ts.URL+"/first" {
		t.Errorf("first tab: got %d %q", p.status, p.location)
	}

	// Many users at once, each with their own token.
	const users = 20
	var wg sync.WaitGroup
	tokens := make([]string, users)
	for i := range users {
		wg.Go(func() {
			b := a.browser(t, nil)
			if p := b.login(""); p.status != http.StatusFound {
				t.Errorf("user %d: callback %d", i, p.status)
				return
			}
			if p := b.get("/whoami"); p.status != 200 {
				t.Errorf("user %d: whoami %d", i, p.status)
			}
			var tok ginoauth.Token
			if err := json.Unmarshal([]byte(b.get("/token.json").body), &tok); err != nil {
				t.Errorf("user %d: %v", i, err)
			}
			tokens[i] = tok.AccessToken
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, tok := range tokens {
		if tok == "" || seen[tok] {
			t.Errorf("tokens not distinct per user: %d distinct of %d", len(seen), users)
			break
		}
		seen[tok] = true
	}
}
