package ginoauth_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/ginoauthtest"
)

// LoginPOSTOnly is for apps that link accounts: a login starts only with a
// POST from the app's own pages, such as
//
//	<form method="post" action="/login/test"><button>Log in</button></form>
//
// A plain link (GET) and a form on another site are refused.
func ExampleConfig_loginPOSTOnly() {
	provider := ginoauthtest.NewServer(ginoauthtest.Config{InsecureAnyRedirectURI: true, AutoApprove: "1001"})
	defer provider.Close()
	bp, err := ginoauth.New(provider.Provider(), ginoauth.Config{
		ClientID: provider.ClientID(), ClientSecret: provider.ClientSecret(), LoginPOSTOnly: true,
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
	post := func(site string) string {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/login/test", nil)
		req.Header.Set("Sec-Fetch-Site", site) // as browsers send it
		resp, err := browser.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Println(strings.TrimSpace(get(browser, app.URL+"/login/test")))
	fmt.Println(post("cross-site")[:3])
	fmt.Println(post("same-origin"))
	// Output:
	// 405
	// 403
	// 200 authorized: true
}
