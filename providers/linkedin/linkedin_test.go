package linkedin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/linkedin"
	"github.com/ginoauth/ginoauth/providers/oidc"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// LinkedIn's documented userinfo answer.
const userinfo = `{
	"sub": "q9Xr2LmT",
	"name": "Sami Lind",
	"given_name": "Sami",
	"family_name": "Lind",
	"picture": "https://media.example.com/sami.jpg",
	"locale": {"country": "US", "language": "en"},
	"email": "sami@example.com",
	"email_verified": true
}`

func TestLinkedIn(t *testing.T) {
	t.Parallel()
	s, err := oidctest.NewSigner("l1")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var revoked url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Forwarded-Host") + r.URL.Path {
		case "www.linkedin.com/oauth/openid/jwks":
			s.ServeHTTP(w, r)
		case "api.linkedin.com/v2/userinfo":
			if r.Header.Get("Authorization") != "Bearer at" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			_, _ = io.WriteString(w, userinfo)
		case "www.linkedin.com/oauth/v2/revoke":
			_ = r.ParseForm()
			mu.Lock()
			revoked = r.PostForm
			mu.Unlock()
		default:
			t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := ginoauth.Config{ClientID: "cid", ClientSecret: "cs", HTTPClient: oidctest.Client(srv.URL)}
	bp, err := linkedin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("profile", func(t *testing.T) {
		got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "q9Xr2LmT" || got.Name != "Sami Lind" || got.Email != "sami@example.com" || !got.EmailVerified ||
			got.AvatarURL == "" || got.Username != "" {
			t.Errorf("got %+v, want LinkedIn's userinfo mapped", got)
		}
	})

	t.Run("nonce", func(t *testing.T) {
		p := linkedin.Provider(cfg)
		base := map[string]any{"iss": "https://www.linkedin.com/oauth", "aud": "cid", "sub": "q9Xr2LmT",
			"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
		raw, err := s.Sign(base) // LinkedIn sends no nonce
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.VerifyIDToken(context.Background(), "", raw, "n"); err != nil {
			t.Errorf("got %v, want a token without nonce accepted", err)
		}
		base["nonce"] = "other"
		raw, err = s.Sign(base)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.VerifyIDToken(context.Background(), "", raw, "n"); !errors.Is(err, oidc.ErrNonceMismatch) {
			t.Errorf("got %v, want ErrNonceMismatch", err)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		if err := bp.Revoke(context.Background(), &ginoauth.Token{AccessToken: "at"}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if revoked.Get("token") != "at" || revoked.Get("client_id") != "cid" || revoked.Get("client_secret") != "cs" {
			t.Errorf("got revocation form with keys %v, want token and client credentials in the body", revoked)
		}
	})
}
