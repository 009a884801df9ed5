package null_test

import (
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/null"
)

// With the null storage the Authorized hook keeps the token itself (or
// drops it): the blueprint stores nothing.
func ExampleNew() {
	cfg := ginoauth.Config{
		ClientID: "id",
		Storage:  null.New(),
		Hooks: ginoauth.Hooks{Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
			// ... save t in the app's own tables ...
			return ginoauth.ErrSkipStore
		}},
	}
	fmt.Println(cfg.Storage != nil)
	// Output: true
}
