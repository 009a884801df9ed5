package ginoauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestTokenIsReadOncePerRequest(t *testing.T) {
	t.Parallel()
	st := &countingStorage{tok: &Token{AccessToken: "a"}}
	bp := must(New(testProvider(), Config{ClientID: "id", Storage: st}))
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	if !bp.Authorized(c) {
		t.Fatal("Authorized = false")
	}
	if _, err := bp.Client(c); err != nil {
		t.Fatal(err)
	}
	if st.reads != 1 {
		t.Fatalf("storage read %d times in one request, want 1", st.reads)
	}
	if err := bp.SetToken(c, &Token{AccessToken: "b"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := bp.Token(c); got.AccessToken != "b" {
		t.Fatalf("after SetToken: got %q, want b", got.AccessToken)
	}
	if err := bp.DeleteToken(c); err != nil {
		t.Fatal(err)
	}
	if _, err := bp.Token(c); !errors.Is(err, ErrNoToken) || bp.Authorized(c) {
		t.Fatalf("after DeleteToken: got %v, want ErrNoToken", err)
	}
	// A fresh request reads again.
	c2, _ := gin.CreateTestContext(httptest.NewRecorder())
	c2.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	st.tok = &Token{AccessToken: "c"}
	if got, _ := bp.Token(c2); got == nil || got.AccessToken != "c" {
		t.Fatalf("new request: got %v, want c", got)
	}
}

type brokenStorage struct{ countingStorage }

func (s *brokenStorage) Ref(*gin.Context, string) (TokenRef, error) { return s, nil }

func (*brokenStorage) Load(context.Context) (*Token, error) {
	return nil, errors.New("connection refused")
}

func TestRequiredDuringAStorageOutage(t *testing.T) {
	t.Parallel()
	bp := must(New(testProvider(), Config{ClientID: "id", Storage: &brokenStorage{}}))
	r := gin.New()
	bp.Register(r.Group("/login"))
	r.GET("/me", bp.Required(), func(c *gin.Context) { c.String(http.StatusOK, "me") })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/me", nil))
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "refused") {
		t.Fatalf("got %d %q, want a 503 that does not show the cause", w.Code, w.Body.String())
	}
}

// TestNoRequestNoPanic: the app-facing methods on a gin.Context made
// without a request (gin.CreateTestContext) answer, never panic.
func TestNoRequestNoPanic(t *testing.T) {
	t.Parallel()
	st := &countingStorage{tok: &Token{AccessToken: "a"}}
	bp := must(New(testProvider(), Config{ClientID: "id", Storage: st}))
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if tok, err := bp.Token(c); err != nil || tok.AccessToken != "a" {
		t.Errorf("Token: %v, %v", tok, err)
	}
	if _, err := bp.Client(c); err != nil {
		t.Errorf("Client: %v", err)
	}
	if err := bp.SetToken(c, &Token{AccessToken: "b"}); err != nil {
		t.Errorf("SetToken: %v", err)
	}
	if err := bp.Logout(c); err != nil {
		t.Errorf("Logout: %v", err)
	}
	if bp.Authorized(c) {
		t.Error("Authorized after Logout")
	}
}

// must returns bp, or panics with err: for blueprints a test builds from a
// known-good configuration.
func must(bp *Blueprint, err error) *Blueprint {
	if err != nil {
		panic(err)
	}
	return bp
}
