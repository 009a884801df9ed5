package ginoauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
	"github.com/ginoauth/ginoauth/ginoauthtest"
	"golang.org/x/oauth2"
)

// exampleBrowser follows redirects and keeps cookies, like a browser.
func exampleBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func get(client *http.Client, url string) string {
	resp, err := client.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

// Mount a blueprint, log in, and call the provider's API with the stored
// token. The provider here is the in-process test provider; with a real one
// only the ginoauth.Provider value changes (see the providers packages).
func ExampleNew() {
	app := httptest.NewUnstartedServer(nil) // listening: its address is known
	defer app.Close()
	provider := ginoauthtest.NewServer(ginoauthtest.Config{
		AutoApprove:  "1001",
		RedirectURIs: []string{"http://" + app.Listener.Addr().String() + "/login/test/authorized"},
	})
	defer provider.Close()

	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID:     provider.ClientID(),
		ClientSecret: provider.ClientSecret(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login")) // GET /login/test and /login/test/authorized
	r.GET("/", func(c *gin.Context) {
		if !bp.Authorized(c) {
			c.String(http.StatusOK, "logged out")
			return
		}
		p, err := bp.Profile(c)
		if err != nil {
			c.String(http.StatusBadGateway, "provider unreachable")
			return
		}
		c.String(http.StatusOK, "hello "+p.Username)
	})
	app.Config.Handler = r
	app.Start()

	browser := exampleBrowser()
	fmt.Println(get(browser, app.URL+"/"))
	fmt.Println(get(browser, app.URL+"/login/test")) // provider → callback → "/"
	// Output:
	// 200 logged out
	// 200 hello alice
}

// Hooks replace Flask-Dance's signals. This one keeps the token out of
// storage unless the provider granted the "email" scope, and shows its own
// page for failed logins.
func ExampleHooks() {
	provider := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer provider.Close()

	hooks := ginoauth.Hooks{
		Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
			for _, s := range t.Scopes {
				if s == "email" {
					return nil // store it and redirect as usual
				}
			}
			return ginoauth.ErrSkipStore
		},
		Error: func(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
			c.String(err.Status(), "%s login failed: %s", bp.Name(), err.Kind)
		},
	}
	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(), Hooks: hooks,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "authorized: %t", bp.Authorized(c)) })
	app := httptest.NewServer(r)
	defer app.Close()

	browser := exampleBrowser()
	fmt.Println(get(browser, app.URL+"/login/test"))
	// An answer that carries no state this browser was given is refused as
	// such, whatever error it claims.
	fmt.Println(get(browser, app.URL+"/login/test/authorized?error=access_denied"))
	// Output:
	// 200 authorized: true
	// 400 test login failed: state_missing
}

// Client refreshes an expired token by itself and saves the new one; a
// token that can no longer be refreshed is reported as KindReauthRequired.
func ExampleBlueprint_Client() {
	provider := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001", RotateRefreshTokens: true})
	defer provider.Close()
	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(),
		Hooks: ginoauth.Hooks{TokenRefreshed: func(_ context.Context, bp *ginoauth.Blueprint, _ *ginoauth.Token) {
			fmt.Println("refreshed", bp.Name())
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/whoami", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c)
		if err != nil {
			c.String(http.StatusInternalServerError, "no client")
			return
		}
		resp, err := client.Get("whoami") // relative to the provider's API base URL
		if errors.Is(err, ginoauth.KindReauthRequired) {
			c.Redirect(http.StatusFound, bp.LoginPath())
			return
		} else if err != nil {
			c.String(http.StatusBadGateway, "provider unreachable")
			return
		}
		defer resp.Body.Close()
		c.Status(resp.StatusCode)
		_, _ = io.Copy(c.Writer, resp.Body)
	})
	app := httptest.NewServer(r)
	defer app.Close()

	browser := exampleBrowser()
	get(browser, app.URL+"/login/test")
	provider.ExpireAccessTokens()
	// Make the stored token look expired too, as it would be an hour later.
	r.GET("/age", func(c *gin.Context) {
		t, _ := bp.Token(c)
		t = t.Clone()
		t.Expiry = t.Expiry.Add(-2 * 3600e9)
		_ = bp.SetToken(c, t)
	})
	get(browser, app.URL+"/age")
	fmt.Println(strings.Contains(get(browser, app.URL+"/whoami"), `"username":"alice"`))
	// Output:
	// refreshed test
	// true
}

