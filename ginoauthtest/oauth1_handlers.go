package ginoauthtest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
)

// Requests returns a copy of every request received so far, oldest first.
func (s *OAuth1Server) Requests() []OAuth1Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OAuth1Request, len(s.records))
	for i, r := range s.records {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// Count returns how many requests path received.
func (s *OAuth1Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		if r.Path == path {
			n++
		}
	}
	return n
}

func (s *OAuth1Server) user(id string) (User, bool) {
	for _, u := range s.cfg.Users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

func o1Random() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// o1Exchange is one request being served: its body, read once, and the
// record to append when it is done.
type o1Exchange struct {
	w    http.ResponseWriter
	r    *http.Request
	body []byte
	rec  *OAuth1Request
}

// ServeHTTP serves the provider's endpoints.
func (s *OAuth1Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, o1MaxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := &OAuth1Request{
		Method: r.Method,
		URL:    o1BaseURI(r),
		Path:   r.URL.Path,
		Header: r.Header.Clone(),
		Body:   body,
		Time:   s.now(),
	}
	if r.URL.RawQuery != "" {
		rec.URL += "?" + r.URL.RawQuery
	}
	defer func() {
		s.mu.Lock()
		s.records = append(s.records, *rec)
		s.mu.Unlock()
	}()
	x := &o1Exchange{w: w, r: r, body: body, rec: rec}
	if s.injectFault(x) {
		return
	}
	switch r.URL.Path {
	case OAuth1PathRequestToken, JiraPathRequestToken:
		s.handleRequestToken(x)
	case OAuth1PathAuthorize, JiraPathAuthorize:
		s.handleAuthorize(x, r.URL.Path == JiraPathAuthorize)
	case OAuth1PathAccessToken, JiraPathAccessToken:
		s.handleAccessToken(x)
	case OAuth1PathWhoami, OAuth1PathEcho, OAuth1PathVerifyCredentials, JiraPathMyself, OAuth1PathInvalidate:
		s.handleAPI(x)
	default:
		http.NotFound(w, r)
	}
}

func (s *OAuth1Server) injectFault(x *o1Exchange) bool {
	s.mu.Lock()
	q := s.faults[x.r.URL.Path]
	if len(q) == 0 {
		s.mu.Unlock()
		return false
	}
	f := q[0]
	s.faults[x.r.URL.Path] = q[1:]
	s.mu.Unlock()
	x.rec.Problem = "injected"
	x.w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	x.w.WriteHeader(f.status)
	_, _ = io.WriteString(x.w, f.body)
	return true
}

// problem answers an OAuth Problem Reporting error.
func (x *o1Exchange) problem(status int, problem string) {
	x.rec.Problem = problem
	x.w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	x.w.Header().Set("WWW-Authenticate", `OAuth realm="ginoauthtest"`)
	x.w.WriteHeader(status)
	_, _ = io.WriteString(x.w, url.Values{"oauth_problem": {problem}}.Encode())
}

func (x *o1Exchange) form(v url.Values) {
	x.w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
	x.w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(x.w, v.Encode())
}

func (x *o1Exchange) json(v any) {
	x.w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(x.w).Encode(v)
}

func (x *o1Exchange) onlyPost() bool {
	if x.r.Method == http.MethodPost {
		return true
	}
	x.rec.Problem = "method_not_allowed"
	x.w.Header().Set("Allow", http.MethodPost)
	http.Error(x.w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

func (s *OAuth1Server) handleRequestToken(x *o1Exchange) {
	if !x.onlyPost() {
		return
	}
	params, status, problem := s.verify(x, func(token string) (string, string, bool) {
		return "", "", token == "" // no token may be presented here
	})
	if problem != "" {
		x.problem(status, problem)
		return
	}
	cb := params["oauth_callback"]
	if cb == "" {
		x.problem(http.StatusBadRequest, "parameter_absent")
		return
	}
	if u, err := url.Parse(cb); cb != "oob" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "") {
		x.problem(http.StatusBadRequest, "parameter_rejected")
		return
	}
	token, secret := o1Random(), o1Random()
	now := s.now()
	s.mu.Lock()
	for k, t := range s.reqTokens {
		if now.Sub(t.created) > o1RequestTokenTTL {
			delete(s.reqTokens, k)
		}
	}
	s.reqTokens[token] = &o1RequestToken{secret: secret, callback: cb, created: now}
	s.mu.Unlock()
	x.form(url.Values{"oauth_token": {token}, "oauth_token_secret": {secret}, "oauth_callback_confirmed": {"true"}})
}

// liveRequestTokenLocked returns the unexpired request token t, or nil.
// s.mu must be held.
func (s *OAuth1Server) liveRequestTokenLocked(t string) *o1RequestToken {
	rt := s.reqTokens[t]
	if rt == nil || s.now().Sub(rt.created) > o1RequestTokenTTL {
		return nil
	}
	return rt
}

var o1Page = template.Must(template.New("oauth1").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize {{.Consumer}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}
button{display:block;width:100%;margin:.4rem 0;padding:.6rem;font-size:1rem}</style></head>
<body>{{if .Error}}<h1>Authorization failed</h1><p>{{.Error}}</p>{{else if .Verifier}}<h1>Authorized</h1>
<p>Enter this verifier in the application: <code>{{.Verifier}}</code></p>{{else}}
<h1>Authorize {{.Consumer}}?</h1><p>The application asks to act on your behalf. Sign in as:</p>
<form method="post" action="{{.Action}}"><input type="hidden" name="oauth_token" value="{{.Token}}">
{{range .Users}}<button name="user" value="{{.ID}}">{{.Name}} ({{.Username}})</button>{{end}}
<button name="deny" value="1">Deny</button></form>{{end}}</body></html>
`))

type o1PageData struct {
	Consumer, Action, Token, Verifier, Error string
	Users                                    []User
}

func (x *o1Exchange) page(status int, d o1PageData) {
	if d.Error != "" {
		x.rec.Problem = "page_error"
	}
	x.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	x.w.Header().Set("Cache-Control", "no-store")
	x.w.WriteHeader(status)
	_ = o1Page.Execute(x.w, d)
}

func (s *OAuth1Server) handleAuthorize(x *o1Exchange, jira bool) {
	var form url.Values
	switch x.r.Method {
	case http.MethodGet:
		form = x.r.URL.Query()
	case http.MethodPost:
		var err error
		if form, err = url.ParseQuery(string(x.body)); err != nil {
			x.page(http.StatusBadRequest, o1PageData{Error: "The form does not parse."})
			return
		}
	default:
		x.w.Header().Set("Allow", "GET, POST")
		http.Error(x.w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token := form.Get("oauth_token")
	s.mu.Lock()
	rt := s.liveRequestTokenLocked(token)
	if rt == nil || rt.userID != "" {
		s.mu.Unlock()
		x.page(http.StatusBadRequest, o1PageData{Error: "Unknown, expired or already authorized request token."})
		return
	}
	callback := rt.callback
	s.mu.Unlock()
	userID := s.cfg.AutoApprove
	deny := false
	if x.r.Method == http.MethodPost {
		userID, deny = form.Get("user"), form.Get("deny") != ""
	}
	if deny {
		s.mu.Lock()
		delete(s.reqTokens, token)
		s.mu.Unlock()
		q := url.Values{"denied": {token}}
		if jira {
			q = url.Values{"oauth_token": {token}, "oauth_verifier": {"denied"}}
		}
		s.redirect(x, callback, q)
		return
	}
	if userID == "" {
		x.page(http.StatusOK, o1PageData{Consumer: s.cfg.ConsumerKey, Action: x.r.URL.Path, Token: token, Users: s.cfg.Users})
		return
	}
	if _, ok := s.user(userID); !ok {
		x.page(http.StatusBadRequest, o1PageData{Error: "Unknown user."})
		return
	}
	verifier := o1Random()
	s.mu.Lock()
	if rt := s.liveRequestTokenLocked(token); rt == nil || rt.userID != "" {
		s.mu.Unlock()
		x.page(http.StatusBadRequest, o1PageData{Error: "Unknown, expired or already authorized request token."})
		return
	}
	rt.userID, rt.verifier = userID, verifier
	s.mu.Unlock()
	if callback == "oob" {
		x.page(http.StatusOK, o1PageData{Verifier: verifier})
		return
	}
	s.redirect(x, callback, url.Values{"oauth_token": {token}, "oauth_verifier": {verifier}})
}

func (s *OAuth1Server) redirect(x *o1Exchange, callback string, params url.Values) {
	u, _ := url.Parse(callback) // checked at the request-token step
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	x.w.Header().Set("Cache-Control", "no-store")
	http.Redirect(x.w, x.r, u.String(), http.StatusFound)
}

func (s *OAuth1Server) handleAccessToken(x *o1Exchange) {
	if !x.onlyPost() {
		return
	}
	params, status, problem := s.verify(x, func(token string) (string, string, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if rt := s.liveRequestTokenLocked(token); rt != nil {
			return rt.secret, "", true
		}
		return "", "", false
	})
	if problem != "" {
		x.problem(status, problem)
		return
	}
	token := params["oauth_token"]
	s.mu.Lock()
	rt := s.liveRequestTokenLocked(token)
	// Spent by the first correctly signed exchange, whatever happens next.
	delete(s.reqTokens, token)
	s.mu.Unlock()
	switch {
	case rt == nil:
		x.problem(http.StatusUnauthorized, "token_used")
		return
	case rt.userID == "":
		x.problem(http.StatusUnauthorized, "permission_unknown")
		return
	case params["oauth_verifier"] == "":
		x.problem(http.StatusBadRequest, "parameter_absent")
		return
	case subtle.ConstantTimeCompare([]byte(params["oauth_verifier"]), []byte(rt.verifier)) != 1:
		x.problem(http.StatusUnauthorized, "verifier_invalid")
		return
	}
	at, as := o1Random(), o1Random()
	s.mu.Lock()
	s.access[at] = &o1AccessToken{secret: as, userID: rt.userID}
	s.mu.Unlock()
	u, _ := s.user(rt.userID)
	x.form(url.Values{"oauth_token": {at}, "oauth_token_secret": {as}, "user_id": {u.ID}, "screen_name": {u.Username}})
}
