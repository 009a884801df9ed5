package ginoauth_test

import (
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// EndSession logs the user out here and at an OpenID provider: the page it
// answers with posts the logout request to the provider's end-session
// endpoint, which sends the browser back to the blueprint's logged-out
// route, and from there to next. With a cookie session, as here, it first
// sends the browser to the blueprint's end-session route, the one place
// the ID token's own cookie goes, and answers there.
func ExampleBlueprint_EndSession() {
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
	bp.Register(r.Group("/login")) // also GET /login/test/end-session and /login/test/logged-out
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, "authorized: %t", bp.Authorized(c)) })
	r.POST("/logout", func(c *gin.Context) {
		if err := bp.EndSession(c, "/"); err != nil {
			c.String(http.StatusServiceUnavailable, "logout failed")
		}
	})
	app := httptest.NewServer(r)
	defer app.Close()

	browser := exampleBrowser()
	fmt.Println(get(browser, app.URL+"/login/test"))
	resp, err := browser.Post(app.URL+"/logout", "", nil) // 303 to /login/test/end-session, followed
	if err != nil {
		log.Fatal(err)
	}
	page := readAll(resp)
	// What the page's script does in a real browser: post its form.
	action := regexp.MustCompile(`action="([^"]+)"`).FindStringSubmatch(page)[1]
	form := url.Values{}
	for _, f := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		form.Set(f[1], html.UnescapeString(f[2]))
	}
	resp, err = browser.PostForm(html.UnescapeString(action), form)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, readAll(resp), provider.Count(ginoauthtest.PathEndSession))
	// Output:
	// 200 authorized: true
	// 200 authorized: false 1
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
