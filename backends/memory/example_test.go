package memory_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
)

// Tokens keyed by the local user the app's own login put in the context.
func ExampleNew() {
	st := memory.New(memory.Config{
		Owner: func(c *gin.Context) (string, bool) {
			id := c.GetString("user_id")
			return id, id != ""
		},
	})
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Set("user_id", "42")
	_ = st.SetToken(c, "github", &ginoauth.Token{AccessToken: "a"})
	t, _ := st.Get("42", "github") // the same token, outside a request
	fmt.Println(t.AccessToken)
	// Output: a
}

// Static makes every request look logged in: for testing the app's
// authorized pages without a login.
func ExampleStatic() {
	st := memory.Static(&ginoauth.Token{AccessToken: "test-token", TokenType: "Bearer"})
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	t, err := st.Token(c, "github")
	fmt.Println(t.AccessToken, err)
	// Output: test-token <nil>
}

// Put and Ref serve background jobs: Blueprint.ClientFor takes the Ref.
func ExampleStorage_Ref() {
	st := memory.New(memory.Config{})
	st.Put("42", "github", &ginoauth.Token{AccessToken: "a"})
	ref := st.Ref("42", "github")
	t, _ := ref.Load(context.Background())
	fmt.Println(t.AccessToken)
	// Output: a
}
