package ginoauth

// Ending sessions at the provider: OpenID Connect RP-Initiated Logout 1.0
// (the browser goes to the provider's end-session endpoint and comes back
// with the state it took) and Back-Channel Logout 1.0 (the provider posts a
// logout token to the app).

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// SubjectLogout is an optional [Storage] capability for OpenID Connect
// back-channel logout: it deletes every token of provider (the blueprint
// name) that belongs to the provider account subject (the ID token's
// "sub", the Profile ID), and reports how many it deleted.
// backends/gormstore implements it; a session storage cannot, as it cannot
// reach other users' sessions (see Hooks.BackChannelLogout).
type SubjectLogout interface {
	LogoutSubject(ctx context.Context, provider, subject string) (int, error)
}

// The routes of the two logout flows, relative to the group given to
// Register.
func (b *Blueprint) loggedOutRoute() string   { return "/" + b.name + "/logged-out" }
func (b *Blueprint) endSessionRoute() string  { return "/" + b.name + "/end-session" }
func (b *Blueprint) endSessionKey() string    { return b.name + "_oauth_end_session" }
func (b *Blueprint) backChannelRoute() string { return "/" + b.name + "/backchannel-logout" }
func (b *Blueprint) logoutStateKey() string   { return b.name + "_oauth_logout" }
func (b *Blueprint) backChannelEnabled() bool {
	if b.provider.VerifyLogoutToken == nil {
		return false
	}
	_, ok := b.storage.(SubjectLogout)
	return ok || b.hooks.BackChannelLogout != nil
}

// EndSession logs the user out here and at the provider, and answers the
// request. With a cookie session store, where the ID token travels only to
// the blueprint's end-session route ("/login/{name}/end-session", see
// [SessionStorage]), it first redirects there (303) with a single-use
// ticket it leaves in the session, and goes on there. It revokes and
// deletes the user's token as [Blueprint.Logout] does (a failed revocation
// is logged, not returned), then:
//
//   - for a provider with an end-session endpoint (Provider.EndSessionURL,
//     from OpenID Connect discovery), it answers with a page that posts the
//     RP-Initiated Logout request there: client_id, the ID token as
//     id_token_hint (in the form body, never in a URL), a fresh state, and
//     post_logout_redirect_uri, the blueprint's logged-out route
//     ("/login/{name}/logged-out" with Register(engine.Group("/login"))),
//     which must be registered with the provider. The provider sends the
//     browser back there; the route checks the state and redirects to next;
//   - otherwise, it redirects to next at once.
//
// next is a same-site path; anything else means "/". An error means the
// token could not be deleted or the session not saved, and nothing was
// written to the response.
func (b *Blueprint) EndSession(c *gin.Context, next string) error {
	if next == "" || !safeNext(next) {
		next = "/"
	}
	if b.provider.EndSessionURL != "" {
		if done, err := b.endSessionElsewhere(c, next); done || err != nil {
			return err
		}
	}
	t, revokeErr, err := b.dropToken(c)
	if err != nil {
		return err
	}
	if revokeErr != nil {
		b.logDebug("ginoauth: revocation at logout failed", "kind", kindOf(revokeErr))
	}
	if b.provider.EndSessionURL == "" {
		c.Redirect(http.StatusFound, next)
		return nil
	}
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		return err
	}
	state := rand.Text()
	s.Set(b.logoutStateKey(), state+" "+next)
	if err := s.Save(); err != nil {
		return &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	}
	fields := []formField{{"client_id", b.oauth.ClientID}}
	if t != nil && t.IDToken != "" {
		fields = append(fields, formField{"id_token_hint", t.IDToken})
	}
	fields = append(fields,
		formField{"post_logout_redirect_uri", b.siblingURL(c, b.mountedLoggedOut)},
		formField{"state", state})
	writePostPage(c, "Signing out", b.provider.EndSessionURL, fields)
	return nil
}

// endSessionElsewhere sends the browser on to the end-session route when
// the user's ID token is kept in a cookie that only that route receives
// (a cookie session store: see SessionStorage), with a single-use ticket in
// the session so that no other site can start a logout there. It reports
// whether it answered the request.
func (b *Blueprint) endSessionElsewhere(c *gin.Context, next string) (bool, error) {
	if c.Request != nil && pathWithin(c.Request.URL.Path, b.mountedEndSession) {
		return false, nil // here already: without its cookie, no hint
	}
	src, err := b.source(c)
	if err != nil {
		return false, err
	}
	t, err := src.current(reqContext(c))
	if err != nil || t.apart == nil || t.apart.key == "" || t.IDToken != "" {
		return false, nil // no token, or its ID token is at hand
	}
	s, err := session(c, b.cfg.SessionName)
	if err != nil {
		return false, err
	}
	ticket := rand.Text()
	s.Set(b.endSessionKey(), ticket+" "+next)
	if err := s.Save(); err != nil {
		return false, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	}
	c.Redirect(http.StatusSeeOther, b.mountedEndSession+"?ticket="+ticket)
	return true, nil
}

