package ginoauth

// form_post callbacks (response_mode=form_post, as Apple sends them)
// arriving cross-site without the session cookie.

import (
	"crypto/rand"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

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

// postPage is a page that posts hidden fields from the browser at once:
// a form_post callback posted again from this site, or the RP-initiated
// logout request, which carries an ID token that must not go in a URL.
var postPage = template.Must(template.New("post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"></head>
<body><form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>Press the button to continue.</p><button type="submit">Continue</button></noscript>
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
	fields = append(fields, formField{resubmitField, "1"})
	writePostPage(c, "Signing in", b.mountedAuthorized, fields)
}

// writePostPage answers with postPage. Its Content Security Policy allows
// its own script only. It has no form-action directive: browsers apply
// that to every redirect after the post too, and the answer to this one
// redirects on, to the app's next page or, after a logout at the provider,
// back to the app through whatever hosts the provider uses.
func writePostPage(c *gin.Context, title, action string, fields []formField) {
	nonce := rand.Text()
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; frame-ancestors 'none'")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	_ = postPage.Execute(c.Writer, map[string]any{"Title": title, "Action": action, "Fields": fields, "Nonce": nonce})
}
