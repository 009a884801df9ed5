package ginoauth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	gsessions "github.com/gorilla/sessions"
)

// Tokens in cookies of their own. When the app's session store is a cookie
// store, a small token stays in the session cookie (one cookie to decode
// per request, as before), but a large one does not fit there, beside
// everything else the session holds, under the browsers' 4,096 bytes: it
// goes into cookies of its own, "{session}.{provider}.0", ".1", ..., each
// sealed with the session store's own keys (securecookie: authenticated,
// and encrypted when the store has an encryption key) and each under the
// browsers' limit. A JWT access token and an ID token from each of several
// providers fit.

// inlineTokenMax is the largest encoded token kept in the session cookie.
const inlineTokenMax = 800

// tokenChunkSize is the plaintext carried by one token cookie: sealed and
// encoded, with its name and attributes, it stays under 4,096 bytes.
const tokenChunkSize = 2000

// maxTokenChunks bounds one token's cookies (about 16 KB of token).
const maxTokenChunks = 8

// maxCookieBytes is what browsers keep of one cookie (name and value).
const maxCookieBytes = 4096

// ErrTokenTooLarge means a token does not fit the cookies a cookie session
// store can set. The fix is a server-side store: a Redis or database
// session store, or backends/gormstore.
var ErrTokenTooLarge = errors.New("ginoauth: the token is too large for cookies: use a server-side session store (Redis, PostgreSQL) or a server-side token storage such as backends/gormstore")

// tokenCell is where a session slot keeps its encoded token: a session
// value, or cookies of its own.
type tokenCell interface {
	get() string
	set(raw string) error // "" deletes
}

// sessionCell keeps the token as a value of the session.
type sessionCell struct{ r *sessionRef }

func (s sessionCell) get() string {
	raw, _ := s.r.s.Get(s.r.key).(string)
	return raw
}

func (s sessionCell) set(raw string) error {
	if raw == "" {
		if s.r.s.Get(s.r.key) == nil {
			return nil
		}
		s.r.s.Delete(s.r.key)
	} else {
		s.r.s.Set(s.r.key, raw)
	}
	if err := s.r.s.Save(); err != nil {
		return fmt.Errorf("ginoauth: save session: %w", err)
	}
	if s.r.c != nil {
		dedupeSetCookies(s.r.c.Writer.Header())
	}
	return nil
}

// cookieCell keeps the token in chunk cookies sealed with the cookie
// store's codecs.
type cookieCell struct {
	c       *gin.Context
	store   *gsessions.CookieStore
	opts    *gsessions.Options
	prefix  string // "{session}.{provider}."
	idApart bool   // keep an ID token apart from the token (cookieCell.apart)
	idPath  string // the ID token cookie's path; "" for none
	inline  sessionCell
	raw     string
	read    bool
	scanned bool
	present int // chunks the browser holds (or this request set)
}

// newCookieCell returns a cookie cell when the session lives in a cookie
// store, or nil.
func newCookieCell(c *gin.Context, r *sessionRef, provider string) *cookieCell {
	gs, ok := r.s.(interface{ Session() *gsessions.Session })
	if !ok || c.Request == nil {
		return nil
	}
	g := gs.Session()
	if g == nil {
		return nil
	}
	store, ok := g.Store().(*gsessions.CookieStore)
	if !ok || len(store.Codecs) == 0 {
		return nil
	}
	opts := g.Options
	if opts == nil {
		opts = store.Options
	}
	dedupeCookies(c)
	prefix := r.st.prefix.join(g.Name(), ".", provider, ".")
	return &cookieCell{c: c, store: store, opts: opts, prefix: prefix, inline: sessionCell{r}}
}

func (k *cookieCell) name(i int) string { return k.prefix + strconv.Itoa(i) }

func (k *cookieCell) get() string {
	if k.read {
		return k.raw
	}
	k.read = true
	if k.raw = k.inline.get(); k.raw == "" {
		k.raw = k.decode()
	}
	return k.raw
}

