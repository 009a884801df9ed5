package atlassian_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/atlassian"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// Atlassian's documented answer for GET https://api.atlassian.com/me.
const me = `{
	"account_type": "atlassian",
	"account_id": "5b10ac8d82e05b22cc7d4ef5",
	"email": "noor@example.com",
	%s
	"name": "Noor Haddad",
	"picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/5b10ac8d/9f8e7d6c",
	"account_status": "active",
	"nickname": "nhaddad",
	"zoneinfo": "Australia/Perth",
	"locale": "en-US",
	"extended_profile": {"job_title": "Surveyor", "organization": "noor@example.com", "department": "Field team", "location": "Perth"}
}`

func TestProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, verified string
		want           bool
	}{
		{"verified", `"email_verified": true,`, true},
		{"not said", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "api.atlassian.com/me" || r.Header.Get("Authorization") != "Bearer at" {
					t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
					http.NotFound(w, r)
					return
				}
				_, _ = io.WriteString(w, strings.Replace(me, "%s", tt.verified, 1))
			}))
			defer srv.Close()
			bp, err := atlassian.New(atlassian.Config{Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "5b10ac8d82e05b22cc7d4ef5" || got.Email != "noor@example.com" || got.Name != "Noor Haddad" ||
				got.Username != "nhaddad" || !strings.HasPrefix(got.AvatarURL, "https://avatar-management") || got.EmailVerified != tt.want {
				t.Errorf("got %+v, want /me mapped with EmailVerified %v", got, tt.want)
			}
		})
	}
}
