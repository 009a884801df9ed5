package interop_test

// OAuth 1.0a against an independent implementation, github.com/mrjones/oauth:
// it consumes the project's test provider (so the provider is checked by a
// client that is not ginoauth), and it verifies the signatures of
// ginoauth's own requests.

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"github.com/ginoauth/ginoauth/internal/testkit"
	mrjones "github.com/mrjones/oauth"
)

// interopNoFollow is a client that shows every redirect.
var interopNoFollow = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

// interopOAuth1Server starts the test provider for one signature method,
// approving as user; with RSA-SHA1 it also returns the consumer's key.
func interopOAuth1Server(t *testing.T, method, user string) (*ginoauthtest.OAuth1Server, *rsa.PrivateKey) {
	t.Helper()
	cfg := ginoauthtest.OAuth1Config{AutoApprove: user, SignatureMethod: method}
	var key *rsa.PrivateKey
	if method == "RSA-SHA1" {
		key = interopRSAKey(t)
		cfg.RSAPublicKey = &key.PublicKey
	}
	srv := ginoauthtest.NewOAuth1Server(cfg)
	t.Cleanup(srv.Close)
	return srv, key
}

// interopRSAKey is one RSA key for the whole run (key generation is slow).
var interopRSAKey = func() func(t *testing.T) *rsa.PrivateKey {
	var once sync.Once
	var key *rsa.PrivateKey
	var err error
	return func(t *testing.T) *rsa.PrivateKey {
		t.Helper()
		once.Do(func() { key, err = rsa.GenerateKey(rand.Reader, 2048) })
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
}()

// o1Consumer is an independent OAuth 1 consumer (github.com/mrjones/oauth)
// for srv.
func o1Consumer(t *testing.T, srv *ginoauthtest.OAuth1Server, rsaKey *rsa.PrivateKey) *mrjones.Consumer {
	sp := mrjones.ServiceProvider{
		RequestTokenUrl:   srv.URL + ginoauthtest.OAuth1PathRequestToken,
		AuthorizeTokenUrl: srv.URL + ginoauthtest.OAuth1PathAuthorize,
		AccessTokenUrl:    srv.URL + ginoauthtest.OAuth1PathAccessToken,
		HttpMethod:        http.MethodPost,
	}
	if rsaKey != nil {
		return mrjones.NewRSAConsumer(srv.ConsumerKey(), rsaKey, sp)
	}
	return mrjones.NewConsumer(srv.ConsumerKey(), srv.ConsumerSecret(), sp)
}

// o1IndependentVerifier is github.com/mrjones/oauth's request verifier for
// srv's consumer. Its HMAC-SHA1 check has no token secret, so it verifies
// HMAC-SHA1 requests signed with the consumer secret alone, and every
// RSA-SHA1 request.
func o1IndependentVerifier(srv *ginoauthtest.OAuth1Server, rsaKey *rsa.PrivateKey) *mrjones.Provider {
	return mrjones.NewProvider(func(key string, _ map[string]string) (*mrjones.Consumer, error) {
		if rsaKey != nil {
			return mrjones.NewRSAConsumer(key, rsaKey, mrjones.ServiceProvider{}), nil
		}
		return mrjones.NewConsumer(key, srv.ConsumerSecret(), mrjones.ServiceProvider{}), nil
	})
}

// o1Replay rebuilds a recorded request for another verifier.
func o1Replay(t *testing.T, r ginoauthtest.OAuth1Request) *http.Request {
	t.Helper()
	req, err := http.NewRequest(r.Method, r.URL, strings.NewReader(string(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header.Clone()
	return req
}

// TestOAuth1ServerAgreesWithIndependentImplementation runs the three legs
// with github.com/mrjones/oauth as the consumer, for both signature
// methods: the server accepts an independent signer's requests, with token
// secrets, and the independent verifier accepts what the server accepted.
func TestOAuth1ServerAgreesWithIndependentImplementation(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"HMAC-SHA1", "RSA-SHA1"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			srv, key := interopOAuth1Server(t, method, "1002")
			consumer := o1Consumer(t, srv, key)

			rtok, loginURL, err := consumer.GetRequestTokenAndUrl("http://127.0.0.1:9/cb?keep=1")
			if err != nil {
				t.Fatalf("request token: %v", err)
			}
			resp, err := interopNoFollow.Get(loginURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cb, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || resp.StatusCode != http.StatusFound {
				t.Fatalf("authorize: got %d %q, want 302 to the callback", resp.StatusCode, resp.Header.Get("Location"))
			}
			if got := cb.Query().Get("keep"); got != "1" {
				t.Errorf("callback query keep: got %q, want 1", got)
			}
			if got := cb.Query().Get("oauth_token"); got != rtok.Token {
				t.Errorf("callback oauth_token: got %q, want the request token", got)
			}
			atok, err := consumer.AuthorizeToken(rtok, cb.Query().Get("oauth_verifier"))
			if err != nil {
				t.Fatalf("access token: %v", err)
			}
			if got := atok.AdditionalData["user_id"]; got != "1002" {
				t.Errorf("user_id: got %q, want 1002", got)
			}
			if got := atok.AdditionalData["screen_name"]; got != "bob" {
				t.Errorf("screen_name: got %q, want bob", got)
			}
			client, err := consumer.MakeHttpClient(atok)
			if err != nil {
				t.Fatal(err)
			}
			resp, err = client.Get(srv.URL + ginoauthtest.OAuth1PathEcho + "?q=a+b&q=%2F&empty=")
			if err != nil {
				t.Fatal(err)
			}
			var echo struct {
				UserID string     `json:"user_id"`
				Query  url.Values `json:"query"`
			}
			err = json.NewDecoder(resp.Body).Decode(&echo)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("signed GET: got %d (%v), want 200", resp.StatusCode, err)
			}
			if echo.UserID != "1002" || len(echo.Query["q"]) != 2 {
				t.Errorf("echo: got user %q query %v, want 1002 and two q values", echo.UserID, echo.Query)
			}
			resp, err = client.Get(srv.URL + ginoauthtest.OAuth1PathEcho + "?q=a+b&slash=%2F&empty=")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("signed GET: got %d, want 200", resp.StatusCode)
			}
			resp, err = client.PostForm(srv.URL+ginoauthtest.OAuth1PathEcho, url.Values{"status": {"hello, world & more ~"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("signed form POST: got %d, want 200", resp.StatusCode)
			}

			verifier := o1IndependentVerifier(srv, key)
			checked := 0
			for _, r := range srv.Requests() {
				if r.Path == ginoauthtest.OAuth1PathAuthorize {
					continue
				}
				if r.Problem != "" {
					t.Errorf("%s %s: server problem %q", r.Method, r.Path, r.Problem)
				}
				// mrjones verifies HMAC-SHA1 without a token secret only, and
				// keeps only the first value of a repeated parameter.
				if method == "HMAC-SHA1" && r.Path != ginoauthtest.OAuth1PathRequestToken || strings.Contains(r.URL, "q=%2F") {
					continue
				}
				if _, err := verifier.IsAuthorized(o1Replay(t, r)); err != nil {
					t.Errorf("%s %s: independent verifier: %v", r.Method, r.Path, err)
				}
				checked++
			}
			if want := map[string]int{"HMAC-SHA1": 1, "RSA-SHA1": 4}[method]; checked != want {
				t.Errorf("independently verified %d requests, want %d", checked, want)
			}
		})
	}
}

// interopOAuth1App is a ginoauth OAuth 1.0a blueprint for srv (signing
// with key when it is not nil) on the shared test app, with a route that
// shows the stored token.
func interopOAuth1App(t *testing.T, srv *ginoauthtest.OAuth1Server, key *rsa.PrivateKey) *testkit.App {
	t.Helper()
	p := srv.Provider()
	p.PrivateKey = key
	cfg := ginoauth.Config{ClientID: srv.ConsumerKey(), ClientSecret: srv.ConsumerSecret()}
	return testkit.NewApp(t, cfg, func(cfg ginoauth.Config) (*ginoauth.Blueprint, error) { return ginoauth.NewOAuth1(p, cfg) }, nil,
		func(r *gin.Engine, bp *ginoauth.Blueprint) {
			r.GET("/token.json", func(c *gin.Context) {
				tok, err := bp.Token(c)
				if err != nil {
					c.Status(http.StatusNotFound)
					return
				}
				c.JSON(http.StatusOK, tok)
			})
		})
}

// interopOAuth1Login logs b in to a and returns the stored token.
func interopOAuth1Login(t *testing.T, a *testkit.App, b *testkit.Browser) *ginoauth.Token {
	t.Helper()
	if p := b.Get(testkit.Approve(b, a.StartLogin(b, "")).String()); p.Status != http.StatusFound {
		t.Fatalf("callback: got %d %q", p.Status, p.Body)
	}
	var tok ginoauth.Token
	if err := json.Unmarshal([]byte(b.Get(a.TS.URL+"/token.json").Body), &tok); err != nil {
		t.Fatal(err)
	}
	return &tok
}

// TestInteropOAuth1IndependentVerifier: mrjones's verifier accepts the
// signatures of every request ginoauth sent in a login and API calls, and
// refuses a tampered copy. Its HMAC-SHA1 check signs without a token
// secret, so with HMAC-SHA1 it checks the request-token step; with RSA-SHA1
// (no token secret in the signature) it checks every step.
func TestInteropOAuth1IndependentVerifier(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"HMAC-SHA1", "RSA-SHA1"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			srv, key := interopOAuth1Server(t, method, "1001")
			a := interopOAuth1App(t, srv, key)
			b := testkit.NewBrowser(t, nil)
			interopOAuth1Login(t, a, b)
			for range 2 {
				if p := b.Get(a.TS.URL + "/whoami"); p.Status != http.StatusOK {
					t.Fatalf("/whoami: got %d %q", p.Status, p.Body)
				}
			}
			verifier := o1IndependentVerifier(srv, key)
			checked := 0
			for _, r := range srv.Requests() {
				if r.Path == ginoauthtest.OAuth1PathAuthorize {
					continue // the browser's page
				}
				if method == "HMAC-SHA1" && r.Path != ginoauthtest.OAuth1PathRequestToken {
					continue
				}
				if _, err := verifier.IsAuthorized(o1Replay(t, r)); err != nil {
					t.Errorf("independent verifier rejects ginoauth's %s %s: %v", r.Method, r.Path, err)
				}
				tampered := o1Replay(t, r)
				tampered.Header.Set("Authorization", strings.Replace(tampered.Header.Get("Authorization"), `oauth_nonce="`, `oauth_nonce="x`, 1))
				if _, err := verifier.IsAuthorized(tampered); err == nil {
					t.Errorf("independent verifier accepts a tampered %s", r.Path)
				}
				checked++
			}
			if want := map[string]int{"HMAC-SHA1": 1, "RSA-SHA1": 4}[method]; checked != want {
				t.Errorf("independently verified %d requests, want %d", checked, want)
			}
		})
	}
}

