package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Balancer routes requests for [Host] to app instances in turn, like a
// round-robin load balancer without sticky sessions. Other hosts (the
// provider) are reached directly. It is safe for concurrent use; each
// [Worker] keeps its own position in the rotation.
type Balancer struct {
	addrs []string
	base  *http.Transport
}

// NewBalancer returns a balancer over the instances' addresses.
func NewBalancer(addrs ...string) *Balancer {
	return &Balancer{
		addrs: append([]string(nil), addrs...),
		base: &http.Transport{
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// Close closes the balancer's idle connections.
func (lb *Balancer) Close() { lb.base.CloseIdleConnections() }

// Browser is one simulated user agent: a cookie jar shared by its workers,
// as the tabs of one browser share cookies.
type Browser struct {
	lb  *Balancer
	jar http.CookieJar
}

// NewBrowser returns a browser with an empty cookie jar.
func (lb *Balancer) NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{lb: lb, jar: jar}
}

// Cookies returns the browser's cookies for the app.
func (b *Browser) Cookies() []*http.Cookie {
	return b.jar.Cookies(&url.URL{Scheme: "http", Host: Host, Path: "/"})
}

// SetCookies replaces the browser's cookies for the app.
func (b *Browser) SetCookies(cs []*http.Cookie) {
	u := &url.URL{Scheme: "http", Host: Host, Path: "/"}
	for _, c := range b.jar.Cookies(u) {
		b.jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: "", Path: "/", MaxAge: -1}})
	}
	b.jar.SetCookies(u, cs)
}

// Worker is one sequence of requests of a browser (a tab). Each of its
// requests to the app goes to the next instance. A Worker is not safe for
// concurrent use; give each goroutine its own.
type Worker struct {
	b      *Browser
	client *http.Client
	next   int
	last   int // instance that served the latest app request
}

// Worker returns a new worker whose first app request goes to instance
// start (modulo the number of instances). timeout bounds each request.
func (b *Browser) Worker(start int, timeout time.Duration) *Worker {
	w := &Worker{b: b, next: start, last: -1}
	w.client = &http.Client{
		Jar:           b.jar,
		Transport:     roundTripFunc(w.roundTrip),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
	return w
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (w *Worker) roundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != Host {
		return w.b.lb.base.RoundTrip(r)
	}
	n := len(w.b.lb.addrs)
	i := ((w.next % n) + n) % n
	w.next++
	w.last = i
	r2 := r.Clone(r.Context())
	r2.URL.Host = w.b.lb.addrs[i]
	r2.Host = Host
	return w.b.lb.base.RoundTrip(r2)
}

// Last returns the index of the instance that served the worker's latest
// app request.
func (w *Worker) Last() int { return w.last }

// Response is an answer with its body read.
type Response struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
	Instance int           // for app requests, the instance that answered
	Took     time.Duration // from request to the end of the body
}

// Do sends a request and reads the answer. u may be a path on the app.
func (w *Worker) Do(method, u string, form url.Values) (*Response, error) {
	return w.DoContext(context.Background(), method, u, form)
}

