package ginoauthtest

import (
	"crypto/rand"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// authRequest is a validated authorization request, waiting for the
// person at the chooser page or about to be approved.
type authRequest struct {
	redirectURI  string
	redirectSent bool
	state        string
	scopes       []string
	nonce        string
	challenge    string
	method       string
	responseMode string
	created      time.Time
}

// handleAuthorize is the authorization endpoint (RFC 6749 section 3.1,
// OpenID Connect Core section 3.1.2). GET (or a POST form, which OpenID
// Connect allows) starts a request; the chooser page's POST answers one.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, formErr error) {
	if !onlyMethods(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if formErr != nil {
		s.errorPage(w, http.StatusBadRequest, "The authorization request is malformed.")
		return
	}
	if r.Method == http.MethodPost && r.PostForm.Has("request") {
		s.answerChooser(w, r)
		return
	}
	req, ok := s.parseAuthRequest(w, r.Form)
	if !ok {
		return
	}
	if s.cfg.AutoApprove != "" {
		u, _ := s.user(s.cfg.AutoApprove)
		s.approve(w, req, u)
		return
	}
	s.showChooser(w, req)
}

// parseAuthRequest validates an authorization request. Problems with the
// client or the redirect URI get an error page (RFC 6749 section
// 4.1.2.1: never redirect to an unverified URI); every other problem is
// reported to the client by redirect.
func (s *Server) parseAuthRequest(w http.ResponseWriter, q url.Values) (*authRequest, bool) {
	if len(q["client_id"]) != 1 || q.Get("client_id") != s.cfg.ClientID {
		s.errorPage(w, http.StatusBadRequest, "The application that sent you here is not registered with this provider (unknown client_id).")
		return nil, false
	}
	if len(q["redirect_uri"]) > 1 {
		s.errorPage(w, http.StatusBadRequest, "The authorization request has more than one redirect_uri.")
		return nil, false
	}
	req := &authRequest{
		redirectURI:  q.Get("redirect_uri"),
		redirectSent: q.Has("redirect_uri"),
		state:        q.Get("state"),
		nonce:        q.Get("nonce"),
		challenge:    q.Get("code_challenge"),
		method:       q.Get("code_challenge_method"),
		created:      s.now(),
	}
	if !req.redirectSent {
		if len(s.cfg.RedirectURIs) != 1 {
			s.errorPage(w, http.StatusBadRequest, "The authorization request has no redirect_uri.")
			return nil, false
		}
		req.redirectURI = s.cfg.RedirectURIs[0]
	}
	if !validRedirectURI(req.redirectURI) {
		s.errorPage(w, http.StatusBadRequest, "The redirect_uri is not an absolute http or https URL without a fragment.")
		return nil, false
	}
	if len(s.cfg.RedirectURIs) == 0 && !s.cfg.InsecureAnyRedirectURI {
		s.errorPage(w, http.StatusBadRequest, "The client has no registered redirect URIs (ginoauthtest.Config.RedirectURIs, or InsecureAnyRedirectURI in a test).")
		return nil, false
	}
	if len(s.cfg.RedirectURIs) > 0 && !slices.Contains(s.cfg.RedirectURIs, req.redirectURI) {
		s.errorPage(w, http.StatusBadRequest, "The redirect_uri is not registered for this client.")
		return nil, false
	}
	// From here on, errors go back to the client.
	fail := func(code, desc string) (*authRequest, bool) {
		s.respond(w, req, url.Values{"error": {code}, "error_description": {desc}})
		return nil, false
	}
	if k := repeated(q); k != "" {
		if k == "state" {
			req.state = ""
		}
		return fail("invalid_request", "parameter "+k+" is repeated")
	}
	switch mode := q.Get("response_mode"); mode {
	case "", "query", "fragment", "form_post":
		req.responseMode = mode
	default:
		return fail("invalid_request", "unsupported response_mode")
	}
	switch rt := q.Get("response_type"); rt {
	case "code":
	case "":
		return fail("invalid_request", "response_type is missing")
	default:
		return fail("unsupported_response_type", "only response_type=code is supported")
	}
	req.scopes = parseScopes(q.Get("scope"))
	if len(req.scopes) == 0 {
		req.scopes = slices.Clone(s.cfg.Scopes)
	}
	for _, sc := range req.scopes {
		if !slices.Contains(s.cfg.Scopes, sc) {
			return fail("invalid_scope", "unknown scope")
		}
	}
	// PKCE, RFC 7636 section 4.4.1.
	if req.challenge == "" {
		if req.method != "" {
			return fail("invalid_request", "code_challenge_method without code_challenge")
		}
		if s.cfg.RequirePKCE || s.cfg.PublicClient {
			return fail("invalid_request", "code_challenge is required")
		}
	} else {
		if req.method == "" {
			req.method = "plain" // the RFC's default
		}
		switch {
		case req.method == "plain" && !s.cfg.AllowPlainPKCE, req.method != "plain" && req.method != "S256":
			return fail("invalid_request", "transform algorithm not supported")
		case !validPKCEValue(req.challenge):
			return fail("invalid_request", "malformed code_challenge")
		}
	}
	if prompt := parseScopes(q.Get("prompt")); slices.Contains(prompt, "none") {
		if len(prompt) > 1 {
			return fail("invalid_request", "prompt=none cannot be combined")
		}
		if s.cfg.AutoApprove == "" {
			return fail("login_required", "the user must choose an account")
		}
	}
	return req, true
}

// validRedirectURI reports whether u is an absolute http(s) URL without a
// fragment (RFC 6749 section 3.1.2).
func validRedirectURI(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Fragment == "" && !strings.Contains(raw, "#") && u.User == nil
}

// approve issues a code for u and sends it to the client.
func (s *Server) approve(w http.ResponseWriter, req *authRequest, u User) {
	now := s.now()
	code := rand.Text()
	g := &grant{user: u, scopes: req.scopes, nonce: req.nonce, authTime: now}
	s.mu.Lock()
	s.pruneLocked(now)
	s.grants = append(s.grants, g)
	s.codes[code] = &authCode{
		grant:        g,
		redirectURI:  req.redirectURI,
		redirectSent: req.redirectSent,
		challenge:    req.challenge,
		method:       req.method,
		expiry:       now.Add(codeTTL),
	}
	s.mu.Unlock()
	s.respond(w, req, url.Values{"code": {code}})
}

// pruneLocked drops expired codes and chooser requests. s.mu is held.
func (s *Server) pruneLocked(now time.Time) {
	for k, c := range s.codes {
		if now.After(c.expiry.Add(codeTTL)) {
			delete(s.codes, k)
		}
	}
	for k, p := range s.pending {
		if now.Sub(p.created) > pendingTTL {
			delete(s.pending, k)
		}
	}
}

// respond sends an authorization response to the client's redirect URI,
// adding state and, with SendIssuer, iss (RFC 9207 section 2).
func (s *Server) respond(w http.ResponseWriter, req *authRequest, params url.Values) {
	if req.state != "" {
		params.Set("state", req.state)
	}
	if s.cfg.SendIssuer {
		params.Set("iss", s.URL)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	switch req.responseMode {
	case "form_post":
		s.formPost(w, req.redirectURI, params)
	case "fragment":
		u, _ := url.Parse(req.redirectURI)
		u.Fragment = ""
		w.Header().Set("Location", u.String()+"#"+params.Encode())
		w.WriteHeader(http.StatusFound)
	default:
		u, _ := url.Parse(req.redirectURI)
		q := u.Query() // the redirect URI's own query is kept (section 3.1.2)
		for k, v := range params {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusFound)
	}
}

var pageStyle = template.CSS(`body{font-family:system-ui,-apple-system,sans-serif;background:#f5f6f8;color:#1d1f23;margin:0}
main{max-width:26rem;margin:3rem auto;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);padding:1.5rem 1.75rem}
h1{font-size:1.25rem;margin:0 0 .5rem}p{line-height:1.45}.muted{color:#5b616b;font-size:.9rem}
code{background:#eef0f3;border-radius:4px;padding:0 .3rem}
ul{list-style:none;padding:0;margin:1rem 0}li{margin:.5rem 0}
button{font:inherit;cursor:pointer;border-radius:8px;padding:.6rem .9rem}
button.user{width:100%;text-align:left;background:#fff;border:1px solid #d4d7dd}
button.user:hover,button.user:focus{border-color:#0b5fff;outline:none;background:#f3f7ff}
button.user span{display:block;color:#5b616b;font-size:.85rem}
button.deny{background:none;border:1px solid transparent;color:#b42318}`)

var chooserPage = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – {{.Name}} test provider</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{{.Style}}</style></head>
<body><main>
<h1>Sign in with {{.Name}}</h1>
<p><code>{{.ClientID}}</code> asks to use your account{{if .Scopes}} with the scopes {{range $i, $s := .Scopes}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}{{end}}.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="request" value="{{.Request}}">
<ul>{{range .Users}}
<li><button class="user" type="submit" name="user" value="{{.ID}}">{{if .Name}}{{.Name}}{{else}}{{.ID}}{{end}}<span>{{if .Email}}{{.Email}}{{if not .EmailVerified}} (unverified){{end}}{{else}}no email{{end}}</span></button></li>{{end}}
</ul>
<button class="deny" type="submit" name="deny" value="1">Deny</button>
</form>
<p class="muted">This is a local test provider. Its accounts are not real.</p>
</main></body></html>
`))

// showChooser keeps req and renders the page where a person picks a user
// or denies. The page's form carries only an unguessable reference to the
// request, so the answer cannot change what was validated.
func (s *Server) showChooser(w http.ResponseWriter, req *authRequest) {
	id := rand.Text()
	s.mu.Lock()
	s.pruneLocked(req.created)
	s.pending[id] = req
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_ = chooserPage.Execute(w, map[string]any{
		"Name":     s.cfg.Name,
		"ClientID": s.cfg.ClientID,
		"Scopes":   req.scopes,
		"Action":   s.URL + PathAuthorize,
		"Request":  id,
		"Users":    s.cfg.Users,
		"Style":    pageStyle,
	})
}

// answerChooser handles the chooser page's POST: a user was picked, or the
// request was denied (error=access_denied, RFC 6749 section 4.1.2.1).
func (s *Server) answerChooser(w http.ResponseWriter, r *http.Request) {
	id := r.PostForm.Get("request")
	s.mu.Lock()
	req := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if req == nil || s.now().Sub(req.created) > pendingTTL {
		s.errorPage(w, http.StatusBadRequest, "This sign-in request has expired or was already answered. Go back to the application and start again.")
		return
	}
	if r.PostForm.Has("deny") {
		s.respond(w, req, url.Values{"error": {"access_denied"}, "error_description": {"the user denied the request"}})
		return
	}
	u, ok := s.user(r.PostForm.Get("user"))
	if !ok {
		s.errorPage(w, http.StatusBadRequest, "No such user.")
		return
	}
	s.approve(w, req, u)
}

var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Continue</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><form method="post" action="{{.Action}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>JavaScript is off. Press the button to return to the application.</p>
<button type="submit">Continue</button></noscript>
</form><script>document.forms[0].submit()</script></body></html>
`))

type formField struct{ Name, Value string }

// formPost answers with a page that posts params to the redirect URI
// (OAuth 2.0 Form Post Response Mode).
func (s *Server) formPost(w http.ResponseWriter, action string, params url.Values) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fields := make([]formField, 0, len(keys))
	for _, k := range keys {
		for _, v := range params[k] {
			fields = append(fields, formField{k, v})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = formPostPage.Execute(w, map[string]any{"Action": action, "Fields": fields})
}

var errorPageTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization error</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{{.Style}}</style></head>
<body><main><h1>Authorization error</h1><p>{{.Message}}</p>
<p class="muted">{{.Name}} test provider</p></main></body></html>
`))

// errorPage tells the person, not the client, what went wrong: for
// requests whose redirect URI cannot be trusted.
func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = errorPageTmpl.Execute(w, map[string]any{"Message": msg, "Name": s.cfg.Name, "Style": pageStyle})
}
