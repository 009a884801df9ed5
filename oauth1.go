package ginoauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dghubble/oauth1"
	"github.com/gin-gonic/gin"
)

// OAuth1Provider describes an OAuth 1.0a provider (RFC 5849). It is plain
// data, like [Provider]: providers/jira and providers/twitter return
// ready-made values, and [NewOAuth1] accepts any other.
//
// The consumer key is Config.ClientID and, for HMAC-SHA1, the consumer
// secret is Config.ClientSecret.
type OAuth1Provider struct {
	// Name is the default blueprint name: the route segment, the session
	// key prefix and the storage key, e.g. "twitter". Required.
	Name string
	// RequestTokenURL is the temporary credentials endpoint (RFC 5849
	// section 2.1). Required.
	RequestTokenURL string
	// AuthorizeURL is the resource owner authorization page (section 2.2).
	// Required.
	AuthorizeURL string
	// AccessTokenURL is the token credentials endpoint (section 2.3).
	// Required.
	AccessTokenURL string
	// APIBaseURL is the base that relative URLs given to [Blueprint.Client]
	// are resolved against. Optional.
	APIBaseURL string
	// RevocationURL is an endpoint that invalidates the token when it
	// receives a signed POST carrying it, such as X's
	// oauth/invalidate_token; [Blueprint.Logout] calls it. OAuth 1.0a
	// defines no revocation, so it is optional. Default none: Logout only
	// deletes the stored token.
	RevocationURL string
	// PrivateKey is the consumer's RSA private key. When set, requests are
	// signed with RSA-SHA1 (RSASSA-PKCS1-v1_5 over SHA-1; the provider
	// holds the public key, as Jira does). Optional. Default nil: HMAC-SHA1,
	// keyed by the consumer secret (Config.ClientSecret) and the token
	// secret (RFC 5849 section 3.4).
	PrivateKey *rsa.PrivateKey
	// Realm is sent as the realm parameter of the Authorization header.
	// Optional. Default none.
	Realm string
	// AuthParams are extra parameters of the authorization URL (X's
	// force_login, for example); Config.AuthParams adds to and overrides
	// them. Optional.
	AuthParams map[string]string
	// Header is added to every API request made with [Blueprint.Client]
	// (Jira's JSON Content-Type). Optional.
	Header http.Header
	// Profile fetches the normalized user profile. Optional.
	Profile func(ctx context.Context, client *http.Client, t *Token) (*Profile, error)
}