// endSessionHandler is the end-session route: with the ticket EndSession
// left in the session, it ends the session here, where the ID token
// cookie is sent.
func (b *Blueprint) endSessionHandler() gin.HandlerFunc {
	return func(c *gin.Context) {
		s, err := session(c, b.cfg.SessionName)
		if err != nil {
			b.fail(c, &Error{Kind: KindConfig, Err: err})
			return
		}
		stored, _ := s.Get(b.endSessionKey()).(string)
		want, next, _ := strings.Cut(stored, " ")
		if want == "" || subtle.ConstantTimeCompare([]byte(c.Query("ticket")), []byte(want)) != 1 {
			b.failPage(c, &Error{Kind: KindStateMismatch, Err: errors.New("no sign-out started in this session")},
				"Sign-out failed", "The sign-out was not started by this site. You are still signed in.", "")
			return
		}
		s.Delete(b.endSessionKey()) // single use; EndSession saves the session
		if err := b.EndSession(c, next); err != nil {
			ge, ok := asError(err)
			if !ok {
				ge = &Error{Kind: KindStorageFailed, Err: err}
			}
			b.failPage(c, ge, "Sign-out failed", ge.Message(), "")
		}
	}
}

// loggedOutHandler is where the provider sends the browser back after
// RP-Initiated Logout: the state must be the one EndSession sent.
func (b *Blueprint) loggedOutHandler() gin.HandlerFunc {
	return func(c *gin.Context) {
		s, err := session(c, b.cfg.SessionName)
		if err != nil {
			b.fail(c, &Error{Kind: KindConfig, Err: err})
			return
		}
		stored, _ := s.Get(b.logoutStateKey()).(string)
		want, next, _ := strings.Cut(stored, " ")
		got := c.Query("state")
		// The local logout is done either way; an unverified return only
		// does not go on to next.
		fail := func(kind ErrorKind, cause string) {
			b.failPage(c, &Error{Kind: kind, Err: errors.New(cause)}, "Signed out",
				"You are signed out of this site, but the provider's answer could not be verified.", "")
		}
		switch {
		case want == "":
			fail(KindStateMissing, "no logout in progress in this session")
			return
		case subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1:
			fail(KindStateMismatch, "the logout state does not match")
			return
		}
		s.Delete(b.logoutStateKey())
		if err := s.Save(); err != nil {
			b.fail(c, &Error{Kind: KindStorageFailed, Err: err})
			return
		}
		if !safeNext(next) {
			next = "/"
		}
		c.Redirect(http.StatusFound, next)
	}
}

// maxLogoutRequest bounds a back-channel logout request's body.
const maxLogoutRequest = 64 << 10

// backChannelHandler is the back-channel logout route: the provider posts
// a logout token, and the tokens and sessions of the account it names are
// ended (Back-Channel Logout 1.0 section 2.8: 200 when done, 400 with an
// OAuth error otherwise, never cached).
func (b *Blueprint) backChannelHandler() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxLogoutRequest)
		raw := c.PostForm("logout_token")
		if raw == "" {
			c.JSON(http.StatusBadRequest, gin.H{"error": "invalid_request", "error_description": "no logout_token"})
			return
		}
		// The deletion completes even if the provider hangs up.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), b.timeout())
		defer cancel()
		claims, err := b.provider.VerifyLogoutToken(ctx, b.oauth.ClientID, raw)
		if err != nil {
			b.logDebug("ginoauth: back-channel logout token refused")
			c.JSON(http.StatusBadRequest, gin.H{"error": "invalid_request", "error_description": "the logout token is not valid"})
			return
		}
		sub, _ := claims["sub"].(string)
		sid, _ := claims["sid"].(string)
		if ls, ok := b.storage.(SubjectLogout); ok && sub != "" {
			if _, err := ls.LogoutSubject(ctx, b.name, sub); err != nil {
				b.logDebug("ginoauth: back-channel logout: storage failed", "kind", kindOf(err))
				c.JSON(http.StatusBadRequest, gin.H{"error": "logout_failed", "error_description": "the tokens could not be deleted"})
				return
			}
		}
		if h := b.hooks.BackChannelLogout; h != nil {
			if err := h(ctx, b, sub, sid); err != nil {
				b.logDebug("ginoauth: back-channel logout: hook failed")
				c.JSON(http.StatusBadRequest, gin.H{"error": "logout_failed", "error_description": "the sessions could not be ended"})
				return
			}
		}
		c.Status(http.StatusOK)
	}
}

// siblingURL is the absolute URL of path (a mounted route) beside the
// authorized route: on RedirectURL's origin when it is set, otherwise on
// this request's.
func (b *Blueprint) siblingURL(c *gin.Context, path string) string {
	if b.cfg.RedirectURL != "" {
		if u, err := url.Parse(b.cfg.RedirectURL); err == nil {
			return u.Scheme + "://" + u.Host + path
		}
	}
	scheme, host := b.requestOrigin(c)
	return scheme + "://" + host + path
}
