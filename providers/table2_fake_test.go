package providers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// t2Provider is a local token endpoint (any form POST with a grant_type)
// and API (everything else).
type t2Provider struct {
	srv *httptest.Server
	mu  sync.Mutex
	req []t2TokenRequest
	api []string // Authorization headers of API calls
}

func newT2Provider(t *testing.T) *t2Provider {
	fp := &t2Provider{}
	fp.srv = httptest.NewServer(http.HandlerFunc(fp.serve))
	t.Cleanup(fp.srv.Close)
	return fp
}

func (fp *t2Provider) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	if !r.PostForm.Has("grant_type") {
		fp.mu.Lock()
		fp.api = append(fp.api, r.Header.Get("Authorization"))
		fp.mu.Unlock()
		io.WriteString(w, `{"ok":true}`)
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// x/oauth2 query-escapes both before encoding them.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	fp.mu.Lock()
	fp.req = append(fp.req, t2TokenRequest{form: r.PostForm, basicID: id, basicSecret: secret, hasBasic: ok, authorization: r.Header.Get("Authorization")})
	fp.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true,"access_token":"at-1","token_type":"bearer","refresh_token":"rt-1",
		"expires_in":3600,"x_provider_field":"kept"}`)
}

// last returns the last token request; it fails the test if there was none.
func (fp *t2Provider) last(t *testing.T) t2TokenRequest {
	t.Helper()
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.req) == 0 {
		t.Fatal("the token endpoint received no request")
	}
	return fp.req[len(fp.req)-1]
}

// apiAuth returns the Authorization header of the last API call.
func (fp *t2Provider) apiAuth(t *testing.T) string {
	t.Helper()
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.api) == 0 {
		t.Fatal("the API received no request")
	}
	return fp.api[len(fp.api)-1]
}

// t2Redirect sends every request to srv's host, keeping the path.
type t2Redirect struct{ srv *httptest.Server }

func (rd t2Redirect) RoundTrip(r *http.Request) (*http.Response, error) {
	u, err := url.Parse(rd.srv.URL)
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = u.Scheme, u.Host, ""
	return http.DefaultTransport.RoundTrip(r2)
}
