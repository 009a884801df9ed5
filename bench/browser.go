package bench

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
)

// Browser is one user agent: it keeps the app's cookies as a browser does
// and checks every answer, so a broken flow fails instead of looking fast.
// A Browser is not safe for concurrent use; give each goroutine its own.
type Browser struct {
	h       *Harness
	cookies []*http.Cookie
	pending string // a callback URL waiting to be visited (benchmarks)

	// CookieBytes is the total length of the Set-Cookie header values the
	// app sent this browser.
	CookieBytes int64
}

// NewBrowser returns a browser with no cookies.
func (h *Harness) NewBrowser() *Browser { return &Browser{h: h} }

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (b *Browser) get(target string) (answer, error) {
	if !isAbs(target) {
		target = b.h.appURL + target
	}
	var a answer
	if b.h.appClient == nil {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		for _, c := range b.cookies {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		b.h.engine.ServeHTTP(w, req)
		a = answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	} else {
		req, err := http.NewRequest(http.MethodGet, target, nil)
		if err != nil {
			return a, err
		}
		for _, c := range b.cookies {
			req.AddCookie(c)
		}
		resp, err := b.h.appClient.Do(req)
		if err != nil {
			return a, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return a, err
		}
		a = answer{status: resp.StatusCode, header: resp.Header, body: body}
	}
	b.keep(a.header["Set-Cookie"])
	return a, nil
}

// keep stores the cookies the app set, the last of each name winning, and
// drops the ones it deleted.
func (b *Browser) keep(lines []string) {
	for _, line := range lines {
		b.CookieBytes += int64(len(line))
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		i := 0
		for ; i < len(b.cookies) && b.cookies[i].Name != c.Name; i++ {
		}
		switch {
		case c.MaxAge < 0 && i < len(b.cookies):
			b.cookies = append(b.cookies[:i], b.cookies[i+1:]...)
		case c.MaxAge < 0:
		case i < len(b.cookies):
			b.cookies[i] = &http.Cookie{Name: c.Name, Value: c.Value}
		default:
			b.cookies = append(b.cookies, &http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
}

// Login visits the login route and returns the provider authorization URL
// the app redirected to. The app must redirect there with a state and set
// a cookie.
func (b *Browser) Login() (string, error) {
	a, err := b.get(loginPath)
	if err != nil {
		return "", fmt.Errorf("bench: %s login: %w", b.h.impl, err)
	}
	loc := a.header.Get("Location")
	switch {
	case a.status != http.StatusFound && a.status != http.StatusTemporaryRedirect:
		return "", fmt.Errorf("bench: %s login: got status %d, want a redirect", b.h.impl, a.status)
	case !strings.HasPrefix(loc, AuthURL+"?") || !strings.Contains(loc, "state="):
		return "", fmt.Errorf("bench: %s login: redirect is not to GitHub with a state", b.h.impl)
	case len(a.header["Set-Cookie"]) == 0:
		return "", fmt.Errorf("bench: %s login: no session cookie", b.h.impl)
	}
	return loc, nil
}

// Authorize plays the user approving the login at the provider: it returns
// the callback URL with a fresh code.
func (b *Browser) Authorize(authURL string) (string, error) {
	cb, err := b.h.Provider.Approve(authURL)
	if err != nil {
		return "", fmt.Errorf("bench: %s authorize: %w", b.h.impl, err)
	}
	return cb, nil
}

// Callback visits the callback URL. The app must have obtained a token and
// the profile (it names the user in an X-User header), saved the session
// and redirected to "/".
func (b *Browser) Callback(callbackURL string) error {
	a, err := b.get(callbackURL)
	if err != nil {
		return fmt.Errorf("bench: %s callback: %w", b.h.impl, err)
	}
	switch {
	case a.status != http.StatusFound:
		return fmt.Errorf("bench: %s callback: got status %d, want %d", b.h.impl, a.status, http.StatusFound)
	case a.header.Get("Location") != "/":
		return fmt.Errorf("bench: %s callback: got Location %q, want %q", b.h.impl, a.header.Get("Location"), "/")
	case a.header.Get("X-User") != Username:
		return fmt.Errorf("bench: %s callback: got user %q, want %q", b.h.impl, a.header.Get("X-User"), Username)
	case len(a.header["Set-Cookie"]) == 0:
		return fmt.Errorf("bench: %s callback: session not saved", b.h.impl)
	}
	return nil
}

// LogIn runs the whole login: Login, Authorize and Callback.
func (b *Browser) LogIn() error {
	authURL, err := b.Login()
	if err != nil {
		return err
	}
	cb, err := b.Authorize(authURL)
	if err != nil {
		return err
	}
	return b.Callback(cb)
}

var wantProfile = []byte(`"login":"octocat"`)

// API calls the app's /api route, which calls GitHub's GET /user with the
// stored token. The answer must be the user's profile.
func (b *Browser) API() error {
	_, err := b.api()
	return err
}

// RefreshingAPI is API for a stored token that has expired: the app must
// refresh it and save the new one (in session storage, a new cookie).
func (b *Browser) RefreshingAPI() error {
	a, err := b.api()
	if err == nil && len(a.header["Set-Cookie"]) == 0 {
		err = fmt.Errorf("bench: %s api: the refreshed token was not saved", b.h.impl)
	}
	return err
}

func (b *Browser) api() (answer, error) {
	a, err := b.get(apiPath)
	if err != nil {
		return a, fmt.Errorf("bench: %s api: %w", b.h.impl, err)
	}
	if a.status != http.StatusOK || !bytes.Contains(a.body, wantProfile) {
		return a, fmt.Errorf("bench: %s api: got status %d, want %d with the profile", b.h.impl, a.status, http.StatusOK)
	}
	return a, nil
}

// FullFlow is LogIn followed by one API call.
func (b *Browser) FullFlow() error {
	if err := b.LogIn(); err != nil {
		return err
	}
	return b.API()
}
