package ginoauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"
)

// oauth2Flow is the OAuth 2 authorization code flow with PKCE.
type oauth2Flow struct{}

// StartLogin begins a login for c's session and returns the provider's
// authorization URL instead of redirecting to it, for single-page apps that
// navigate themselves. next is where the browser goes after the login (only
// same-site relative paths are kept). The BeforeLogin hook does not run.
func (b *Blueprint) StartLogin(c *gin.Context, next string) (string, error) {
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		return "", &Error{Kind: KindConfig, Provider: b.name, Err: err}
	}
	if _, ok := b.flow.(oauth2Flow); !ok {
		return "", fmt.Errorf("ginoauth: %s: StartLogin is for OAuth 2 blueprints", b.name)
	}
	authURL, err := b.beginOAuth2(c, s, next)
	if err != nil {
		return "", err
	}
	return authURL, nil
}

func (b *Blueprint) beginOAuth2(c *gin.Context, s sessions.Session, next string) (string, error) {
	now := b.cfg.Now()
	p := pendingLogin{State: rand.Text(), Created: now.Unix()}
	if next != "" && !b.cfg.DisableNext && safeNext(next) {
		p.Next = next
	}
	opts := make([]oauth2.AuthCodeOption, 0, len(b.cfg.AuthParams)+3)
	if !b.provider.DisablePKCE {
		p.Verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(p.Verifier))
	}
	if b.provider.OpenID {
		p.Nonce = rand.Text()
		opts = append(opts, oauth2.SetAuthURLParam("nonce", p.Nonce))
	}
	for k, v := range b.cfg.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	cfg := b.oauthFor(c)
	authURL := cfg.AuthCodeURL(p.State, opts...)
	if sep := b.provider.ScopeSeparator; sep != "" && sep != " " && len(cfg.Scopes) > 1 {
		authURL = rewriteScope(authURL, strings.Join(cfg.Scopes, sep))
	}
	if err := b.addPendingLogin(s, p, now); err != nil {
		return "", &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	}
	return authURL, nil
}

func rewriteScope(authURL, scope string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return authURL
	}
	q := u.Query()
	q.Set("scope", scope)
	u.RawQuery = q.Encode()
	return u.String()
}

// oauthFor is the oauth2.Config for this request (its callback URL).
func (b *Blueprint) oauthFor(c *gin.Context) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     b.oauth.ClientID,
		ClientSecret: b.oauth.ClientSecret,
		Endpoint:     b.oauth.Endpoint,
		Scopes:       b.oauth.Scopes,
		RedirectURL:  b.callbackURL(c),
	}
}

func (oauth2Flow) login(c *gin.Context, b *Blueprint) {
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		b.fail(c, &Error{Kind: KindConfig, Err: err})
		return
	}
	next := c.Query("next")
	if next == "" && c.Request.Method == http.MethodPost {
		next = c.PostForm("next")
	}
	authURL, err := b.beginOAuth2(c, s, next)
	if err != nil {
		ge, _ := asError(err)
		b.fail(c, ge)
		return
	}
	if b.runBeforeLogin(c, authURL) {
		return
	}
	b.logDebug("ginoauth: login: redirecting to provider")
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, authURL)
}

// callbackParams reads the callback's parameters from the query, or from
// the form for a form_post callback.
func callbackParams(c *gin.Context) url.Values {
	q := c.Request.URL.Query()
	if c.Request.Method == http.MethodPost {
		if err := c.Request.ParseForm(); err == nil {
			for k, v := range c.Request.PostForm {
				q[k] = v
			}
		}
	}
	return q
}

func (oauth2Flow) authorized(c *gin.Context, b *Blueprint) {
	q := callbackParams(c)
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		b.fail(c, &Error{Kind: KindConfig, Err: err})
		return
	}
	now := b.cfg.Now()
	if c.Request.Method == http.MethodPost && len(b.pendingLogins(s, now)) == 0 && q.Get(resubmitField) == "" {
		// A cross-site form_post callback carries no SameSite=Lax session
		// cookie. Post the same fields again from this site, which brings
		// the cookie, rather than loosening it or moving them into a URL.
		b.resubmit(c, q)
		return
	}
	// The state is consumed first, whatever happens next.
	p, found, anyPending, err := b.takePendingLogin(s, q.Get("state"), false, now)
	if err != nil {
		b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
		return
	}
	// An answer without a state this session issued is refused as such,
	// whatever else it says: anyone can link to the callback with an
	// ?error= of their choosing.
	if !found {
		kind := KindStateMissing
		if anyPending && q.Get("state") != "" {
			kind = KindStateMismatch
		}
		b.fail(c, &Error{Kind: kind})
		return
	}
	if errCode := q.Get("error"); errCode != "" {
		b.fail(c, &Error{Kind: KindProviderDenied, Code: errorField(errCode, 64),
			Description: errorField(q.Get("error_description"), 256), URI: errorURIField(q.Get("error_uri"), 256)})
		return
	}
	if iss := q.Get("iss"); b.provider.Issuer != "" && (iss != "" || b.provider.RequireIssuerParam) && iss != b.provider.Issuer {
		b.fail(c, &Error{Kind: KindIssuerMismatch})
		return
	}
	code := q.Get("code")
	if code == "" {
		b.fail(c, &Error{Kind: KindCodeMissing})
		return
	}
	t, gerr := b.exchange(c, code, p)
	if gerr != nil {
		b.fail(c, gerr)
		return
	}
	for _, name := range b.provider.CallbackParams {
		if v := q.Get(name); v != "" {
			if t.Extra == nil {
				t.Extra = map[string]any{}
			}
			t.Extra[name] = clip(v, 4096)
		}
	}
	b.finishLogin(c, t, p.Next)
}

