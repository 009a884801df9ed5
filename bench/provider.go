package bench

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// GitHub's endpoints, as the three implementations know them. In loopback
// mode a rewriting transport sends these hosts to the local provider.
const (
	AuthURL    = "https://github.com/login/oauth/authorize"
	TokenURL   = "https://github.com/login/oauth/access_token"
	ProfileURL = "https://api.github.com/user"
	EmailURL   = "https://api.github.com/user/emails"
)

// The client credentials and the user the provider logs in.
const (
	ClientID     = "Iv1.8a61f9b3a7aba766"
	ClientSecret = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
	Username     = "octocat"
	UserID       = "583231"
)

// Scopes are the scopes every implementation asks for: the public profile
// and the email addresses, so that each of them reads /user and
// /user/emails during a login.
var Scopes = []string{"read:user", "user:email"}

// GitHub-shaped API answers. The user keeps the email private, as most
// GitHub users do, so the address comes from /user/emails.
const (
	userJSON = `{"login":"octocat","id":583231,"node_id":"MDQ6VXNlcjU4MzIzMQ==",` +
		`"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","type":"User","site_admin":false,` +
		`"name":"The Octocat","company":"@github","blog":"https://github.blog","location":"San Francisco",` +
		`"email":null,"bio":null,"public_repos":8,"followers":1000,"following":9,` +
		`"created_at":"2011-01-25T18:44:36Z","updated_at":"2025-01-01T00:00:00Z"}`
	emailsJSON = `[{"email":"octocat@github.com","primary":true,"verified":true,"visibility":"private"},` +
		`{"email":"octocat@users.noreply.github.com","primary":false,"verified":true,"visibility":null}]`
)

// Provider is a small GitHub-shaped authorization server and API. It checks
// what a real one checks: the client's credentials, that each code is used
// once with the redirect URI and PKCE verifier of its login, that each
// refresh token is used once (they rotate), and that API requests carry an
// access token it issued. It answers in process (as an http.RoundTripper)
// or over loopback HTTP (as an http.Handler), optionally after a delay.
//
// Codes are issued by [Provider.Approve], which plays the user approving
// the login on the provider's page.
type Provider struct {
	// ShortLived makes access tokens expire within x/oauth2's and
	// ginoauth's ten-second early-expiry window, so every API call with a
	// stored token has to refresh it first. Optional. Default false.
	ShortLived bool
	// Latency delays every answer served over HTTP (loopback mode).
	// Optional. Default 0.
	Latency time.Duration

	codes   sync.Map // code -> grant
	refresh sync.Map // live refresh token -> struct{}

	next         atomic.Int64 // token and code serial
	issuedTokens atomic.Int64
	exchanges    atomic.Int64
	refreshes    atomic.Int64
	apiCalls     atomic.Int64
}

type grant struct {
	redirectURI string
	challenge   string // S256 PKCE challenge, if the login sent one
}

// Counts is what a Provider has served so far.
type Counts struct {
	Exchanges int64 // codes exchanged for tokens
	Refreshes int64 // refresh grants served
	APICalls  int64 // authorized API requests answered 200
}

// Counts returns how many exchanges, refreshes and authorized API calls the
// provider has served.
func (p *Provider) Counts() Counts {
	return Counts{Exchanges: p.exchanges.Load(), Refreshes: p.refreshes.Load(), APICalls: p.apiCalls.Load()}
}

// Approve plays the provider's authorization page: it checks the
// authorization URL an implementation redirected to and returns the
// callback URL the browser is sent back to, with a fresh single-use code.
func (p *Provider) Approve(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	if u.Scheme+"://"+u.Host+u.Path != AuthURL {
		return "", errors.New("bench: login redirected elsewhere than GitHub's authorization page")
	}
	q := u.Query()
	if q.Get("client_id") != ClientID || q.Get("response_type") != "code" {
		return "", errors.New("bench: authorization URL lacks the client ID or response type")
	}
	state, redirect := q.Get("state"), q.Get("redirect_uri")
	if len(state) < 16 || redirect == "" {
		return "", errors.New("bench: authorization URL lacks a state or a redirect URI")
	}
	g := grant{redirectURI: redirect}
	if m := q.Get("code_challenge_method"); m != "" {
		if m != "S256" {
			return "", errors.New("bench: PKCE method is not S256")
		}
		g.challenge = q.Get("code_challenge")
	}
	code := "c" + strconv.FormatInt(p.next.Add(1), 36) + "ab5c6d7e8f90"
	p.codes.Store(code, g)
	sep := "?"
	if strings.Contains(redirect, "?") {
		sep = "&"
	}
	return redirect + sep + "code=" + code + "&state=" + url.QueryEscape(state), nil
}

