package oidc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// backChannelEvent is the member of a logout token's "events" claim that
// makes it one (OpenID Connect Back-Channel Logout 1.0 section 2.4).
const backChannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// logoutToken is the ginoauth.Provider.VerifyLogoutToken function: it
// accepts a logout token only if it passes the checks an ID token passes
// (signature, algorithm, issuer, audience and azp, expiry, iat), has a
// "jti" not seen before, an "events" claim with the back-channel logout
// event as a JSON object, a "sub" or a "sid", and no "nonce" (Back-Channel
// Logout 1.0 section 2.6). It returns the token's claims.
func (j *jwtVerifier) logoutToken(ctx context.Context, clientID, raw string) (map[string]any, error) {
	if j.skipIss {
		// Without an issuer to compare, anyone the keys trust (another
		// tenant) could log this one's users out.
		return nil, errors.New("oidc: logout token: the issuer is not checked (SkipIssuerCheck)")
	}
	idt, claims, err := j.verify(ctx, clientID, raw)
	if err != nil {
		return nil, fmt.Errorf("oidc: verify logout token: %w", err)
	}
	events, _ := claims["events"].(map[string]any)
	if _, ok := events[backChannelEvent].(map[string]any); !ok {
		return nil, errors.New("oidc: logout token: no back-channel logout event")
	}
	sid, _ := claims["sid"].(string)
	if idt.Subject == "" && sid == "" {
		return nil, errors.New("oidc: logout token: neither sub nor sid")
	}
	if _, ok := claims["nonce"]; ok {
		return nil, errors.New("oidc: logout token: has a nonce (an ID token sent as a logout token?)")
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return nil, errors.New("oidc: logout token: no jti")
	}
	if !j.seen.first(jti, idt.Expiry, j.now()) {
		return nil, errors.New("oidc: logout token: replayed (its jti was seen before)")
	}
	return claims, nil
}

// maxReplayEntries bounds the replay cache; beyond it the entry closest to
// expiry is dropped first.
const maxReplayEntries = 10000

// replayCache remembers the jti of each accepted logout token until the
// token expires, so the same token is accepted once. It is per process: a
// token replayed to another instance of the app logs the same user out a
// second time, which is harmless.
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// first records jti, valid until exp, and reports whether it is new.
func (c *replayCache) first(jti string, exp, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	if until, ok := c.seen[jti]; ok && now.Before(until) {
		return false
	}
	if len(c.seen) >= maxReplayEntries {
		var oldest string
		for k, until := range c.seen {
			if !now.Before(until) {
				delete(c.seen, k)
				continue
			}
			if oldest == "" || until.Before(c.seen[oldest]) {
				oldest = k
			}
		}
		if len(c.seen) >= maxReplayEntries {
			delete(c.seen, oldest)
		}
	}
	c.seen[jti] = exp
	return true
}
