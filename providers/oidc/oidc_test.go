package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

func newBlueprint(t *testing.T, op *testOP, res *result, mod func(*oidc.Config)) http.Handler {
	t.Helper()
	cfg := oidc.Config{
		Issuer: op.issuer(),
		Config: ginoauth.Config{ClientID: clientID, ClientSecret: clientSecret, Hooks: hooks(res)},
	}
	if mod != nil {
		mod(&cfg)
	}
	bp, err := oidc.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return engine(bp)
}

// TestIDTokenVerification: the verifier's rules that no conformance test
// ID names (conformance_test.go has those).
func TestIDTokenVerification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(op *testOP)
		mod     func(cfg *oidc.Config)
		wantErr error // nil: the login succeeds
		check   func(t *testing.T, err error)
	}{
		{name: "valid"},
		{
			name: "expired",
			setup: func(op *testOP) {
				op.mutate = func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }
			},
			wantErr: errAny,
			check: func(t *testing.T, err error) {
				var te *gooidc.TokenExpiredError
				if !errors.As(err, &te) {
					t.Errorf("got %v, want a *oidc.TokenExpiredError", err)
				}
			},
		},
		{
			name:  "missing nonce allowed",
			setup: func(op *testOP) { op.mutate = func(c map[string]any) { delete(c, "nonce") } },
			mod:   func(cfg *oidc.Config) { cfg.AllowMissingNonce = true },
		},
		{
			name:    "wrong nonce with missing allowed",
			setup:   func(op *testOP) { op.mutate = func(c map[string]any) { c["nonce"] = "x" } },
			mod:     func(cfg *oidc.Config) { cfg.AllowMissingNonce = true },
			wantErr: oidc.ErrNonceMismatch,
		},
		{
			name: "other authorized party",
			setup: func(op *testOP) {
				op.mutate = func(c map[string]any) { c["aud"] = []string{clientID, "other"}; c["azp"] = "other" }
			},
			wantErr: errAny,
			check:   errContains("azp"),
		},
		{
			name:    "no id token",
			setup:   func(op *testOP) { op.omitIDToken = true },
			wantErr: errAny,
			check:   errContains("no id_token"),
		},
		{
			name: "claims check",
			mod: func(cfg *oidc.Config) {
				cfg.CheckClaims = func(map[string]any) error { return errors.New("not allowed") }
			},
			wantErr: errAny,
			check:   errContains("not allowed"),
		},
		{
			name:    "skip issuer check without claims check",
			mod:     func(cfg *oidc.Config) { cfg.SkipIssuerCheck = true },
			wantErr: errAny,
			check:   errContains("CheckClaims"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newOP(t)
			if tt.setup != nil {
				op.set(tt.setup)
			}
			var res result
			r := newBlueprint(t, op, &res, tt.mod)
			run(t, r, op, "oidc", &res, nil)
			if tt.wantErr == nil {
				if res.err != nil {
					t.Fatalf("got error %v, want success", res.err)
				}
				if res.w.Code != http.StatusFound || res.w.Header().Get("Location") != "/" {
					t.Fatalf("got %d %q, want 302 /", res.w.Code, res.w.Header().Get("Location"))
				}
				claims, ok := oidc.IDTokenClaims(res.token)
				if !ok || claims["sub"] != "user-1" {
					t.Errorf("got claims %v, want sub user-1", claims)
				}
				return
			}
			if res.err == nil {
				t.Fatalf("got success (status %d), want an error", res.w.Code)
			}
			if res.err.Kind != ginoauth.KindIDTokenInvalid {
				t.Errorf("got kind %q, want %q (%v)", res.err.Kind, ginoauth.KindIDTokenInvalid, res.err)
			}
			if res.w.Code != http.StatusBadGateway {
				t.Errorf("got status %d, want 502", res.w.Code)
			}
			if res.token != nil {
				t.Errorf("the Authorized hook ran for a rejected ID token")
			}
			if tt.wantErr != errAny && !errors.Is(res.err, tt.wantErr) {
				t.Errorf("got %v, want %v", res.err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, res.err)
			}
		})
	}
}

// errAny marks cases that check the error with a function.
var errAny = errors.New("any")

func errContains(s string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !strings.Contains(err.Error(), s) {
			t.Errorf("got %q, want it to mention %q", err, s)
		}
	}
}