// NewOAuth1 checks cfg against p and returns an OAuth 1.0a blueprint. It has
// the same routes, hooks, storage, error handling, Client, Authorized,
// Required and Logout as an OAuth 2 blueprint from [New]:
//
//   - the login route obtains a request token, signed and carrying the
//     callback URL, keeps it and its secret in the user's session, and
//     redirects to the provider's authorization page;
//   - the authorized route accepts only the request token this session was
//     given (once), and exchanges it and the oauth_verifier for the access
//     token with a request signed with the request token's secret;
//   - the token, its secret (Token.Secret) and every other field of the
//     provider's answer (Token.Extra: X's user_id and screen_name, ...) go
//     through the Authorized hook to the storage;
//   - Client signs each API request with the stored token.
//
// Config.ClientID is the consumer key; Config.ClientSecret the consumer
// secret, required for HMAC-SHA1. Config fields that have no OAuth 1
// meaning (Scopes, TokenParams, ClientSecretFunc, ClientAssertion) are refused. NewOAuth1
// never panics; a configuration mistake is an *Error of kind KindConfig.
func NewOAuth1(p OAuth1Provider, cfg Config) (*Blueprint, error) {
	name := cfg.Name
	if name == "" {
		name = p.Name
	}
	for _, e := range []struct{ field, u string }{
		{"RequestTokenURL", p.RequestTokenURL},
		{"AuthorizeURL", p.AuthorizeURL},
		{"AccessTokenURL", p.AccessTokenURL},
	} {
		if e.u == "" {
			return nil, configError(name, "OAuth1Provider."+e.field+" is required")
		}
		if !httpURL(e.u) {
			return nil, configError(name, "OAuth1Provider."+e.field+" must be an absolute http or https URL")
		}
	}
	if p.RevocationURL != "" && !httpURL(p.RevocationURL) {
		return nil, configError(name, "OAuth1Provider.RevocationURL must be an absolute http or https URL")
	}
	var signer oauth1.Signer
	if p.PrivateKey != nil {
		if err := p.PrivateKey.Validate(); err != nil {
			return nil, configError(name, "OAuth1Provider.PrivateKey is not a valid RSA key")
		}
		signer = &oauth1.RSASigner{PrivateKey: p.PrivateKey}
	} else {
		if cfg.ClientSecret == "" {
			return nil, configError(name, "ClientSecret (the consumer secret) is required for HMAC-SHA1 (or set OAuth1Provider.PrivateKey for RSA-SHA1)")
		}
		signer = &oauth1.HMACSigner{ConsumerSecret: cfg.ClientSecret}
	}
	switch {
	case cfg.Scopes != nil:
		return nil, configError(name, "Scopes have no meaning in OAuth 1.0a")
	case cfg.TokenParams != nil:
		return nil, configError(name, "TokenParams have no meaning in OAuth 1.0a")
	case cfg.ClientSecretFunc != nil:
		return nil, configError(name, "ClientSecretFunc is not supported in OAuth 1.0a")
	case cfg.ClientAssertion != nil:
		return nil, configError(name, "ClientAssertion is not supported in OAuth 1.0a")
	}
	b, err := newBlueprint(Provider{
		Name:       p.Name,
		APIBaseURL: p.APIBaseURL,
		AuthParams: p.AuthParams,
		Header:     p.Header.Clone(),
		Profile:    p.Profile,
	}, cfg)
	if err != nil {
		return nil, err
	}
	b.flow = &oauth1Flow{
		revocationURL: p.RevocationURL,
		cfg: oauth1.Config{
			ConsumerKey:    cfg.ClientID,
			ConsumerSecret: cfg.ClientSecret,
			Endpoint: oauth1.Endpoint{
				RequestTokenURL: p.RequestTokenURL,
				AuthorizeURL:    p.AuthorizeURL,
				AccessTokenURL:  p.AccessTokenURL,
			},
			Realm: p.Realm,
			// Set now so that dghubble/oauth1 never fills defaults into
			// the shared value while requests run.
			Signer: signer,
			Noncer: oauth1.Base64Noncer{},
		},
	}
	return b, nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// oauth1Flow is the OAuth 1.0a flow. cfg is a template: each request works
// on a copy carrying its callback URL and HTTP client.
type oauth1Flow struct {
	cfg           oauth1.Config
	revocationURL string
}

func (f *oauth1Flow) login(c *gin.Context, b *Blueprint) {
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		b.fail(c, &Error{Kind: KindConfig, Err: err})
		return
	}
	next := c.Query("next")
	if next == "" && c.Request.Method == http.MethodPost {
		next = c.PostForm("next")
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), b.timeout())
	defer cancel()
	client, capture := f.endpointClient(ctx, b)
	cfg := f.cfg
	cfg.CallbackURL = b.callbackURL(c)
	cfg.HTTPClient = client
	reqToken, reqSecret, err := cfg.RequestToken()
	if err != nil {
		b.fail(c, endpointFailure(KindExchangeFailed, "request-token", capture, err))
		return
	}
	authURL, err := cfg.AuthorizationURL(reqToken)
	if err != nil {
		b.fail(c, &Error{Kind: KindConfig, Err: errors.New("AuthorizeURL does not parse")})
		return
	}
	if len(b.cfg.AuthParams) > 0 {
		q := authURL.Query()
		for k, v := range b.cfg.AuthParams {
			if k != "oauth_token" {
				q.Set(k, v)
			}
		}
		authURL.RawQuery = q.Encode()
	}
	now := b.cfg.Now()
	p := pendingLogin{State: rand.Text(), ReqToken: reqToken, ReqSecret: reqSecret, Created: now.Unix()}
	if next != "" && !b.cfg.DisableNext && safeNext(next) {
		p.Next = next
	}
	if err := b.addPendingLogin(s, p, now); err != nil {
		b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
		return
	}
	if b.runBeforeLogin(c, authURL.String()) {
		return
	}
	b.logDebug("ginoauth: login: redirecting to provider")
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, authURL.String())
}

// deniedVerifier is the oauth_verifier Jira sends when the user denies
// access; X sends a "denied" parameter instead.
const deniedVerifier = "denied"

const formContentType = "application/x-www-form-urlencoded"

