package ginoauth

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// authorizedHandler is the authorized (callback) route's handler.
func (b *Blueprint) authorizedHandler() gin.HandlerFunc {
	return func(c *gin.Context) { dedupeCookies(c); b.flow.authorized(c, b) }
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
	p, found, anyPending := b.takePendingLogin(s, q.Get("state"), false, now)
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

// exchange trades the code for a token, keeping every field of the response.
func (b *Blueprint) exchange(c *gin.Context, code string, p pendingLogin) (*Token, *Error) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), b.timeout())
	defer cancel()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {b.callbackURL(c)}}
	if p.Verifier != "" {
		form.Set("code_verifier", p.Verifier)
	}
	for k, v := range b.cfg.TokenParams {
		form.Set(k, v)
	}
	t, ge := b.tokenRequest(ctx, b.oauth.Endpoint.TokenURL, form, KindExchangeFailed)
	if ge != nil {
		return nil, ge
	}
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

// finishLogin runs the Authorized hook, stores the token and redirects. It
// is shared by the OAuth 2 and OAuth 1 flows. The session (with the consumed
// login state) is saved once: with the token at the end, or, when the hook
// answers the request itself, just before its answer goes out.
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
	w := dedupeCookies(c)
	if b.hooks.Authorized != nil {
		w.beforeHeader = func() {
			if err := s.Save(); err != nil {
				b.logDebug("ginoauth: session save before the hook's answer failed", "kind", string(KindStorageFailed))
			}
		}
	}
	// While the hook runs, the request's token is the new one, in memory:
	// its API calls may refresh it (and spend its refresh token, with a
	// provider that rotates them), so what is stored is the latest.
	ps := new(struct { // one allocation for both
		ref pendingRef
		src tokenSource
	})
	pending := &ps.ref
	pending.t = t
	ps.src.b, ps.src.ref = b, pending
	c.Set(sourceKey{b}, &ps.src)
	outcome := b.runAuthorized(c, t)
	c.Set(sourceKey{b}, nil)
	if w.beforeHeader != nil {
		w.beforeHeader = nil
		if outcome == hookDone {
			// The hook aborted without an answer of its own (or failed,
			// and fail answered): the login state stays consumed.
			if err := s.Save(); err != nil {
				b.logDebug("ginoauth: session save after the hook failed", "kind", string(KindStorageFailed))
			}
		}
	}
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

// authorizedOutcome is what the Authorized hook decided.
type authorizedOutcome int

func (b *Blueprint) runAuthorized(c *gin.Context, t *Token) authorizedOutcome {
	h := b.hooks.Authorized
	if h == nil {
		return storeToken
	}
	err := h(c, b, t)
	switch {
	case takenOver(c):
		return hookDone
	case err == nil:
		return storeToken
	case errors.Is(err, ErrSkipStore):
		return skipStore
	default:
		var ge *Error
		if errors.As(err, &ge) {
			b.fail(c, ge)
		} else {
			b.fail(c, &Error{Kind: KindHookFailed, Err: err})
		}
		return hookDone
	}
}

// afterLoginURL is where to go once the login is done.
func (b *Blueprint) afterLoginURL(next string) string {
	if next != "" && safeNext(next) {
		return next
	}
	return b.cfg.AfterLogin
}

// fail ends a login with err: the error hook first, then FailureURL or the
// default page. It never shows the cause's text, which may contain
// provider-controlled data, only the kind and a fixed message.
func (b *Blueprint) fail(c *gin.Context, err *Error) {
	b.failPage(c, err, "Login failed", err.Message(), b.mountedLogin)
}

// failPage is fail with the default page's title, message and retry link.
func (b *Blueprint) failPage(c *gin.Context, err *Error, title, message, retry string) {
	if err.Provider == "" {
		err.Provider = b.name
	}
	_ = c.Error(err) // for gin's error logger and the app's middleware
	// Save what the callback changed (a consumed login state). Best effort:
	// the original error is the one to report.
	if s, serr := session(c, b.cfg.SessionName); serr == nil {
		_ = s.Save()
	}
	if b.logger != nil {
		b.logger.Debug("ginoauth: login failed", "provider", b.name, "kind", string(err.Kind), "status", err.Status())
	}
	if h := b.hooks.Error; h != nil {
		h(c, b, err)
		if takenOver(c) {
			return
		}
	}
	if b.cfg.FailureURL != "" {
		u := b.cfg.FailureURL
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		c.Redirect(http.StatusFound, u+sep+"error="+url.QueryEscape(string(err.Kind)))
		c.Abort()
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Status(err.Status())
	c.Header("Content-Type", "text/html; charset=utf-8")
	_ = errorPage.Execute(c.Writer, map[string]string{
		"Title":   title,
		"Message": message,
		"Kind":    string(err.Kind),
		"Retry":   retry,
	})
	c.Abort()
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
a{color:#0b5fff}code{background:#f2f2f2;padding:0 .25rem}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p><p><small>Error: <code>{{.Kind}}</code></small></p>
{{if .Retry}}<p><a href="{{.Retry}}">Try again</a></p>{{end}}</body></html>
`))

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
