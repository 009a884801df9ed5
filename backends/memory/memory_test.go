package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/memory"
	"github.com/ginoauth/ginoauth/backends/storagetest"
)

func TestConformanceSessionOwner(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Harness {
		return storagetest.Harness{Storage: memory.New(memory.Config{})}
	})
}

func TestConformanceUserOwner(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Harness {
		return storagetest.Harness{Storage: memory.New(memory.Config{
			Owner: func(c *gin.Context) (string, bool) {
				u := storagetest.User(c)
				return u, u != ""
			},
		})}
	})
}

func TestRefSharesTokens(t *testing.T) {
	st := memory.New(memory.Config{})
	ref := st.OwnerRef("42", "github")
	if _, err := ref.Swap(context.Background(), nil, &ginoauth.Token{AccessToken: "a"}); err != nil {
		t.Fatal(err)
	}
	got, err := ref.Load(context.Background())
	if err != nil || got.AccessToken != "a" {
		t.Fatalf("Load: got %v, %v; want a", got, err)
	}
	if got, _ := ref.Swap(context.Background(), &ginoauth.Token{AccessToken: "stale"}, &ginoauth.Token{AccessToken: "b"}); got.AccessToken != "a" {
		t.Fatalf("stale Swap: got %q, want the stored a", got.AccessToken)
	}
	if got, _ := ref.Swap(context.Background(), &ginoauth.Token{AccessToken: "a"}, &ginoauth.Token{AccessToken: "b"}); got.AccessToken != "b" {
		t.Fatalf("Swap: got %q, want b", got.AccessToken)
	}
	if _, err := st.OwnerRef("43", "github").Load(context.Background()); !errors.Is(err, ginoauth.ErrNoToken) {
		t.Fatalf("other owner: got %v, want ErrNoToken", err)
	}
}

func TestStaticIgnoresWrites(t *testing.T) {
	st := memory.Static(&ginoauth.Token{AccessToken: "fixed"})
	c, _ := gin.CreateTestContext(nil)
	ref, _ := st.Ref(c, "github")
	if _, err := ref.Swap(context.Background(), nil, &ginoauth.Token{AccessToken: "other"}); err != nil {
		t.Fatal(err)
	}
	got, err := ref.Load(context.Background())
	if err != nil || got.AccessToken != "fixed" {
		t.Fatalf("got %v, %v; want fixed", got, err)
	}
}

func TestNoSessionIsAClearError(t *testing.T) {
	st := memory.New(memory.Config{})
	c, _ := gin.CreateTestContext(nil)
	if _, err := st.Ref(c, "github"); !errors.Is(err, ginoauth.ErrNoSession) {
		t.Fatalf("got %v, want ErrNoSession", err)
	}
}
