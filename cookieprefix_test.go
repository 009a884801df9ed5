package ginoauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
)

// TestCookiePrefixPerProvider: blueprints sharing one SessionStorage keep
// their token cookies apart, whichever asked last.
func TestCookiePrefixPerProvider(t *testing.T) {
	st := &SessionStorage{}
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	var got []string
	r.GET("/", func(c *gin.Context) {
		for _, p := range []string{"github", "google", "github"} {
			ref, err := st.ref(c, p+"_oauth_token", p, false, "")
			if err != nil {
				t.Fatal(err)
			}
			k, ok := ref.cell.(*cookieCell)
			if !ok {
				t.Fatalf("%s: no cookie cell with a cookie store", p)
			}
			got = append(got, k.name(0))
		}
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if want := "s.github.0 s.google.0 s.github.0"; strings.Join(got, " ") != want {
		t.Errorf("cookie names %q, want %s", got, want)
	}
}
