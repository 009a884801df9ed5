package orcid_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/orcid"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

func TestProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		extra   map[string]any
		want    *ginoauth.Profile
		wantRaw string
	}{
		{"id and name", map[string]any{"orcid": "0000-0001-2345-6789", "name": "Sofia Garcia"},
			&ginoauth.Profile{ID: "0000-0001-2345-6789", Name: "Sofia Garcia"},
			`{"orcid":"0000-0001-2345-6789","name":"Sofia Garcia"}`},
		{"private name", map[string]any{"orcid": "0000-0001-2345-6789", "name": nil},
			&ginoauth.Profile{ID: "0000-0001-2345-6789"}, `{"orcid":"0000-0001-2345-6789"}`},
		{"no orcid", map[string]any{"name": "Sofia Garcia"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bp, err := ginoauth.New(orcid.Provider(orcid.Config{}), ginoauth.Config{ClientID: "APP-1"})
			if err != nil {
				t.Fatal(err)
			}
			// No API server: the profile must come from the token alone.
			tok := &ginoauth.Token{AccessToken: "tok", Extra: tt.extra}
			got, err := bp.ProfileFor(context.Background(), &ref{tok})
			if tt.want == nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Raw) != tt.wantRaw {
				t.Errorf("Raw = %s, want %s", got.Raw, tt.wantRaw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, *tt.want)
			}
		})
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                         string
		cfg                          orcid.Config
		auth, token, revoke, apiBase string
	}{
		{"production", orcid.Config{}, "https://orcid.org/oauth/authorize", "https://orcid.org/oauth/token",
			"https://orcid.org/oauth/revoke", "https://pub.orcid.org/v3.0/"},
		{"member", orcid.Config{MemberAPI: true}, "https://orcid.org/oauth/authorize", "https://orcid.org/oauth/token",
			"https://orcid.org/oauth/revoke", "https://api.orcid.org/v3.0/"},
		{"sandbox", orcid.Config{Sandbox: true}, "https://sandbox.orcid.org/oauth/authorize", "https://sandbox.orcid.org/oauth/token",
			"https://sandbox.orcid.org/oauth/revoke", "https://pub.sandbox.orcid.org/v3.0/"},
		{"sandbox member", orcid.Config{Sandbox: true, MemberAPI: true}, "https://sandbox.orcid.org/oauth/authorize",
			"https://sandbox.orcid.org/oauth/token", "https://sandbox.orcid.org/oauth/revoke", "https://api.sandbox.orcid.org/v3.0/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := orcid.Provider(tt.cfg)
			got := []string{p.Endpoint.AuthURL, p.Endpoint.TokenURL, p.RevocationURL, p.APIBaseURL}
			want := []string{tt.auth, tt.token, tt.revoke, tt.apiBase}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