// TestInteropOAuth1IndependentSignerAgrees closes the gap the verifier
// leaves for HMAC-SHA1 with a token secret: mrjones's consumer signs with
// token secrets, and the test provider, which accepted ginoauth's requests,
// also accepts mrjones's requests for the token ginoauth obtained, so both
// agree on the key "consumer secret & token secret" and on the base string.
func TestInteropOAuth1IndependentSignerAgrees(t *testing.T) {
	t.Parallel()
	srv := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{AutoApprove: "1001"})
	defer srv.Close()
	a := interopOAuth1App(t, srv, nil)
	b := testkit.NewBrowser(t, nil)
	tok := interopOAuth1Login(t, a, b)
	for _, tt := range []struct {
		name, secret string
		want         int
	}{{"the right", tok.Secret, http.StatusOK}, {"a wrong", tok.Secret + "x", http.StatusUnauthorized}} {
		consumer := mrjones.NewConsumer(srv.ConsumerKey(), srv.ConsumerSecret(), mrjones.ServiceProvider{})
		client, err := consumer.MakeHttpClient(&mrjones.AccessToken{Token: tok.AccessToken, Secret: tt.secret})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Get(srv.URL + ginoauthtest.OAuth1PathWhoami + "?via=mrjones")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("mrjones-signed request with %s token secret: got %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	if p := b.Get(a.TS.URL + "/whoami"); p.Status != http.StatusOK {
		t.Fatalf("ginoauth-signed request: got %d", p.Status)
	}
}
