package ginoauth

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	gsessions "github.com/gorilla/sessions"
)

// session returns the request's gin-contrib/sessions session without
// panicking when the middleware is missing (sessions.Default would).
func session(c *gin.Context, name string) (sessions.Session, error) {
	v, ok := c.Get(sessions.DefaultKey)
	if !ok || v == nil {
		return nil, ErrNoSession
	}
	switch s := v.(type) {
	case sessions.Session:
		if name == "" {
			return s, nil
		}
		return nil, fmt.Errorf("ginoauth: SessionName %q is set but the app uses sessions.Sessions, not SessionsMany", name)
	case map[string]sessions.Session:
		if name == "" {
			if len(s) == 1 {
				for _, one := range s {
					return one, nil
				}
			}
			return nil, errors.New("ginoauth: the app uses sessions.SessionsMany: set Config.SessionName")
		}
		if one, ok := s[name]; ok && one != nil {
			return one, nil
		}
		return nil, fmt.Errorf("ginoauth: no session named %q: check Config.SessionName", name)
	default:
		return nil, ErrNoSession
	}
}

// renewSessionID makes a server-side session store (Redis, PostgreSQL, ...)
// give the session a new ID when it is next saved, so an ID planted before
// the login (session fixation) never carries the logged-in session. The
// session is first saved under its old ID, so that record no longer holds
// the login state this callback consumed. Cookie stores have no ID and are
// unaffected.
func renewSessionID(s sessions.Session) error {
	gs, ok := s.(interface{ Session() *gsessions.Session })
	if !ok {
		return nil
	}
	g := gs.Session()
	if g == nil || g.ID == "" {
		return nil
	}
	if err := s.Save(); err != nil {
		return err
	}
	g.ID = ""
	// Mark the session changed, so the next Save writes it under a new ID
	// even when nothing else in it changes.
	s.Delete(renewMarker)
	return nil
}

const renewMarker = "ginoauth_renewed"

