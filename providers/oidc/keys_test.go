package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// TestLazyKeys checks that construction does no I/O and that keys (and,
// without a key set URL, the discovery document) are fetched once.
func TestLazyKeys(t *testing.T) {
	t.Parallel()
	for _, withJWKS := range []bool{true, false} {
		name := "jwks url"
		if !withJWKS {
			name = "discovered jwks url"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			op := newOP(t)
			ct := &countingTransport{}
			m := oidc.Metadata{Issuer: op.issuer(), AuthURL: op.issuer() + "/authorize", TokenURL: op.issuer() + "/token"}
			if withJWKS {
				m.JWKSURL = op.issuer() + "/jwks"
			}
			var res result
			p := oidc.FromMetadata(m, oidc.Config{Config: ginoauth.Config{ClientID: clientID}})
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: clientID, ClientSecret: clientSecret,
				HTTPClient: &http.Client{Transport: ct}, Hooks: hooks(&res)})
			if err != nil {
				t.Fatal(err)
			}
			if got := ct.count(); got != 0 {
				t.Fatalf("construction made %d requests, want 0", got)
			}
			r := engine(bp)
			for i := range 2 {
				res = result{}
				run(t, r, op, "oidc", &res, nil)
				if res.err != nil {
					t.Fatalf("login %d: %v", i, res.err)
				}
			}
			wantDiscovery := 0
			if !withJWKS {
				wantDiscovery = 1
			}
			if got := op.count("/.well-known/openid-configuration"); got != wantDiscovery {
				t.Errorf("got %d discovery requests, want %d", got, wantDiscovery)
			}
			if got := op.count("/jwks"); got != 1 {
				t.Errorf("got %d key set requests for two logins, want 1 (cached)", got)
			}
		})
	}
}

func TestScopesWithoutOpenID(t *testing.T) {
	t.Parallel()
	op := newOP(t)
	op.set(func(op *testOP) { op.omitIDToken = true })
	var res result
	r := newBlueprint(t, op, &res, func(cfg *oidc.Config) { cfg.Scopes = []string{"profile"} })
	run(t, r, op, "oidc", &res, nil)
	if res.err != nil {
		t.Fatalf("got %v, want a plain OAuth login", res.err)
	}
	if res.auth.Query().Has("nonce") {
		t.Errorf("got a nonce without the openid scope")
	}
}

func TestNewVerifierDirect(t *testing.T) {
	t.Parallel()
	op := newOP(t)
	good, _ := signers(t)
	now := time.Unix(1_700_000_000, 0)
	v := oidc.NewVerifier(oidc.VerifierConfig{
		Issuer: op.issuer(), JWKSURL: op.issuer() + "/jwks", ClientID: clientID,
		Now: func() time.Time { return now },
	})
	raw, err := good.Sign(map[string]any{"iss": op.issuer(), "aud": clientID, "sub": "s", "nonce": "n",
		"exp": now.Add(time.Minute).Unix(), "iat": now.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := v(context.Background(), "", raw, "n")
	if err != nil {
		t.Fatalf("got %v, want valid (the Now seam sets the clock)", err)
	}
	if claims["sub"] != "s" {
		t.Errorf("got sub %v, want s", claims["sub"])
	}
	// After a refresh the blueprint passes no nonce: the rest is checked.
	if _, err := v(context.Background(), "", raw, ""); err != nil {
		t.Errorf("refreshed token: got %v, want valid without a nonce check", err)
	}
	expired, err := good.Sign(map[string]any{"iss": op.issuer(), "aud": clientID, "sub": "s",
		"exp": now.Add(-time.Minute).Unix(), "iat": now.Add(-2 * time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v(context.Background(), "", expired, ""); err == nil {
		t.Error("refreshed token: got an expired token accepted")
	}
	noClient := oidc.NewVerifier(oidc.VerifierConfig{Issuer: op.issuer(), JWKSURL: op.issuer() + "/jwks"})
	if _, err := noClient(context.Background(), "", raw, "n"); !errors.Is(err, oidc.ErrNoClientID) {
		t.Errorf("got %v, want ErrNoClientID", err)
	}
	if !slices.Contains([]int{0}, op.count("/.well-known/openid-configuration")) {
		t.Errorf("a verifier with a key set URL read the discovery document")
	}
}

// TestRefreshedIDToken checks the verifier in the blueprint's refresh: a
// refreshed ID token has no nonce and is accepted; one for another
// audience or subject is rejected.
func TestRefreshedIDToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mutate   func(c map[string]any)
		wantKind ginoauth.ErrorKind
	}{
		{name: "valid"},
		{name: "wrong audience", mutate: func(c map[string]any) { c["aud"] = "other" }, wantKind: ginoauth.KindIDTokenInvalid},
		{name: "other subject", mutate: func(c map[string]any) { c["sub"] = "user-2" }, wantKind: ginoauth.KindIDTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newOP(t)
			op.set(func(op *testOP) { op.mutateRef = tt.mutate })
			var res result
			cfg := oidc.Config{Issuer: op.issuer(), Config: ginoauth.Config{ClientID: clientID, ClientSecret: clientSecret, Hooks: hooks(&res)}}
			bp, err := oidc.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := engine(bp)
			var refreshed *ginoauth.Token
			var refreshErr error
			r.GET("/refresh", func(c *gin.Context) { refreshed, refreshErr = bp.Refresh(c) })
			run(t, r, op, "oidc", &res, nil)
			if res.err != nil {
				t.Fatalf("login: %v", res.err)
			}
			req := httptest.NewRequest(http.MethodGet, "/refresh", nil)
			for _, c := range browserCookies(res.w.Result().Cookies()) {
				req.AddCookie(c)
			}
			r.ServeHTTP(httptest.NewRecorder(), req)
			if tt.wantKind == "" {
				if refreshErr != nil {
					t.Fatalf("got %v, want the refresh to succeed", refreshErr)
				}
				claims, ok := oidc.IDTokenClaims(refreshed)
				if refreshed.AccessToken != "at-2" || !ok || claims["auth_time"] == nil {
					t.Errorf("got %v with claims %v, want the refreshed token and its new claims", refreshed, claims)
				}
				return
			}
			if ge, ok := errors.AsType[*ginoauth.Error](refreshErr); !ok || ge.Kind != tt.wantKind {
				t.Errorf("got %v, want kind %q", refreshErr, tt.wantKind)
			}
		})
	}
}
