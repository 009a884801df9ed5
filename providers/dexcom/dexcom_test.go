package dexcom_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/dexcom"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// Dexcom's documented v3 dataRange answer.
const dataRange = `{
	"recordType": "dataRange",
	"recordVersion": "3.0",
	"userId": "a1b2c3d4-e5f6-47a8-9b0c-d1e2f3a4b5c6",
	"calibrations": {"start": {"systemTime": "2023-01-01T08:00:00", "displayTime": "2023-01-01T00:00:00"},
		"end": {"systemTime": "2023-02-01T08:00:00", "displayTime": "2023-02-01T00:00:00"}},
	"egvs": {"start": {"systemTime": "2023-01-01T08:05:00", "displayTime": "2023-01-01T00:05:00"},
		"end": {"systemTime": "2023-02-01T08:05:00", "displayTime": "2023-02-01T00:05:00"}},
	"events": {"start": {"systemTime": "2023-01-02T08:00:00", "displayTime": "2023-01-02T00:00:00"},
		"end": {"systemTime": "2023-01-30T08:00:00", "displayTime": "2023-01-30T00:00:00"}}
}`

func TestProfileOnSandbox(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "sandbox-api.dexcom.com/v3/users/self/dataRange" || r.Header.Get("Authorization") != "Bearer at" {
			t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, dataRange)
	}))
	defer srv.Close()
	bp, err := dexcom.New(dexcom.Config{Sandbox: true, Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "a1b2c3d4-e5f6-47a8-9b0c-d1e2f3a4b5c6" || got.Email != "" || got.Name != "" || got.EmailVerified {
		t.Errorf("got %+v, want only Dexcom's user ID", got)
	}
}

func TestHosts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  dexcom.Config
		want string
	}{
		{dexcom.Config{}, "api.dexcom.com"},
		{dexcom.Config{Sandbox: true}, "sandbox-api.dexcom.com"},
		{dexcom.Config{Hostname: "api.dexcom.eu"}, "api.dexcom.eu"},
		{dexcom.Config{Sandbox: true, Hostname: "api.dexcom.jp"}, "api.dexcom.jp"},
	}
	for _, tt := range tests {
		p := dexcom.Provider(tt.cfg)
		for _, u := range []string{p.Endpoint.AuthURL, p.Endpoint.TokenURL, p.APIBaseURL} {
			if want := "https://" + tt.want + "/"; len(u) < len(want) || u[:len(want)] != want {
				t.Errorf("%+v: got %q, want it on %s", tt.cfg, u, tt.want)
			}
		}
	}
}