// finishLogin runs the Authorized hook, stores the token and redirects. It
// is shared by the OAuth 2 and OAuth 1 flows. The session (with the consumed
// login state) is saved before the hook runs, when there is a hook that
// could answer by itself, and otherwise once, together with the token.
func (b *Blueprint) finishLogin(c *gin.Context, t *Token, next string) {
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		b.fail(c, &Error{Kind: KindConfig, Err: err})
		return
	}
	if err := renewSessionID(s); err != nil {
		b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
		return
	}
	if b.hooks.Authorized != nil {
		if err := s.Save(); err != nil {
			b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
			return
		}
	}
	// While the hook runs, the request's token is the new one, in memory:
	// its API calls may refresh it (and spend its refresh token, with a
	// provider that rotates them), so what is stored is the latest.
	pending := &pendingRef{t: t}
	c.Set(sourceKey{b}, &tokenSource{b: b, ref: pending})
	outcome := b.runAuthorized(c, t)
	c.Set(sourceKey{b}, nil)
	t = pending.token()
	if t == nil {
		outcome = skipStore // the hook deleted it
	}
	switch outcome {
	case hookDone:
		return
	case storeToken:
		if err := b.SetToken(c, t); err != nil {
			b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
			return
		}
	}
	// A no-op when the session storage saved it already.
	if err := s.Save(); err != nil {
		b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
		return
	}
	b.logDebug("ginoauth: login complete")
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, b.afterLoginURL(next))
}

// errorField keeps the characters RFC 6749 allows in error and
// error_description (%x20-21 / %x23-5B / %x5D-7E: printable ASCII but " and
// \), at most n bytes, so a provider's (or a forger's) text cannot add lines
// to a log or markup to a page.
func errorField(s string, n int) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, clip(s, n))
}

// errorURIField is errorField for error_uri, which allows no space either.
func errorURIField(s string, n int) string {
	return strings.ReplaceAll(errorField(s, n), " ", "")
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// exchange trades the code for a token, keeping every field of the response.
func (b *Blueprint) exchange(c *gin.Context, code string, p pendingLogin) (*Token, *Error) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), b.timeout())
	defer cancel()
	cfg := b.oauthFor(c)
	if err := b.freshSecret(ctx, cfg); err != nil {
		return nil, &Error{Kind: KindConfig, Err: err}
	}
	opts := make([]oauth2.AuthCodeOption, 0, len(b.cfg.TokenParams)+1)
	if p.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(p.Verifier))
	}
	for k, v := range b.cfg.TokenParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	capture := &captureTransport{base: b.baseTransport()}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: capture, Timeout: b.cfg.HTTPClient.Timeout})
	ot, err := cfg.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, tokenEndpointError(KindExchangeFailed, err)
	}
	t := tokenFromResponse(ot, capture.body, b.cfg.Now())
	if b.provider.VerifyIDToken != nil {
		if t.IDToken == "" && b.provider.OpenID {
			return nil, &Error{Kind: KindIDTokenInvalid, Err: errors.New("token response has no id_token")}
		}
		if t.IDToken != "" {
			claims, err := b.provider.VerifyIDToken(ctx, b.oauth.ClientID, t.IDToken, p.Nonce)
			if err != nil {
				return nil, &Error{Kind: KindIDTokenInvalid, Err: err}
			}
			if claims != nil {
				if t.Extra == nil {
					t.Extra = map[string]any{}
				}
				t.Extra[claimsKey] = claims
			}
		}
	}
	return t, nil
}

func (b *Blueprint) freshSecret(ctx context.Context, cfg *oauth2.Config) error {
	if b.cfg.ClientSecretFunc == nil {
		return nil
	}
	secret, err := b.cfg.ClientSecretFunc(ctx)
	if err != nil {
		return fmt.Errorf("ClientSecretFunc: %w", err)
	}
	cfg.ClientSecret = secret
	return nil
}

func (b *Blueprint) baseTransport() http.RoundTripper {
	if t := b.cfg.HTTPClient.Transport; t != nil {
		return t
	}
	return http.DefaultTransport
}
