package ginoauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"strings"

	gsessions "github.com/gorilla/sessions"
)

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
