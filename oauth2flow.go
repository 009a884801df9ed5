package ginoauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	if next != "" && !b.cfg.DisableNext && SafeNext(next) {
		p.Next = next
	}
	opts := make([]oauth2.AuthCodeOption, 0, len(b.cfg.AuthParams)+3)
	if !b.cfg.DisablePKCE && !b.provider.DisablePKCE {
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
		return "", &Error{Kind: KindSessionFailed, Provider: b.name, Err: err}
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
		ge, _ := AsError(err)
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
		b.fail(c, &Error{Kind: KindSessionFailed, Err: err})
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
		b.fail(c, &Error{Kind: KindSessionFailed, Err: err})
		return
	}
	if b.hooks.Authorized != nil {
		if err := s.Save(); err != nil {
			b.fail(c, &Error{Kind: KindSessionFailed, Err: err})
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
		b.fail(c, &Error{Kind: KindSessionFailed, Err: err})
		return
	}
	b.logDebug("ginoauth: login complete")
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, b.afterLoginURL(next))
}

// resubmitField marks a form_post callback posted again from this site.
const resubmitField = "_ginoauth_resubmit"

// callbackFields are the fields of an authorization response (RFC 6749,
// RFC 9207, OpenID Connect's id_token).
var callbackFields = []string{"code", "state", "iss", "id_token", "error", "error_description", "error_uri"}

// The resubmit page carries at most maxResubmitFields fields of at most
// maxResubmitValue bytes each.
const (
	maxResubmitFields = 16
	maxResubmitValue  = 8 << 10
)