// scan counts the parts the browser holds, stale ones a lost answer left
// behind included, so that a write expires them, and returns their values.
func (k *cookieCell) scan() [maxTokenChunks]string {
	var values [maxTokenChunks]string
	k.scanned = true
	if !k.mayHold() {
		return values
	}
	for _, ck := range k.c.Request.Cookies() { // the header is parsed once
		idx, ok := strings.CutPrefix(ck.Name, k.prefix)
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(idx); err == nil && i >= 0 && i < maxTokenChunks && values[i] == "" {
			values[i] = ck.Value
			k.present = max(k.present, i+1)
		}
	}
	return values
}

// mayHold reports whether the request's cookies may include this cell's
// parts: whether their names appear in the Cookie header at all, which is
// quicker to find than to parse every cookie.
func (k *cookieCell) mayHold() bool {
	for _, h := range k.c.Request.Header["Cookie"] {
		if strings.Contains(h, k.prefix) {
			return true
		}
	}
	return false
}

// decode reassembles the token from the request's chunk cookies: all from
// one write (same ID and count), in order. Anything else reads as none.
func (k *cookieCell) decode() string {
	values := k.scan()
	var id string
	var b strings.Builder
	for i := range k.present {
		var v string
		if values[i] == "" || gsecure(k.store, k.name(i), values[i], &v) != nil {
			return ""
		}
		cid, rest, _ := strings.Cut(v, "|")
		ns, data, ok := strings.Cut(rest, "|")
		n, err := strconv.Atoi(ns)
		if !ok || err != nil || n < 1 || n > maxTokenChunks || (id != "" && cid != id) {
			return ""
		}
		id = cid
		b.WriteString(data)
		if i+1 == n {
			return b.String()
		}
	}
	return ""
}

func (k *cookieCell) set(raw string) error {
	n := (len(raw) + tokenChunkSize - 1) / tokenChunkSize
	if n > maxTokenChunks {
		return fmt.Errorf("%w (%d bytes)", ErrTokenTooLarge, len(raw))
	}
	inline := ""
	if len(raw) <= inlineTokenMax {
		inline, n = raw, 0
	}
	if !k.scanned && (n > 0 || k.inline.get() == "") {
		// Learn what the browser holds. An inline token replacing an
		// inline token needs no look: parts the browser may still hold
		// (from a concurrent request's answer) are never read while the
		// session holds the token, and the next write in parts replaces
		// or expires them.
		k.scan()
	}
	cookies := make([]*http.Cookie, 0, max(n, k.present))
	var id string
	if n > 0 {
		id = rand.Text()[:8]
	}
	for i := range n {
		part := raw[i*tokenChunkSize : min(len(raw), (i+1)*tokenChunkSize)]
		enc, err := gsecureEncode(k.store, k.name(i), id+"|"+strconv.Itoa(n)+"|"+part)
		if err != nil {
			return fmt.Errorf("ginoauth: seal token cookie: %w", err)
		}
		ck := gsessions.NewCookie(k.name(i), enc, k.opts)
		if len(ck.Name)+len(ck.Value) > maxCookieBytes {
			return fmt.Errorf("%w (a sealed part is %d bytes)", ErrTokenTooLarge, len(ck.Value))
		}
		cookies = append(cookies, ck)
	}
	for i := n; i < k.present; i++ { // stale parts of a longer token
		expired := *k.opts
		expired.MaxAge = -1
		cookies = append(cookies, gsessions.NewCookie(k.name(i), "", &expired))
	}
	if inline != "" || k.inline.get() != "" {
		if err := k.inline.set(inline); err != nil {
			return err
		}
	}
	for _, ck := range cookies {
		http.SetCookie(k.c.Writer, ck)
	}
	k.raw, k.read, k.present = raw, true, n
	return nil
}

