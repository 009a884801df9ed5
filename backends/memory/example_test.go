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
	ref, _ := st.Ref(c, "github")
	_, _ = ref.Swap(c, nil, &ginoauth.Token{AccessToken: "a"})
	t, _ := st.OwnerRef("42", "github").Load(c) // the same token, outside a request
	fmt.Println(t.AccessToken)
	// Output: a
}

// Static makes every request look logged in: for testing the app's
// authorized pages without a login.
func ExampleStatic() {
	st := memory.Static(&ginoauth.Token{AccessToken: "test-token", TokenType: "Bearer"})
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	ref, _ := st.Ref(c, "github")
	t, err := ref.Load(c)
	fmt.Println(t.AccessToken, err)
	// Output: test-token <nil>
}

// OwnerRef serves background jobs and tests that start logged in:
// Blueprint.ClientFor takes it.
func ExampleStorage_OwnerRef() {
	st := memory.New(memory.Config{})
	ref := st.OwnerRef("42", "github")
	_, _ = ref.Swap(context.Background(), nil, &ginoauth.Token{AccessToken: "a"})
	t, _ := ref.Load(context.Background())
	fmt.Println(t.AccessToken)
	// Output: a
}