// SessionOptions returns the recommended options for the session cookie
// (store.Options(ginoauth.SessionOptions())): HttpOnly, Secure, SameSite=Lax,
// path "/", 30 days. SameSite=Lax keeps the cookie on the provider's
// top-level redirect back to the callback while withholding it from
// cross-site POSTs and embedded requests. For development over plain
// http://localhost only, turn Secure off in the returned value.
func SessionOptions() sessions.Options {
	return sessions.Options{Path: "/", MaxAge: 30 * 24 * 3600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}

// pendingLogin is one login in progress, kept in the session between the
// login route and the callback. It holds secrets (the PKCE verifier) and is
// never logged.
type pendingLogin struct {
	State    string `json:"s"`
	Verifier string `json:"v,omitempty"`
	Nonce    string `json:"n,omitempty"`
	Next     string `json:"r,omitempty"`
	Created  int64  `json:"t"`
	// OAuth 1: the request token and its secret.
	ReqToken  string `json:"rt,omitempty"`
	ReqSecret string `json:"rs,omitempty"`
}

func (b *Blueprint) loginsKey() any { return b.loginsSessionKey }

// pendingLogins reads the session's logins in progress for b, dropping
// expired ones. A corrupt value reads as none.
func (b *Blueprint) pendingLogins(s sessions.Session, now time.Time) []pendingLogin {
	raw, _ := s.Get(b.loginsKey()).(string)
	if raw == "" {
		return nil
	}
	all, ok := decodePending(raw)
	if !ok {
		return nil
	}
	live := all[:0]
	oldest := now.Add(-b.cfg.LoginTimeout).Unix()
	for _, p := range all {
		if p.Created >= oldest && p.State != "" {
			live = append(live, p)
		}
	}
	return live
}

// The session's encoding of the logins in progress: for each login its
// seven fields as writeField writes them (state, verifier, nonce, next,
// creation time in Unix seconds in base 36, OAuth 1 request token and
// secret), so it starts with a digit. Sessions written by earlier versions
// still read: "p1" and the same fields with the time in base 10, or JSON.
const (
	pendingCodecV1     = "p1"
	pendingCodecFields = 7
)

func encodePending(all []pendingLogin) string {
	n := 0
	for _, p := range all {
		n += len(p.State) + len(p.Verifier) + len(p.Nonce) + len(p.Next) + len(p.ReqToken) + len(p.ReqSecret) + 40
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range all {
		var created [16]byte
		for _, f := range [pendingCodecFields]string{p.State, p.Verifier, p.Nonce, p.Next,
			string(strconv.AppendInt(created[:0], p.Created, 36)), p.ReqToken, p.ReqSecret} {
			writeField(&b, f)
		}
	}
	return b.String()
}

func decodePending(raw string) ([]pendingLogin, bool) {
	rest, v1 := strings.CutPrefix(raw, pendingCodecV1)
	if !v1 && (raw == "" || raw[0] < '0' || raw[0] > '9') {
		var all []pendingLogin
		return all, json.Unmarshal([]byte(raw), &all) == nil
	}
	base := 36
	if v1 {
		base = 10
	}
	var ok bool
	var all []pendingLogin
	for rest != "" {
		var f [pendingCodecFields]string
		for i := range f {
			if f[i], rest, ok = readField(rest); !ok {
				return nil, false
			}
		}
		created, err := strconv.ParseInt(f[4], base, 64)
		if err != nil {
			return nil, false
		}
		all = append(all, pendingLogin{State: f[0], Verifier: f[1], Nonce: f[2], Next: f[3],
			Created: created, ReqToken: f[5], ReqSecret: f[6]})
	}
	return all, true
}

// Pending logins are bounded in bytes as well as in count, so that forced
// login starts (a cross-site link to the login route, repeated) cannot
// grow a cookie session past what browsers keep: a "next" longer than
// maxPendingNext is not kept (the browser goes to AfterLogin), and the
// oldest logins are dropped while the entries take more than
// maxPendingBytes.
const (
	maxPendingNext  = 512
	maxPendingBytes = 1024
)

// addPendingLogin records p, keeping at most MaxPendingLogins entries and
// maxPendingBytes of them.
func (b *Blueprint) addPendingLogin(s sessions.Session, p pendingLogin, now time.Time) error {
	if len(p.Next) > maxPendingNext {
		p.Next = ""
	}
	all := b.pendingLogins(s, now)
	if n := b.cfg.MaxPendingLogins; len(all) >= n {
		all = all[len(all)-n+1:]
	}
	var one [1]pendingLogin
	if all == nil {
		all = one[:0]
	}
	all = append(all, p)
	enc := encodePending(all)
	for len(all) > 1 && len(enc) > maxPendingBytes {
		all = all[1:]
		enc = encodePending(all)
	}
	s.Set(b.loginsKey(), enc)
	return s.Save()
}

// takePendingLogin removes the login whose state (or OAuth 1 request token)
// matches key and returns it; matching is in constant time. found is false
// when no login matches. The change is saved with the session by the
// callback's next Save: by fail on every error path, and by finishLogin
// (together with the token, for the session storage) on success, so a state
// is consumed by the first callback that presents it.
func (b *Blueprint) takePendingLogin(s sessions.Session, key string, oauth1 bool, now time.Time) (p pendingLogin, found, anyPending bool) {
	all := b.pendingLogins(s, now)
	anyPending = len(all) > 0
	idx := -1
	for i := range all {
		candidate := all[i].State
		if oauth1 {
			candidate = all[i].ReqToken
		}
		if key != "" && subtle.ConstantTimeCompare([]byte(candidate), []byte(key)) == 1 {
			idx = i
		}
	}
	if idx < 0 {
		return pendingLogin{}, false, anyPending
	}
	p = all[idx]
	all = append(all[:idx], all[idx+1:]...)
	if len(all) == 0 {
		s.Delete(b.loginsKey())
	} else {
		s.Set(b.loginsKey(), encodePending(all))
	}
	return p, true, anyPending
}