// gsecure decodes a value sealed with the cookie store's codecs.
func gsecure(store *gsessions.CookieStore, name, value string, dst *string) error {
	var err error
	for _, codec := range store.Codecs {
		if err = codec.Decode(name, value, dst); err == nil {
			return nil
		}
	}
	return err
}

// gsecureEncode seals value with the cookie store's first codec, as the
// store does its session cookie.
func gsecureEncode(store *gsessions.CookieStore, name, value string) (string, error) {
	return store.Codecs[0].Encode(name, value)
}

// cookieDedupe is the response writer of a request whose cookies the
// blueprint writes: a cookie set several times in one request (a token
// refreshed and then the session saved by the app) goes out once, with its
// last value. beforeHeader, when set, runs once just before the header is
// written: the callback saves the session there when a hook answers the
// request itself, and otherwise only once, at its end.
type cookieDedupe struct {
	gin.ResponseWriter
	beforeHeader func()
	// checked is the Set-Cookie list as the last dedupe left it: gin
	// calls several of the writer's methods before the header goes out,
	// and a list that is the same slice, no longer, needs no second look.
	checked []string
}

// dedupeCookies installs cookieDedupe on c, once, and returns it.
func dedupeCookies(c *gin.Context) *cookieDedupe {
	w, ok := c.Writer.(*cookieDedupe)
	if !ok {
		w = &cookieDedupe{ResponseWriter: c.Writer}
		c.Writer = w
	}
	return w
}

func (w *cookieDedupe) dedupe() {
	if !w.Written() {
		if f := w.beforeHeader; f != nil {
			w.beforeHeader = nil
			f()
		}
		h := w.ResponseWriter.Header()
		if all := h["Set-Cookie"]; len(all) != len(w.checked) || len(all) > 0 && &all[0] != &w.checked[0] {
			dedupeSetCookies(h)
			w.checked = h["Set-Cookie"]
		}
	}
}

// dedupeSetCookies keeps the last Set-Cookie of each cookie in h.
func dedupeSetCookies(h http.Header) {
	all := h["Set-Cookie"]
	if len(all) < 2 {
		return
	}
	var buf [8]cookieID
	ids := buf[:0]
	dup := false
	for _, v := range all {
		id := cookieIdentity(v)
		for _, prev := range ids {
			dup = dup || prev.same(id)
		}
		ids = append(ids, id)
	}
	if !dup {
		return
	}
	kept := make([]string, 0, len(all))
	for i, v := range all {
		last := true
		for _, later := range ids[i+1:] {
			last = last && !later.same(ids[i])
		}
		if last {
			kept = append(kept, v)
		}
	}
	h["Set-Cookie"] = kept
}

// cookieID is what makes a Set-Cookie replace another: its name, domain
// and path (parts of the header line, not copies).
type cookieID struct{ name, domain, path string }

func (a cookieID) same(b cookieID) bool {
	return a.name == b.name && strings.EqualFold(a.domain, b.domain) && a.path == b.path
}

func cookieIdentity(setCookie string) cookieID {
	pair, attrs, _ := strings.Cut(setCookie, ";")
	name, _, _ := strings.Cut(pair, "=")
	id := cookieID{name: strings.TrimSpace(name)}
	for attrs != "" {
		var attr string
		attr, attrs, _ = strings.Cut(attrs, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(attr), "=")
		switch {
		case strings.EqualFold(k, "domain"):
			id.domain = v
		case strings.EqualFold(k, "path"):
			id.path = v
		}
	}
	return id
}

func (w *cookieDedupe) WriteHeader(code int) { w.dedupe(); w.ResponseWriter.WriteHeader(code) }

func (w *cookieDedupe) WriteHeaderNow() { w.dedupe(); w.ResponseWriter.WriteHeaderNow() }

func (w *cookieDedupe) Write(b []byte) (int, error) { w.dedupe(); return w.ResponseWriter.Write(b) }

func (w *cookieDedupe) WriteString(s string) (int, error) {
	w.dedupe()
	return w.ResponseWriter.WriteString(s)
}