// TestFetchMetadata: what discovery found, the endpoints a blueprint does
// not use itself included, is the app's without a second discovery.
func TestFetchMetadata(t *testing.T) {
	t.Parallel()
	op := newOP(t)
	m, err := oidc.FetchMetadata(context.Background(), op.issuer(), oidc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	iss := op.issuer()
	if m.Issuer != iss || m.UserInfoURL != iss+"/userinfo" || m.RevocationURL != iss+"/revoke" ||
		m.EndSessionURL != iss+"/logout" || m.PARURL != iss+"/par" ||
		strings.Join(m.CodeChallengeMethods, ",") != "S256" || !m.BackChannelLogoutSupported {
		t.Errorf("got %+v", m)
	}
	if _, err := oidc.FetchMetadata(context.Background(), "", oidc.Config{}); err == nil {
		t.Error("no issuer: got nil error")
	}
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		methods     []string
		issParam    bool
		wantStyle   oauth2.AuthStyle
		wantRequire bool
	}{
		{name: "default basic", wantStyle: oauth2.AuthStyleInHeader},
		{name: "post only", methods: []string{"client_secret_post"}, wantStyle: oauth2.AuthStyleInParams},
		{name: "both", methods: []string{"client_secret_post", "client_secret_basic"}, wantStyle: oauth2.AuthStyleInHeader},
		{name: "iss parameter", issParam: true, wantStyle: oauth2.AuthStyleInHeader, wantRequire: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newOP(t)
			op.set(func(op *testOP) { op.authMethods = tt.methods; op.issParam = tt.issParam })
			p, err := oidc.Discover(context.Background(), op.issuer(), oidc.Config{Config: ginoauth.Config{ClientID: clientID}})
			if err != nil {
				t.Fatal(err)
			}
			iss := op.issuer()
			checks := []struct {
				what      string
				got, want any
			}{
				{"Name", p.Name, "oidc"},
				{"AuthURL", p.Endpoint.AuthURL, iss + "/authorize"},
				{"TokenURL", p.Endpoint.TokenURL, iss + "/token"},
				{"AuthStyle", p.Endpoint.AuthStyle, tt.wantStyle},
				{"RevocationURL", p.RevocationURL, iss + "/revoke"},
				{"APIBaseURL", p.APIBaseURL, iss + "/"},
				{"Issuer", p.Issuer, iss},
				{"RequireIssuerParam", p.RequireIssuerParam, tt.wantRequire},
				{"OpenID", p.OpenID, true},
				{"VerifyIDToken set", p.VerifyIDToken != nil, true},
				{"Profile set", p.Profile != nil, true},
				{"Scopes", strings.Join(p.Scopes, " "), "openid profile email"},
				{"DisablePKCE", p.DisablePKCE, false},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestDiscoverErrors(t *testing.T) {
	t.Parallel()
	t.Run("issuer mismatch", func(t *testing.T) {
		t.Parallel()
		op := newOP(t)
		// The document names op.issuer(), not this.
		_, err := oidc.Discover(context.Background(), op.issuer()+"/other", oidc.Config{})
		var me *gooidc.IssuerMismatchError
		if err == nil || !errors.As(err, &me) {
			t.Fatalf("got %v, want an issuer mismatch error", err)
		}
	})
	t.Run("skip issuer check", func(t *testing.T) {
		t.Parallel()
		op := newOP(t)
		p, err := oidc.Discover(context.Background(), op.issuer()+"/other", oidc.Config{SkipIssuerCheck: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Issuer != "" {
			t.Errorf("got Issuer %q, want none (the RFC 9207 check cannot apply)", p.Issuer)
		}
	})
	t.Run("no issuer", func(t *testing.T) {
		t.Parallel()
		if _, err := oidc.New(context.Background(), oidc.Config{Config: ginoauth.Config{ClientID: "x"}}); err == nil {
			t.Fatal("got nil error, want Issuer is required")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		start := time.Now()
		_, err := oidc.Discover(context.Background(), srv.URL, oidc.Config{Config: ginoauth.Config{HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}}})
		if err == nil {
			t.Fatal("got nil error, want a timeout")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Discover took %v, want it bounded by the 100ms timeout", d)
		}
	})
	t.Run("uses HTTPClient", func(t *testing.T) {
		t.Parallel()
		op := newOP(t)
		ct := &countingTransport{}
		_, err := oidc.Discover(context.Background(), op.issuer(), oidc.Config{Config: ginoauth.Config{HTTPClient: &http.Client{Transport: ct}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := ct.count(); got != 1 {
			t.Errorf("got %d requests through Config.HTTPClient, want 1", got)
		}
	})
}

func TestEnvCredentials(t *testing.T) {
	op := newOP(t)
	t.Setenv("OIDC_OAUTH_CLIENT_ID", clientID)
	t.Setenv("OIDC_OAUTH_CLIENT_SECRET", clientSecret)
	var res result
	bp, err := oidc.New(context.Background(), oidc.Config{Issuer: op.issuer(), Config: ginoauth.Config{Hooks: hooks(&res)}})
	if err != nil {
		t.Fatal(err)
	}
	r := engine(bp)
	run(t, r, op, "oidc", &res, nil)
	if res.err != nil {
		t.Fatalf("got %v, want success with the environment's client ID as audience", res.err)
	}
	if got := res.auth.Query().Get("client_id"); got != clientID {
		t.Errorf("got client_id %q, want %q", got, clientID)
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if !op.tokenBasic {
		t.Errorf("got no HTTP Basic client authentication, want the environment's secret in it")
	}
}
