package null_test

import (
	"errors"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/null"
)

func TestNullStoresNothing(t *testing.T) {
	var st ginoauth.Storage = null.New()
	c, _ := gin.CreateTestContext(nil)
	if err := st.SetToken(c, "github", &ginoauth.Token{AccessToken: "a"}); err != nil {
		t.Fatalf("SetToken: %v", err)
	}
	if tok, err := st.Token(c, "github"); !errors.Is(err, ginoauth.ErrNoToken) || tok != nil {
		t.Fatalf("Token: got %v, %v; want nil, ErrNoToken", tok, err)
	}
	if err := st.DeleteToken(c, "github"); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
}
