package ginoauth_test

import (
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/storagetest"
)

func TestSessionStorageConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Harness {
		return storagetest.Harness{Storage: &ginoauth.SessionStorage{}, SessionScoped: true}
	})
}
