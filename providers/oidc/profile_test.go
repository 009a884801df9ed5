package oidc_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc"
)

// staticRef is a TokenRef holding one token.
type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

func TestUserInfoProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		userinfo map[string]any
		idSub    string // sub of the ID token claims kept with the token; "" for none
		want     ginoauth.Profile
		wantErr  string
	}{
		{
			name: "standard claims",
			userinfo: map[string]any{"sub": "user-1", "email": "ada@example.com", "email_verified": true,
				"name": "Ada Ramos", "preferred_username": "ada", "picture": "https://img.example/ada.png"},
			idSub: "user-1",
			want: ginoauth.Profile{ID: "user-1", Email: "ada@example.com", EmailVerified: true, Name: "Ada Ramos",
				Username: "ada", AvatarURL: "https://img.example/ada.png"},
		},
		{
			name:     "email_verified as a string",
			userinfo: map[string]any{"sub": "u", "email": "a@example.com", "email_verified": "true"},
			want:     ginoauth.Profile{ID: "u", Email: "a@example.com", EmailVerified: true},
		},
		{
			name:     "email not verified",
			userinfo: map[string]any{"sub": "u", "email": "a@example.com", "email_verified": "false"},
			want:     ginoauth.Profile{ID: "u", Email: "a@example.com"},
		},
		{
			name:     "verified flag absent",
			userinfo: map[string]any{"sub": "u", "email": "a@example.com"},
			want:     ginoauth.Profile{ID: "u", Email: "a@example.com"},
		},
		{
			name:     "given and family names, nickname",
			userinfo: map[string]any{"sub": "u", "given_name": "Ada", "family_name": "Ramos", "nickname": "al"},
			want:     ginoauth.Profile{ID: "u", Name: "Ada Ramos", Username: "al"},
		},
		{
			name:     "sub differs from the id token",
			userinfo: map[string]any{"sub": "someone-else"},
			idSub:    "user-1",
			wantErr:  "sub differs",
		},
		{
			name:     "no sub",
			userinfo: map[string]any{"email": "a@example.com"},
			wantErr:  "no sub",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := newOP(t)
			op.set(func(op *testOP) { op.userinfo = tt.userinfo })
			p, err := oidc.Discover(context.Background(), op.issuer(), oidc.Config{Config: ginoauth.Config{ClientID: clientID}})
			if err != nil {
				t.Fatal(err)
			}
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: clientID})
			if err != nil {
				t.Fatal(err)
			}
			tok := &ginoauth.Token{AccessToken: "at-1", Expiry: time.Now().Add(time.Hour)}
			if tt.idSub != "" {
				tok.Extra = map[string]any{"id_token_claims": map[string]any{"sub": tt.idSub}}
			}
			got, err := bp.ProfileFor(context.Background(), staticRef{tok})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var raw map[string]any
			if err := json.Unmarshal(got.Raw, &raw); err != nil || raw["sub"] != tt.userinfo["sub"] {
				t.Errorf("got Raw %s, want the userinfo JSON", got.Raw)
			}
			got.Raw = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestClaimsProfile(t *testing.T) {
	t.Parallel()
	tok := &ginoauth.Token{AccessToken: "a", Extra: map[string]any{"id_token_claims": map[string]any{
		"sub": "s-1", "email": "x@example.com", "email_verified": true, "name": "X",
	}}}
	got, err := oidc.ClaimsProfile(context.Background(), nil, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "s-1" || got.Email != "x@example.com" || !got.EmailVerified || got.Name != "X" {
		t.Errorf("got %+v, want the claims mapped", got)
	}
	if _, err := oidc.ClaimsProfile(context.Background(), nil, &ginoauth.Token{AccessToken: "a"}); err == nil {
		t.Error("got nil error for a token without claims")
	}
	// Verified without an email means nothing.
	p, err := oidc.FromClaims(map[string]any{"sub": "s", "email_verified": true})
	if err != nil || p.EmailVerified {
		t.Errorf("got %+v, %v; want EmailVerified false without an email", p, err)
	}
}
