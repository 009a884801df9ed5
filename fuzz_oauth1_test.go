package ginoauth_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// fz1Wire serves a blueprint's provider requests in memory with the test
// provider's handler, which still checks every signature.
type fz1Wire struct{ h http.Handler }

func (w fz1Wire) RoundTrip(r *http.Request) (*http.Response, error) {
	sr := r.Clone(context.WithoutCancel(r.Context()))
	sr.Host = r.URL.Host
	sr.RequestURI = r.URL.RequestURI()
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, sr)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// fz1App is an OAuth 1 app and its provider. A fuzzing process rebuilds it
// now and then, since the provider remembers every request it served.
type fz1App struct {
	srv    *ginoauthtest.OAuth1Server
	engine *gin.Engine
	uses   int
}

func newFz1App() *fz1App {
	srv := ginoauthtest.NewOAuth1Server(ginoauthtest.OAuth1Config{AutoApprove: "1001"})
	bp := mustBP(ginoauth.NewOAuth1(srv.Provider(), ginoauth.Config{
		ClientID:     srv.ConsumerKey(),
		ClientSecret: srv.ConsumerSecret(),
		HTTPClient:   &http.Client{Transport: fz1Wire{srv}},
	}))
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"), []byte("0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/stored", func(c *gin.Context) {
		if _, err := bp.Token(c); err != nil {
			c.Status(http.StatusNotFound)
			return
		}
		c.Status(http.StatusOK)
	})
	return &fz1App{srv: srv, engine: r}
}

// serve runs one request to the app; rawQuery is sent as is.
func (a *fz1App) serve(method, path, rawQuery string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://app.example"+path, nil)
	req.URL.RawQuery = rawQuery
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	a.engine.ServeHTTP(w, req)
	return w
}

// fz1Cookies merges the cookies a response set into jar.
func fz1Cookies(jar []*http.Cookie, w *httptest.ResponseRecorder) []*http.Cookie {
	for _, c := range w.Result().Cookies() {
		kept := jar[:0]
		for _, old := range jar {
			if old.Name != c.Name {
				kept = append(kept, old)
			}
		}
		jar = kept
		if c.MaxAge >= 0 && c.Value != "" {
			jar = append(jar, c)
		}
	}
	return jar
}

// FuzzOAuth1Callback sends arbitrary query strings to the OAuth 1 authorized
// route of a session whose login is in progress and approved at the
// provider. In the query, TOKEN stands for the request token the provider
// gave this login and VERIFIER for the verifier it sent back.
//
// Whatever arrives: no panic and no 500; an error page never echoes the
// input; a login completes only for the session's own request token with
// the provider's verifier and no denial; a token is stored exactly when the
// login completed; and the correct callback replayed afterwards is refused,
// because the first callback that names the request token consumes it.
func FuzzOAuth1Callback(f *testing.F) {
	for _, s := range []string{
		"oauth_token=TOKEN&oauth_verifier=VERIFIER",
		"oauth_token=TOKEN",
		"oauth_verifier=VERIFIER",
		"oauth_token=TOKEN&oauth_verifier=wrong",
		"oauth_token=forged&oauth_verifier=VERIFIER",
		"denied=TOKEN",
		"oauth_token=TOKEN&oauth_verifier=denied",
		"oauth_token=TOKEN&oauth_token=other&oauth_verifier=VERIFIER",
		"oauth_token=TOKEN&oauth_verifier=VERIFIER&denied=x",
		"oauth_token=%ff%fe&oauth_verifier=%00",
		"oauth_token=TOKEN;oauth_verifier=VERIFIER",
		"",
	} {
		f.Add(s)
	}
	gin.SetMode(gin.ReleaseMode)
	var (
		mu  sync.Mutex
		app *fz1App
	)
	f.Cleanup(func() {
		if app != nil {
			app.srv.Close()
		}
	})
	f.Fuzz(func(t *testing.T, query string) {
		mu.Lock()
		defer mu.Unlock()
		if app == nil || app.uses >= 500 {
			if app != nil {
				app.srv.Close()
			}
			app = newFz1App()
		}
		app.uses++

		// A fresh login, approved at the provider.
		w := app.serve(http.MethodGet, "/login/test1", "", nil)
		if w.Code != http.StatusFound {
			t.Fatalf("login route: status %d", w.Code)
		}
		jar := fz1Cookies(nil, w)
		approve := httptest.NewRecorder()
		authURL, _ := url.Parse(w.Header().Get("Location"))
		fz1Wire{app.srv}.serveTo(approve, authURL)
		cb, err := url.Parse(approve.Header().Get("Location"))
		if approve.Code != http.StatusFound || err != nil {
			t.Fatalf("provider approval: status %d", approve.Code)
		}
		token, verifier := cb.Query().Get("oauth_token"), cb.Query().Get("oauth_verifier")
		if token == "" || verifier == "" {
			t.Fatal("provider approval: no request token or verifier")
		}

		raw := strings.NewReplacer("TOKEN", token, "VERIFIER", verifier).Replace(query)
		w = app.serve(http.MethodGet, "/login/test1/authorized", raw, jar)
		jar = fz1Cookies(jar, w)
		switch w.Code {
		case http.StatusFound, http.StatusBadRequest, http.StatusBadGateway:
		default:
			t.Fatalf("query %q: status %d", raw, w.Code)
		}
		if w.Code != http.StatusFound && len(query) > 8 && bytes.Contains(w.Body.Bytes(), []byte(query)) {
			t.Fatalf("query %q: the error page echoes the input", raw)
		}
		// What the route sees: the first value of each parameter, after
		// the query parser has dropped what does not parse.
		q, _ := url.ParseQuery(raw)
		completed := w.Code == http.StatusFound && w.Header().Get("Location") == "/"
		rightCallback := q.Get("oauth_token") == token && q.Get("oauth_verifier") == verifier && q.Get("denied") == ""
		if completed != rightCallback {
			t.Fatalf("query %q: login completed = %v, but the callback is right = %v", raw, completed, rightCallback)
		}
		stored := app.serve(http.MethodGet, "/stored", "", jar).Code == http.StatusOK
		if stored != completed {
			t.Fatalf("query %q: token stored = %v, login completed = %v", raw, stored, completed)
		}
		if q.Get("oauth_token") == token || q.Get("denied") == token && q.Get("oauth_token") == "" {
			// The request token was named: the login is consumed.
			again := app.serve(http.MethodGet, "/login/test1/authorized", cb.RawQuery, jar)
			if again.Code != http.StatusBadRequest {
				t.Fatalf("query %q: the right callback after it got status %d, want 400", raw, again.Code)
			}
		}
	})
}

// serveTo runs one provider request (the browser's visit to the
// authorization page) in memory.
func (w fz1Wire) serveTo(rec *httptest.ResponseRecorder, u *url.URL) {
	req := httptest.NewRequest(http.MethodGet, u.String(), nil)
	w.h.ServeHTTP(rec, req)
}
