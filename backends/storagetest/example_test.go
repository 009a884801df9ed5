package storagetest_test

import (
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth/backends/memory"
	"github.com/ginoauth/ginoauth/backends/storagetest"
)

// A storage's test runs the suite with a fresh storage per sub-test. The
// middleware tells the storage who the simulated user is.
func ExampleRun() {
	testConformance := func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storagetest.Harness {
			return storagetest.Harness{
				Storage: memory.New(memory.Config{Owner: func(c *gin.Context) (string, bool) {
					return c.GetString("user"), c.GetString("user") != ""
				}}),
				Middleware: []gin.HandlerFunc{func(c *gin.Context) { c.Set("user", storagetest.User(c)) }},
			}
		})
	}
	_ = testConformance // in a _test.go file: func TestConformance(t *testing.T) { ... }
}
