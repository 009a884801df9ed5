package providers_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ginoauth/ginoauth"
)

func t1AppleSecret(t *testing.T, secret string, pub *ecdsa.PublicKey) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("client_secret is not an ES256 JWS: %v", err)
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != keyID {
		t.Errorf("client secret kid: got %q, want %q", kid, keyID)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		t.Fatalf("client secret signature: %v", err)
	}
	var c struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	if c.Iss != teamID || c.Sub != envID || c.Aud != "https://appleid.apple.com" || c.Exp <= c.Iat || c.Exp > time.Now().Add(6*31*24*time.Hour).Unix() {
		t.Errorf("got client secret claims %+v, want iss %s, sub %s, aud Apple, a bounded expiry", c, teamID, envID)
	}
}

// TestTable1Options checks each option's effect on the authorization URL and on
// the provider's other URLs.
func TestTable1Options(t *testing.T) {
	t.Parallel()
	for _, tc := range t1Cases(t) {
		for _, oc := range tc.options {
			t.Run(tc.name+"/"+oc.name, func(t *testing.T) {
				t.Parallel()
				bp, err := oc.newBP(ginoauth.Config{ClientID: "id", ClientSecret: "secret"})
				if err != nil {
					t.Fatal(err)
				}
				loc, _ := t1Login(t, t1Engine(bp), tc.name)
				base, _ := url.Parse(tc.authURL)
				wantHost, wantPath := base.Host, base.Path
				if oc.host != "" {
					wantHost = oc.host
				}
				if oc.path != "" {
					wantPath = oc.path
				}
				if loc.Scheme != "https" || loc.Host != wantHost || loc.Path != wantPath {
					t.Errorf("got authorization URL %s://%s%s, want https://%s%s", loc.Scheme, loc.Host, loc.Path, wantHost, wantPath)
				}
				q := loc.Query()
				for k, v := range oc.want {
					if got := q.Get(k); got != v {
						t.Errorf("parameter %s: got %q, want %q", k, got, v)
					}
				}
				for _, k := range oc.absent {
					if q.Has(k) {
						t.Errorf("parameter %s: got %q, want none", k, q.Get(k))
					}
				}
				v, ok := t1Provs.Load(bp)
				if !ok {
					t.Fatal("the option's blueprint was not built through t1Keep")
				}
				p := v.(ginoauth.Provider)
				if oc.token != "" && p.Endpoint.TokenURL != oc.token {
					t.Errorf("got token URL %q, want %q", p.Endpoint.TokenURL, oc.token)
				}
				if oc.api != "" && p.APIBaseURL != oc.api {
					t.Errorf("got API base URL %q, want %q", p.APIBaseURL, oc.api)
				}
				if oc.refresh != nil && p.RefreshDisabled == *oc.refresh {
					t.Errorf("got RefreshDisabled %v, want %v", p.RefreshDisabled, !*oc.refresh)
				}
			})
		}
	}
}

// t1Provs maps each blueprint the table built to its preset's Provider.
var t1Provs sync.Map

// t1Keep records what the preset's Provider function returned for the
// blueprint its New built from the same config.
func t1Keep(p ginoauth.Provider) func(*ginoauth.Blueprint, error) (*ginoauth.Blueprint, error) {
	return func(bp *ginoauth.Blueprint, err error) (*ginoauth.Blueprint, error) {
		if err == nil {
			t1Provs.Store(bp, p)
		}
		return bp, err
	}
}