var resubmitPage = template.Must(template.New("resubmit").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing in</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"></head>
<body><form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<input type="hidden" name="` + resubmitField + `" value="1">
<noscript><p>Press the button to finish signing in.</p><button type="submit">Continue</button></noscript>
</form><script nonce="{{.Nonce}}">document.forms[0].submit()</script></body></html>
`))

type formField struct{ Name, Value string }

// resubmit answers a cross-site form_post callback with a page that posts
// the same fields to the same route from this site.
func (b *Blueprint) resubmit(c *gin.Context, q url.Values) {
	names := make([]string, 0, len(q))
	for k, vs := range q {
		// A form_post answer has a handful of short fields (code, state,
		// id_token, Apple's user): echo no more than that back.
		if len(vs) > 0 && k != resubmitField && len(k) <= 64 && len(vs[0]) <= maxResubmitValue {
			names = append(names, k)
		}
	}
	// The authorization response's own fields first, then the others.
	rank := func(k string) int {
		if slices.Contains(callbackFields, k) || slices.Contains(b.provider.CallbackParams, k) {
			return 0
		}
		return 1
	}
	slices.SortFunc(names, func(x, y string) int {
		if d := rank(x) - rank(y); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	names = names[:min(len(names), maxResubmitFields)]
	fields := make([]formField, 0, len(names))
	for _, k := range names {
		fields = append(fields, formField{k, q.Get(k)})
	}
	nonce := rand.Text()
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; form-action 'self'; frame-ancestors 'none'")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	_ = resubmitPage.Execute(c.Writer, map[string]any{"Action": b.mountedAuthorized, "Fields": fields, "Nonce": nonce})
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
	ctx, cancel := context.WithTimeout(c.Request.Context(), b.cfg.Timeout)
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
	ctx = WithClientID(ctx, b.oauth.ClientID)
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
			claims, err := b.provider.VerifyIDToken(ctx, t.IDToken, p.Nonce)
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

// tokenEndpointError turns an x/oauth2 error into an *Error with the
// provider's RFC 6749 fields; the raw body is kept only inside Err.
func tokenEndpointError(kind ErrorKind, err error) *Error {
	ge := &Error{Kind: kind, Err: err}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		ge.Code = clip(re.ErrorCode, 64)
		ge.Description = clip(re.ErrorDescription, 256)
		ge.URI = clip(re.ErrorURI, 256)
		// RetrieveError's message includes the response body, which can echo
		// what was sent; keep only the status and the RFC fields.
		ge.Err = &providerError{status: re.Response.StatusCode, code: ge.Code, cause: re}
	}
	return ge
}

// providerError describes a token endpoint failure without its body.
type providerError struct {
	status int
	code   string
	cause  *oauth2.RetrieveError
}

func (e *providerError) Error() string {
	if e.code != "" {
		return fmt.Sprintf("token endpoint answered %d %s", e.status, e.code)
	}
	return fmt.Sprintf("token endpoint answered %d", e.status)
}

func (e *providerError) Unwrap() error { return e.cause }

// captureTransport keeps the body of the token endpoint's response, so no
// field of it is lost (x/oauth2 exposes only the ones it knows). It adds
// extra to the request's form body (x/oauth2's refresh takes no extra
// parameters).
type captureTransport struct {
	base  http.RoundTripper
	extra map[string]string
	body  []byte
}

const maxTokenResponse = 1 << 20

func (t *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.extra) > 0 && r.Body != nil {
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxTokenResponse))
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, err
		}
		for k, v := range t.extra {
			form.Set(k, v)
		}
		enc := form.Encode()
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(strings.NewReader(enc))
		r.ContentLength = int64(len(enc))
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	t.body = body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// standard token response fields, which have their own Token fields, and
// the Extra keys the library derives itself (a response cannot set them).
var standardFields = map[string]bool{
	"access_token": true, "token_type": true, "refresh_token": true,
	"expires_in": true, "id_token": true, "scope": true,
	claimsKey: true,
}

// claimsKey is the Extra key of the verified ID token's claims.
const claimsKey = "id_token_claims"

// tokenFromResponse builds a Token from x/oauth2's token and the raw
// response body (JSON or form-encoded), received at now.
func tokenFromResponse(ot *oauth2.Token, body []byte, now time.Time) *Token {
	t := &Token{
		AccessToken:  ot.AccessToken,
		TokenType:    ot.Type(),
		RefreshToken: ot.RefreshToken,
		Expiry:       ot.Expiry,
		ExpiresIn:    ot.ExpiresIn,
	}
	if ot.TokenType == "" {
		t.TokenType = ""
	}
	if t.ExpiresIn > 0 {
		// By the blueprint's clock, which tests may move.
		t.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	fields := parseTokenBody(body)
	for k, v := range fields {
		switch k {
		case "id_token":
			t.IDToken, _ = v.(string)
		case "scope":
			t.Scopes = splitScopes(v)
		case "expires_at":
			// A provider that gives only an absolute expiry (Unix seconds).
			if at, ok := v.(int64); ok && t.Expiry.IsZero() && at > 0 {
				t.Expiry = time.Unix(at, 0)
				t.ExpiresIn = max(at-now.Unix(), 1)
			}
			fallthrough
		default:
			if !standardFields[k] {
				if t.Extra == nil {
					t.Extra = make(map[string]any, len(fields))
				}
				t.Extra[k] = v
			}
		}
	}
	return t
}

func parseTokenBody(body []byte) map[string]any {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '{' {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if d.Decode(&m) == nil {
			for k, v := range m {
				if n, ok := v.(json.Number); ok {
					if i, err := n.Int64(); err == nil {
						m[k] = i
					} else if f, err := n.Float64(); err == nil {
						m[k] = f
					} else {
						// Out of float64's range: kept as text, so that
						// the stored token still decodes.
						m[k] = n.String()
					}
				}
			}
			return m
		}
		return nil
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	m := make(map[string]any, len(vals))
	for k, v := range vals {
		// A field whose name is not UTF-8 could not be stored as JSON
		// without turning into another name.
		if len(v) > 0 && utf8.ValidString(k) {
			m[k] = strings.ToValidUTF8(v[0], "\uFFFD")
		}
	}
	return m
}

func splitScopes(v any) []string {
	switch s := v.(type) {
	case string:
		f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
		if len(f) == 0 {
			return nil
		}
		return f
	case []any:
		out := make([]string, 0, len(s))
		for _, x := range s {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func (oauth2Flow) revoke(ctx context.Context, b *Blueprint, t *Token) error {
	endpoint := b.provider.RevocationURL
	if endpoint == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	form := url.Values{}
	if t.RefreshToken != "" && !b.provider.RevokeAccessToken {
		form.Set("token", t.RefreshToken)
		form.Set("token_type_hint", "refresh_token")
	} else {
		form.Set("token", t.AccessToken)
		form.Set("token_type_hint", "access_token")
	}
	secret := b.oauth.ClientSecret
	if b.cfg.ClientSecretFunc != nil {
		s, err := b.cfg.ClientSecretFunc(ctx)
		if err != nil {
			return fmt.Errorf("ginoauth: %s: revoke: ClientSecretFunc: %w", b.name, err)
		}
		secret = s
	}
	inParams := b.oauth.Endpoint.AuthStyle == oauth2.AuthStyleInParams
	if inParams || secret == "" {
		form.Set("client_id", b.oauth.ClientID)
		if secret != "" {
			form.Set("client_secret", secret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("ginoauth: %s: revoke: %w", b.name, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !inParams && secret != "" {
		req.SetBasicAuth(url.QueryEscape(b.oauth.ClientID), url.QueryEscape(secret))
	}
	resp, err := b.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("ginoauth: %s: revoke: %w", b.name, redactURLError(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	// RFC 7009 section 2.2: 200 means revoked, or the token was already
	// invalid; some providers answer 204.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("ginoauth: %s: revoke: provider answered %s", b.name, strconv.Itoa(resp.StatusCode))
	}
	return nil
}

// redactURLError drops the URL from a *url.Error, which may carry a query.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// refresh asks the provider for a new token with old's refresh token, at
// Provider.RefreshURL (default the token URL) with Provider.RefreshParams.
// ctx is the refresh sequence's detached, bounded context.
func (oauth2Flow) refresh(ctx context.Context, b *Blueprint, old *Token) (*Token, error) {
	cfg := &oauth2.Config{
		ClientID:     b.oauth.ClientID,
		ClientSecret: b.oauth.ClientSecret,
		Endpoint:     b.oauth.Endpoint,
		Scopes:       b.oauth.Scopes,
	}
	if b.provider.RefreshURL != "" {
		cfg.Endpoint.TokenURL = b.provider.RefreshURL
	}
	if err := b.freshSecret(ctx, cfg); err != nil {
		return nil, &Error{Kind: KindConfig, Provider: b.name, Err: err}
	}
	capture := &captureTransport{base: b.baseTransport(), extra: b.provider.RefreshParams}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: capture, Timeout: b.cfg.HTTPClient.Timeout})
	ctx = WithClientID(ctx, b.oauth.ClientID)
	ot, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken}).Token()
	if err != nil {
		ge := tokenEndpointError(KindRefreshFailed, err)
		ge.Provider = b.name
		if ge.Code == "invalid_grant" || ge.Code == "unauthorized_client" {
			ge.Kind = KindReauthRequired
		}
		return nil, ge
	}
	nt := tokenFromResponse(ot, capture.body, b.cfg.Now())
	// Keep what the refresh response does not repeat.
	if nt.RefreshToken == "" {
		nt.RefreshToken = old.RefreshToken
	}
	if nt.IDToken == "" {
		nt.IDToken = old.IDToken
	} else if nt.IDToken != old.IDToken && b.provider.VerifyIDToken != nil {
		// OpenID Connect Core 12.2: a refreshed ID token is verified like the
		// first one, for the same subject; it carries no new nonce.
		claims, err := b.provider.VerifyIDToken(ctx, nt.IDToken, "")
		if err != nil {
			return nil, &Error{Kind: KindIDTokenInvalid, Provider: b.name, Err: err}
		}
		if oldClaims, ok := old.Extra[claimsKey].(map[string]any); ok && claims != nil && oldClaims["sub"] != claims["sub"] {
			return nil, &Error{Kind: KindIDTokenInvalid, Provider: b.name, Err: errors.New("refreshed ID token is for another subject")}
		}
		if nt.Extra == nil {
			nt.Extra = make(map[string]any, len(old.Extra)+1)
		}
		nt.Extra[claimsKey] = claims
	}
	if nt.Scopes == nil {
		nt.Scopes = old.Scopes
	}
	if nt.TokenType == "" {
		nt.TokenType = old.TokenType
	}
	for k, v := range old.Extra {
		if _, ok := nt.Extra[k]; !ok {
			if nt.Extra == nil {
				nt.Extra = make(map[string]any, len(old.Extra))
			}
			nt.Extra[k] = v
		}
	}
	return nt, nil
}
