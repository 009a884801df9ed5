package null_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/null"
)

func TestNullStoresNothing(t *testing.T) {
	var st ginoauth.Storage = null.New()
	c, _ := gin.CreateTestContext(nil)
	ref, err := st.Ref(c, "github")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ref.Swap(ctx, nil, &ginoauth.Token{AccessToken: "a"}); err != nil {
		t.Fatalf("Swap: %v", err)
	}
	if tok, err := ref.Load(ctx); !errors.Is(err, ginoauth.ErrNoToken) || tok != nil {
		t.Fatalf("Load: got %v, %v; want nil, ErrNoToken", tok, err)
	}
	if _, err := ref.Swap(ctx, nil, nil); err != nil {
		t.Fatalf("delete: %v", err)
	}
}