func (f *oauth1Flow) authorized(c *gin.Context, b *Blueprint) {
	q := c.Request.URL.Query()
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		b.fail(c, &Error{Kind: KindConfig, Err: err})
		return
	}
	now := b.cfg.Now()
	key := q.Get("oauth_token")
	denied := q.Get("denied")
	if key == "" {
		key = denied
	}
	// The request token is consumed first, whatever happens next.
	p, found, anyPending := b.takePendingLogin(s, key, true, now)
	if !found { // a denial needs this session's request token too
		kind := KindStateMissing
		if anyPending && key != "" {
			kind = KindStateMismatch
		}
		b.fail(c, &Error{Kind: kind})
		return
	}
	verifier := q.Get("oauth_verifier")
	if denied != "" || verifier == deniedVerifier {
		b.fail(c, &Error{Kind: KindProviderDenied, Code: "access_denied"})
		return
	}
	if verifier == "" {
		b.fail(c, &Error{Kind: KindCodeMissing})
		return
	}
	t, gerr := f.exchange(c, b, p, verifier)
	if gerr != nil {
		b.fail(c, gerr)
		return
	}
	b.finishLogin(c, t, p.Next)
}

// exchange trades the authorized request token and the verifier for the
// access token, keeping every field of the answer.
func (f *oauth1Flow) exchange(c *gin.Context, b *Blueprint, p pendingLogin, verifier string) (*Token, *Error) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), b.timeout())
	defer cancel()
	client, capture := f.endpointClient(ctx, b)
	cfg := f.cfg
	cfg.HTTPClient = client
	accessToken, accessSecret, err := cfg.AccessToken(p.ReqToken, p.ReqSecret, verifier)
	if err != nil {
		return nil, endpointFailure(KindExchangeFailed, "access-token", capture, err)
	}
	t := &Token{AccessToken: accessToken, Secret: accessSecret}
	for k, v := range parseTokenBody(capture.body).all() {
		if k == "oauth_token" || k == "oauth_token_secret" {
			continue
		}
		if t.Extra == nil {
			t.Extra = map[string]any{}
		}
		t.Extra[k] = v
	}
	return t, nil
}

// endpointClient is the HTTP client for one token-endpoint request: bound
// to ctx, with the blueprint's transport, keeping the answer's status and
// body.
func (f *oauth1Flow) endpointClient(ctx context.Context, b *Blueprint) (*http.Client, *oauth1Capture) {
	capture := &oauth1Capture{ctx: ctx, base: b.baseTransport()}
	return &http.Client{
		Transport:     capture,
		CheckRedirect: b.cfg.HTTPClient.CheckRedirect,
		Timeout:       b.cfg.HTTPClient.Timeout,
	}, capture
}

// oauth1Capture runs a token-endpoint request under ctx (dghubble/oauth1's
// token calls take no context) and keeps the answer's status and body.
type oauth1Capture struct {
	ctx    context.Context
	base   http.RoundTripper
	status int
	body   []byte
}

func (t *oauth1Capture) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r.WithContext(t.ctx))
	if err != nil {
		return nil, err
	}
	if t.body, err = keepBody(resp); err != nil {
		return nil, err
	}
	t.status = resp.StatusCode
	return resp, nil
}

// endpointFailure describes a failed token-endpoint request without the
// answer's body, which may echo what was sent. The provider's
// oauth_problem (the OAuth Problem Reporting extension) becomes Code.
func endpointFailure(kind ErrorKind, step string, capture *oauth1Capture, err error) *Error {
	ge := &Error{Kind: kind}
	if capture.status != 0 {
		if vals, perr := url.ParseQuery(strings.TrimSpace(string(capture.body))); perr == nil {
			ge.Code = clip(vals.Get("oauth_problem"), 64)
		}
	}
	switch {
	case capture.status == 0:
		ge.Err = fmt.Errorf("%s request: %w", step, redactURLError(err))
	case capture.status != http.StatusOK && capture.status != http.StatusCreated:
		if ge.Code != "" {
			ge.Err = fmt.Errorf("%s endpoint answered %d %s", step, capture.status, ge.Code)
		} else {
			ge.Err = fmt.Errorf("%s endpoint answered %d", step, capture.status)
		}
	default:
		// A 200 whose body lacks the token, its secret or (for request
		// tokens) oauth_callback_confirmed=true. dghubble/oauth1's
		// messages for these name the fields, never their values.
		ge.Err = fmt.Errorf("%s endpoint answer: %w", step, err)
	}
	return ge
}