// RoundTrip answers in process, for the library-overhead benchmarks.
func (p *Provider) RoundTrip(r *http.Request) (*http.Response, error) {
	status, ct, body := p.answer(r)
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {ct}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// ServeHTTP answers over HTTP after Latency, for the end-to-end benchmarks.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.Latency > 0 {
		t := time.NewTimer(p.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	status, ct, body := p.answer(r)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (p *Provider) answer(r *http.Request) (status int, contentType, body string) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/login/oauth/access_token":
		return p.token(r)
	case r.Method == http.MethodGet && r.URL.Path == "/user":
		if !p.authorized(r) {
			return unauthorized()
		}
		p.apiCalls.Add(1)
		return http.StatusOK, "application/json; charset=utf-8", userJSON
	case r.Method == http.MethodGet && r.URL.Path == "/user/emails":
		if !p.authorized(r) {
			return unauthorized()
		}
		return http.StatusOK, "application/json; charset=utf-8", emailsJSON
	}
	return http.StatusNotFound, "application/json; charset=utf-8", `{"message":"Not Found"}`
}

func unauthorized() (int, string, string) {
	return http.StatusUnauthorized, "application/json; charset=utf-8", `{"message":"Bad credentials","status":"401"}`
}

// authorized accepts "Bearer gho_N" or "token gho_N" for an N it issued.
func (p *Provider) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	var tok string
	switch {
	case strings.HasPrefix(h, "Bearer "):
		tok = h[len("Bearer "):]
	case strings.HasPrefix(h, "token "):
		tok = h[len("token "):]
	default:
		return false
	}
	if !strings.HasPrefix(tok, "gho_") {
		return false
	}
	n, err := strconv.ParseInt(tok[len("gho_"):], 36, 64)
	return err == nil && n > 0 && n <= p.issuedTokens.Load()
}

func tokenError(code string) (int, string, string) {
	// GitHub answers token errors with 200 and an error field; x/oauth2
	// handles that for form bodies. A 400 is what RFC 6749 says, and every
	// implementation here treats it as a failure.
	return http.StatusBadRequest, "application/json; charset=utf-8", `{"error":"` + code + `"}`
}

func (p *Provider) token(r *http.Request) (int, string, string) {
	if err := r.ParseForm(); err != nil {
		return tokenError("invalid_request")
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if id != ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
		return tokenError("invalid_client")
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		v, ok := p.codes.LoadAndDelete(r.PostForm.Get("code"))
		if !ok {
			return tokenError("invalid_grant")
		}
		g := v.(grant)
		if r.PostForm.Get("redirect_uri") != g.redirectURI {
			return tokenError("invalid_grant")
		}
		if g.challenge != "" {
			sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
			if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
				return tokenError("invalid_grant")
			}
		}
		p.exchanges.Add(1)
	case "refresh_token":
		if _, ok := p.refresh.LoadAndDelete(r.PostForm.Get("refresh_token")); !ok {
			return tokenError("invalid_grant")
		}
		p.refreshes.Add(1)
	default:
		return tokenError("unsupported_grant_type")
	}
	return p.issue(strings.Contains(r.Header.Get("Accept"), "application/json"))
}

// issue mints an access token and a rotating refresh token, in the shape
// of GitHub's expiring user tokens: form-encoded unless JSON was asked for.
func (p *Provider) issue(asJSON bool) (int, string, string) {
	n := p.next.Add(1)
	// The serial orders issued tokens, so authorized can check them
	// without a map: every serial up to issuedTokens has been issued.
	for {
		cur := p.issuedTokens.Load()
		if cur >= n || p.issuedTokens.CompareAndSwap(cur, n) {
			break
		}
	}
	access := "gho_" + strconv.FormatInt(n, 36)
	refresh := "ghr_" + strconv.FormatInt(n, 36) + "x7Qe2mWvR4"
	p.refresh.Store(refresh, struct{}{})
	expires := "28800"
	if p.ShortLived {
		expires = "5"
	}
	if asJSON {
		return http.StatusOK, "application/json; charset=utf-8", `{"access_token":"` + access +
			`","expires_in":` + expires + `,"refresh_token":"` + refresh +
			`","refresh_token_expires_in":15811200,"scope":"read:user,user:email","token_type":"bearer"}`
	}
	return http.StatusOK, "application/x-www-form-urlencoded; charset=utf-8", "access_token=" + access +
		"&expires_in=" + expires + "&refresh_token=" + refresh +
		"&refresh_token_expires_in=15811200&scope=read%3Auser%2Cuser%3Aemail&token_type=bearer"
}

// rewriteTransport sends requests for GitHub's hosts to a loopback server.
type rewriteTransport struct {
	host string // 127.0.0.1:port
	base http.RoundTripper
}

func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme = "http"
	r2.URL.Host = t.host
	r2.Host = ""
	return t.base.RoundTrip(r2)
}
