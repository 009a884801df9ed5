package microsoft_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/azure"
	"github.com/ginoauth/ginoauth/providers/microsoft"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

func TestPersonalAccountsOnly(t *testing.T) {
	t.Parallel()
	s, err := oidctest.NewSigner("m1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("X-Forwarded-Host") + r.URL.Path; got != "login.microsoftonline.com/consumers/discovery/v2.0/keys" {
			t.Errorf("unexpected request to %s", got)
		}
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	p := microsoft.Provider(microsoft.Config{Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
	if p.Name != "microsoft" {
		t.Errorf("got name %q, want microsoft", p.Name)
	}
	for _, tc := range []struct {
		tid string
		ok  bool
	}{
		{azure.ConsumersTenantID, true},
		{"72f988bf-86f1-41af-91ab-2d7cd011db47", false},
	} {
		raw, err := s.Sign(map[string]any{"iss": "https://login.microsoftonline.com/" + tc.tid + "/v2.0", "tid": tc.tid,
			"aud": "cid", "sub": "s", "nonce": "n", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.VerifyIDToken(context.Background(), "", raw, "n"); (err == nil) != tc.ok {
			t.Errorf("tenant %s: got %v, want ok=%v", tc.tid, err, tc.ok)
		}
	}
}

func TestGraphProfile(t *testing.T) {
	t.Parallel()
	// Graph's answer for a personal account: no mail, the sign-in name as
	// userPrincipalName.
	const me = `{"id":"00000000-0000-0000-66f3-3332eca7ea81","displayName":"Ada Ramos","givenName":"Ada",
		"surname":"Ramos","mail":null,"userPrincipalName":"ada@outlook.com"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host") != "graph.microsoft.com" || r.URL.Path != "/v1.0/me" ||
			r.Header.Get("Authorization") != "Bearer at" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, me)
	}))
	defer srv.Close()
	bp, err := microsoft.New(microsoft.Config{Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "00000000-0000-0000-66f3-3332eca7ea81" || got.Name != "Ada Ramos" || got.Email != "" ||
		got.Username != "ada@outlook.com" || !strings.Contains(string(got.Raw), "outlook") {
		t.Errorf("got %+v, want Graph's user mapped", got)
	}
}
