// Package testkit is the test harness the module's tests share: a Browser
// that shows every redirect and an App that mounts one blueprint on a Gin
// engine served on loopback. The test providers themselves are the
// exported ginoauthtest package.
package testkit

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Page is one answer the browser got.
type Page struct {
	Status   int
	Location string // absolute, resolved against the request URL
	Body     string
	Header   http.Header
	URL      string // what was requested
}

// Browser is a user agent with its own cookies that never follows a
// redirect by itself, so that a test sees every step. It records every URL
// it requested, every Location it was sent to and every Set-Cookie it got.
type Browser struct {
	t      testing.TB
	jar    *cookiejar.Jar
	client *http.Client
	base   http.RoundTripper

	mu         sync.Mutex
	observers  []func(*http.Request, *http.Response)
	urls       []string
	locations  []string
	setCookies []string
}

// NewBrowser returns a browser that sends its requests through transport
// (http.DefaultTransport when nil).
func NewBrowser(t testing.TB, transport http.RoundTripper) *Browser {
	if transport == nil {
		transport = http.DefaultTransport
	}
	jar, _ := cookiejar.New(nil)
	b := &Browser{t: t, jar: jar, base: transport}
	b.client = &http.Client{
		Jar:           jar,
		Transport:     recorder{b},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	return b
}

type recorder struct{ b *Browser }

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.b.base.RoundTrip(req)
	r.b.mu.Lock()
	observers := r.b.observers
	r.b.urls = append(r.b.urls, req.URL.String())
	if err == nil {
		if l := resp.Header.Get("Location"); l != "" {
			r.b.locations = append(r.b.locations, l)
		}
		r.b.setCookies = append(r.b.setCookies, resp.Header.Values("Set-Cookie")...)
	}
	r.b.mu.Unlock()
	if err == nil {
		for _, f := range observers {
			f(req, resp)
		}
	}
	return resp, err
}

// Observe calls f with every request the browser sends and the response it
// gets (before the body is read).
func (b *Browser) Observe(f func(*http.Request, *http.Response)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.observers = append(b.observers, f)
}

// Client is the browser's HTTP client, for requests whose raw response a
// test wants to read.
func (b *Browser) Client() *http.Client { return b.client }

// Do sends a request, with form as an urlencoded body when it is not nil.
func (b *Browser) Do(method, u string, form url.Values) Page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if loc != "" {
		if l, err := req.URL.Parse(loc); err == nil {
			loc = l.String()
		}
	}
	return Page{Status: resp.StatusCode, Location: loc, Body: string(data), Header: resp.Header, URL: u}
}

// Get GETs u.
func (b *Browser) Get(u string) Page { b.t.Helper(); return b.Do(http.MethodGet, u, nil) }

// Post POSTs form to u.
func (b *Browser) Post(u string, form url.Values) Page {
	b.t.Helper()
	return b.Do(http.MethodPost, u, form)
}

// Follow GETs u and follows redirects until an answer that is not one.
func (b *Browser) Follow(u string) Page {
	b.t.Helper()
	for range 10 {
		p := b.Get(u)
		if p.Status < 300 || p.Status > 399 {
			return p
		}
		u = p.Location
	}
	b.t.Fatalf("too many redirects from %s", u)
	return Page{}
}

// Cookies returns the cookies the browser would send to u.
func (b *Browser) Cookies(u string) []*http.Cookie {
	pu, _ := url.Parse(u)
	return b.jar.Cookies(pu)
}

// ReplaceCookies drops the browser's cookies for u and sets cs instead.
func (b *Browser) ReplaceCookies(u string, cs []*http.Cookie) {
	pu, _ := url.Parse(u)
	for _, c := range b.jar.Cookies(pu) {
		b.jar.SetCookies(pu, []*http.Cookie{{Name: c.Name, Path: "/", MaxAge: -1}})
	}
	b.jar.SetCookies(pu, cs)
}

// Seen returns copies of every URL requested, every Location received and
// every Set-Cookie header received, in order.
func (b *Browser) Seen() (urls, locations, setCookies []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...), append([]string(nil), b.locations...), append([]string(nil), b.setCookies...)
}