// ClientFor serves background jobs: no request, just a stored token. The
// memory storage's OwnerRef stands in for the GORM storage's UserRef.
func ExampleBlueprint_ClientFor() {
	provider := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true})
	defer provider.Close()
	store := memory.New(memory.Config{})
	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(), Storage: store,
	})
	if err != nil {
		log.Fatal(err)
	}

	// A token saved earlier for local user 42 (here: minted by the test provider).
	tok, _ := provider.IssueToken("1002")
	ref := store.OwnerRef("42", bp.Name())
	_, _ = ref.Swap(context.Background(), nil, tok)

	client := bp.ClientFor(context.Background(), ref)
	resp, err := client.Get("whoami")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"username":"bob"`))
	// Output: 200 true
}

// Required sends visitors without a usable token to the login route, with
// the page they wanted as "next".
func ExampleBlueprint_Required() {
	provider := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer provider.Close()
	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(),
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/repos", bp.Required(), func(c *gin.Context) { c.String(http.StatusOK, "your repos") })

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/repos?page=2", nil))
	fmt.Println(w.Code, w.Header().Get("Location"))
	// Output: 302 /login/test?next=%2Frepos%3Fpage%3D2
}

// Logout revokes the token at the provider (RFC 7009) and deletes it; the
// user's next visit to a protected page starts a new login.
func ExampleBlueprint_Logout() {
	provider := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer provider.Close()
	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(),
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "authorized: %t", bp.Authorized(c)) })
	r.POST("/logout", func(c *gin.Context) {
		if err := bp.Logout(c); err != nil {
			// The token is deleted even when the provider could not be reached.
			c.String(http.StatusOK, "logged out here; revocation failed")
			return
		}
		c.Redirect(http.StatusSeeOther, "/")
	})
	app := httptest.NewServer(r)
	defer app.Close()

	browser := exampleBrowser()
	fmt.Println(get(browser, app.URL+"/login/test"))
	resp, err := browser.Post(app.URL+"/logout", "", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body), provider.Count(ginoauthtest.PathRevoke))
	// Output:
	// 200 authorized: true
	// 200 authorized: false 1
}

// StartLogin serves single-page apps that navigate to the provider
// themselves: it records the login in the session and returns the URL.
func ExampleBlueprint_StartLogin() {
	provider := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true})
	defer provider.Close()
	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(),
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	r.GET("/api/login-url", func(c *gin.Context) {
		authURL, err := bp.StartLogin(c, "/after")
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"error": "login unavailable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"url": authURL})
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/login-url", nil))
	fmt.Println(w.Code, strings.Contains(w.Body.String(), provider.URL+"/authorize?"))
	// Output: 200 true
}

// Any OAuth 2 provider is a Provider literal away: its endpoints, the API
// base URL for relative requests, and optionally a profile function.
func ExampleProvider() {
	provider := ginoauth.Provider{
		Name: "example",
		Endpoint: oauth2.Endpoint{
			AuthURL:   "https://id.example.com/oauth/authorize",
			TokenURL:  "https://id.example.com/oauth/token",
			AuthStyle: oauth2.AuthStyleInParams, // client_id and secret in the body
		},
		RevocationURL: "https://id.example.com/oauth/revoke",
		APIBaseURL:    "https://api.example.com/v2/",
		Scopes:        []string{"profile"},
		AuthParams:    map[string]string{"prompt": "consent"},
	}
	bp, err := ginoauth.New(provider, ginoauth.Config{ClientID: "my-client", ClientSecret: "my-secret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/auth"))
	fmt.Println(bp.LoginPath(), bp.AuthorizedPath())
	// Output: /auth/example /auth/example/authorized
}

// A Storage hands out token slots: Ref is its only request-bound step, and
// a slot loads and compare-and-swaps one user's token. This one keeps
// tokens per local user in a map; a real one would use a database (see
// backends/gormstore), and should pass the backends/storagetest suite.
type userTokens struct {
	mu     sync.Mutex
	tokens map[string]*ginoauth.Token // "user/provider" -> token
}

func (s *userTokens) Ref(c *gin.Context, provider string) (ginoauth.TokenRef, error) {
	user := c.GetString("user_id") // set by the app's own login middleware
	if user == "" {
		return nil, errors.New("no local user logged in")
	}
	return userSlot{s, user + "/" + provider}, nil
}

type userSlot struct {
	s   *userTokens
	key string
}

func (r userSlot) Load(context.Context) (*ginoauth.Token, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if t := r.s.tokens[r.key]; t != nil {
		return t.Clone(), nil
	}
	return nil, ginoauth.ErrNoToken
}

func (r userSlot) Swap(_ context.Context, old, new *ginoauth.Token) (*ginoauth.Token, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	cur := r.s.tokens[r.key]
	if old != nil && !cur.Same(old) {
		return cur.Clone(), nil // another request replaced it meanwhile
	}
	if new == nil {
		delete(r.s.tokens, r.key)
	} else {
		r.s.tokens[r.key] = new.Clone()
	}
	return new, nil
}

func ExampleStorage() {
	var st ginoauth.Storage = &userTokens{tokens: map[string]*ginoauth.Token{}}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Set("user_id", "42")
	ref, _ := st.Ref(c, "github")
	_, _ = ref.Swap(c, nil, &ginoauth.Token{AccessToken: "secret-value"})
	t, err := ref.Load(c)
	fmt.Println(t, err)
	// Output: ginoauth.Token{type=} <nil>
}