// DoContext is Do under ctx: when ctx ends, the worker gives up on the
// request and closes its connection, as a browser that goes away does.
func (w *Worker) DoContext(ctx context.Context, method, u string, form url.Values) (*Response, error) {
	if strings.HasPrefix(u, "/") {
		u = "http://" + Host + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	start := time.Now()
	w.last = -1
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	out := &Response{Status: resp.StatusCode, Body: string(b), Header: resp.Header, Instance: w.last, Took: time.Since(start)}
	if loc := resp.Header.Get("Location"); loc != "" {
		if l, err := req.URL.Parse(loc); err == nil {
			loc = l.String()
		}
		out.Location = loc
	}
	return out, nil
}

// Get is Do with GET.
func (w *Worker) Get(u string) (*Response, error) { return w.Do(http.MethodGet, u, nil) }

// APIResult is the outcome of one GET /api.
type APIResult struct {
	Status   int
	User     string // the provider user the API answered for, on success
	Kind     string // the error kind otherwise
	Detail   string // what failed, for storage_unavailable
	Instance int
	Took     time.Duration
}

// API calls GET /api.
func (w *Worker) API() (APIResult, error) { return w.APIContext(context.Background()) }

// APIContext is API under ctx (see DoContext).
func (w *Worker) APIContext(ctx context.Context) (APIResult, error) {
	resp, err := w.DoContext(ctx, http.MethodGet, "/api", nil)
	if err != nil {
		return APIResult{Instance: w.last}, err
	}
	res := APIResult{Status: resp.Status, Instance: resp.Instance, Took: resp.Took}
	var v struct {
		User   string `json:"user"`
		Error  string `json:"error"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		res.Kind = fmt.Sprintf("http_%d", resp.Status)
		return res, nil
	}
	res.User, res.Kind, res.Detail = v.User, v.Error, v.Detail
	return res, nil
}

// LoginResult is the outcome of one login.
type LoginResult struct {
	OK            bool
	Status        int    // the callback's status
	Kind          string // the error kind shown by the error page, if any
	StartInstance int    // instance that served the login route
	EndInstance   int    // instance that served the callback
	Took          time.Duration
	// Location is where the callback redirected.
	Location string
}

var (
	chooserRequest = regexp.MustCompile(`name="request" value="([^"]+)"`)
	errorKind      = regexp.MustCompile(`<code>([a-z_]+)</code>`)
)

// Login runs the whole dance as user userID: the login route, the
// provider's account chooser (picking userID), and the callback. Protocol
// failures are reported in the result; err is for transport failures and
// unexpected pages.
func (w *Worker) Login(userID string) (LoginResult, error) {
	start := time.Now()
	res := LoginResult{StartInstance: -1, EndInstance: -1}
	resp, err := w.Get("/login/test")
	if err != nil {
		return res, fmt.Errorf("login route: %w", err)
	}
	res.StartInstance = resp.Instance
	if resp.Status != http.StatusFound || strings.HasPrefix(resp.Location, "http://"+Host) {
		res.Status, res.Kind = resp.Status, pageKind(resp.Body)
		res.Took = time.Since(start)
		return res, nil
	}
	authURL := resp.Location
	page, err := w.Get(authURL)
	if err != nil {
		return res, fmt.Errorf("provider authorize: %w", err)
	}
	m := chooserRequest.FindStringSubmatch(page.Body)
	if page.Status != http.StatusOK || m == nil {
		return res, fmt.Errorf("provider authorize: status %d, no account chooser", page.Status)
	}
	u, _ := url.Parse(authURL)
	u.RawQuery = ""
	chosen, err := w.Do(http.MethodPost, u.String(), url.Values{"request": {m[1]}, "user": {userID}})
	if err != nil {
		return res, fmt.Errorf("provider chooser: %w", err)
	}
	if chosen.Status != http.StatusFound || !strings.HasPrefix(chosen.Location, "http://"+Host+"/") {
		return res, fmt.Errorf("provider chooser: status %d", chosen.Status)
	}
	cb, err := w.Get(chosen.Location)
	if err != nil {
		return res, fmt.Errorf("callback: %w", err)
	}
	res.EndInstance = cb.Instance
	res.Status = cb.Status
	res.Location = cb.Location
	res.Took = time.Since(start)
	if cb.Status == http.StatusFound && cb.Location == "http://"+Host+"/" {
		res.OK = true
		return res, nil
	}
	res.Kind = pageKind(cb.Body)
	return res, nil
}

// pageKind reads the error kind from ginoauth's default error page.
func pageKind(body string) string {
	if m := errorKind.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// ErrUnexpected is returned by checks that got an answer they did not
// expect.
var ErrUnexpected = errors.New("reliability: unexpected answer")
