package ginoauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
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
	return &cookieCell{c: c, store: store, opts: opts, prefix: g.Name() + "." + provider + ".", inline: sessionCell{r}}
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

// The ID token apart. An ID token is the largest part of an OpenID
// Connect token (often more than the rest together), yet nothing reads it
// on an API request: only RP-Initiated Logout sends it back to the
// provider. So a blueprint's cookie cell keeps the token without it (its
// subject stays, for the refresh's same-subject check) and, when the
// provider has an end-session endpoint, puts the ID token in a cookie of
// its own, "{session}.{provider}.id", whose Path is the blueprint's
// end-session route: the browser sends it there only. That cookie is
// sealed with AES-GCM under a fresh key kept in the token, itself in the
// session cookie: bound to this session, as confidential as the session
// is, and cheap to write. An ID token too large for one cookie stays with
// the token.

// idCookieKeyLen is the length of an ID token cookie's key.
const idCookieKeyLen = 16

func (k *cookieCell) idName() string { return k.prefix + "id" }

// idToken returns the ID token sealed with key, when this request carries
// its cookie.
func (k *cookieCell) idToken(key string) string {
	if k.idPath == "" || !pathWithin(k.c.Request.URL.Path, k.idPath) {
		return "" // the browser does not send it here
	}
	ck, err := k.c.Request.Cookie(k.idName())
	if err != nil {
		return ""
	}
	rawKey, err1 := base64.RawURLEncoding.DecodeString(key)
	sealed, err2 := base64.RawURLEncoding.DecodeString(ck.Value)
	if err1 != nil || err2 != nil || len(rawKey) != idCookieKeyLen {
		return ""
	}
	aead, err := idCookieAEAD(rawKey)
	if err != nil {
		return ""
	}
	plain, err := aead.Open(nil, make([]byte, aead.NonceSize()), sealed, []byte(k.idName()))
	if err != nil {
		return ""
	}
	return string(plain)
}

// idCookieAEAD is AES-128-GCM under key. Each key seals one value only, so
// the nonce is zero.
func idCookieAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// pathWithin reports whether a request for path gets a cookie of
// cookiePath (RFC 6265 section 5.1.4).
func pathWithin(path, cookiePath string) bool {
	rest, ok := strings.CutPrefix(path, cookiePath)
	return ok && (rest == "" || rest[0] == '/' || strings.HasSuffix(cookiePath, "/"))
}

// apart encodes t, which replaces prev, for this cell, and sets or expires
// the ID token cookie to match. whole returns t's whole encoding.
func (k *cookieCell) apart(prev, t *Token, whole func() (string, error)) (string, error) {
	had := prev != nil && prev.apart != nil && prev.apart.key != ""
	switch {
	case t != nil && t.IDToken == "" && t.apart != nil:
		// Read where its ID token does not travel: the cookie, if any,
		// keeps it, and the encoding keeps its mark.
		return whole()
	case t != nil && t.IDToken != "" && k.idApart:
		sub := t.idSubject()
		if sub == "" {
			sub, _ = jwtClaims(t.IDToken)["sub"].(string)
		}
		_, verified := t.Extra[claimsKey].(map[string]any)
		if k.idPath == "" {
			// Nothing would read it: keep the subject only.
			if had {
				k.setIDCookie("")
			}
			return encodeToken(t, (&idApart{sub: sub, claims: verified}).field())
		}
		key, sealed, err := k.sealIDToken(t.IDToken)
		if err != nil {
			return "", err
		}
		if len(k.idName())+len(sealed)+1 <= maxCookieBytes {
			k.setIDCookie(sealed)
			return encodeToken(t, (&idApart{sub: sub, key: key, claims: verified}).field())
		}
	}
	if had {
		k.setIDCookie("")
	}
	if t == nil {
		return "", nil
	}
	return whole()
}

// sealIDToken seals idToken under a fresh key, for the ID token cookie.
func (k *cookieCell) sealIDToken(idToken string) (key, sealed string, err error) {
	raw := make([]byte, idCookieKeyLen)
	if _, err := rand.Read(raw); err != nil {
		return "", "", err
	}
	aead, err := idCookieAEAD(raw)
	if err != nil {
		return "", "", err
	}
	out := aead.Seal(make([]byte, 0, len(idToken)+aead.Overhead()), make([]byte, aead.NonceSize()), []byte(idToken), []byte(k.idName()))
	return base64.RawURLEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(out), nil
}

// setIDCookie sets the ID token cookie to sealed, or expires it. The value
// is base64url, which a cookie holds as it is.
func (k *cookieCell) setIDCookie(sealed string) {
	opts := *k.opts
	opts.Path = k.idPath
	if sealed == "" {
		opts.MaxAge = -1
	}
	line := gsessions.NewCookie(k.idName(), "", &opts).String()
	if line == "" {
		return
	}
	if sealed != "" {
		line = k.idName() + "=" + sealed + line[len(k.idName())+1:]
	}
	k.c.Writer.Header().Add("Set-Cookie", line)
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
		dedupeSetCookies(w.ResponseWriter.Header())
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
