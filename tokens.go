package ginoauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
)

// Token returns the user's token: the one just obtained while the Authorized
// hook runs, otherwise the stored one. It returns ErrNoToken when there is
// none. The token may be expired; Client refreshes it.
func (b *Blueprint) Token(c *gin.Context) (*Token, error) {
	src, err := b.source(c)
	if err != nil {
		return nil, err
	}
	return src.current(reqContext(c))
}

// SetToken stores t for the current user, replacing any token.
func (b *Blueprint) SetToken(c *gin.Context, t *Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("ginoauth: SetToken: no access token")
	}
	return b.swapToken(c, t)
}

// DeleteToken removes the user's stored token (local logout from this
// provider). See Logout to revoke it at the provider too.
func (b *Blueprint) DeleteToken(c *gin.Context) error {
	return b.swapToken(c, nil)
}

func (b *Blueprint) swapToken(c *gin.Context, t *Token) error {
	src, err := b.source(c)
	if err != nil {
		return err
	}
	if _, err := src.ref.Swap(reqContext(c), nil, t); err != nil {
		src.mu.Lock()
		src.loaded = false // unknown now
		src.mu.Unlock()
		return err
	}
	src.set(t)
	return nil
}

// valid reports whether t is usable now, by the blueprint's clock and
// early expiry.
func (b *Blueprint) valid(t *Token) bool {
	return t.validAt(b.cfg.Now(), b.cfg.EarlyExpiry) && b.complete(t)
}

// complete reports whether t has what the flow needs to sign requests: an
// OAuth 1.0a token is useless without its secret.
func (b *Blueprint) complete(t *Token) bool {
	_, oauth1 := b.flow.(*oauth1Flow)
	return !oauth1 || t.Secret != ""
}

// usable reports whether t is valid or can be made valid by a refresh.
func (b *Blueprint) usable(t *Token) bool {
	return b.valid(t) || b.complete(t) && b.refreshable(t)
}

// Authorized reports whether the user has a usable token: one that is
// unexpired, or expired but refreshable. Unlike Flask-Dance's authorized, an
// expired token without a refresh token does not count, and neither does
// an OAuth 1.0a token without its secret.
func (b *Blueprint) Authorized(c *gin.Context) bool {
	t, err := b.Token(c)
	return err == nil && b.usable(t)
}

func (b *Blueprint) refreshable(t *Token) bool {
	return t.RefreshToken != "" && !b.provider.RefreshDisabled
}

// Required returns middleware that lets the request through when the user
// is Authorized, and otherwise redirects to the login route with the
// current path as "next" (for GET and HEAD; other methods get 401). When
// the storage cannot be read (a database outage) it answers 503 instead of
// sending a logged-in user to log in again.
func (b *Blueprint) Required() gin.HandlerFunc {
	return func(c *gin.Context) {
		t, err := b.Token(c)
		switch {
		case err == nil && b.usable(t):
			c.Next()
			return
		case err != nil && !errors.Is(err, ErrNoToken) && !errors.Is(err, ErrNoSession):
			_ = c.Error(&Error{Kind: KindStorageFailed, Provider: b.name, Err: err})
			b.logDebug("ginoauth: required: storage unavailable", "kind", string(KindStorageFailed))
			c.Header("Retry-After", "5")
			c.String(http.StatusServiceUnavailable, "The service is temporarily unavailable. Please try again shortly.")
			c.Abort()
			return
		}
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		target := b.mountedLogin
		if next := c.Request.URL.RequestURI(); safeNext(next) && !b.cfg.DisableNext {
			target += "?next=" + url.QueryEscape(next)
		}
		c.Redirect(http.StatusFound, target)
		c.Abort()
	}
}

// Logout revokes the user's token at the provider, when the provider has a
// revocation endpoint, and deletes it from storage. The token is deleted
// even when revocation fails; the revocation error is returned.
func (b *Blueprint) Logout(c *gin.Context) error {
	_, revokeErr, err := b.dropToken(c)
	if err != nil {
		return err
	}
	return revokeErr
}

// dropToken revokes the user's token at the provider and deletes it from
// storage, even when the revocation fails. It returns the token (nil when
// there was none), the revocation's error, and the error of reading or
// deleting it.
func (b *Blueprint) dropToken(c *gin.Context) (t *Token, revokeErr, err error) {
	t, err = b.Token(c)
	if errors.Is(err, ErrNoToken) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	revokeErr = b.Revoke(reqContext(c), t)
	return t, revokeErr, b.DeleteToken(c)
}

// Revoke revokes t at the provider (RFC 7009 for OAuth 2): the refresh token
// if there is one, which also ends its access tokens, otherwise the access
// token. It does nothing when the provider has no revocation endpoint.
func (b *Blueprint) Revoke(ctx context.Context, t *Token) error {
	if t == nil {
		return nil
	}
	return b.flow.revoke(ctx, b, t)
}
