package salesforce_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/oidc/oidctest"
	"github.com/ginoauth/ginoauth/providers/salesforce"
)

type staticRef struct{ t *ginoauth.Token }

func (r staticRef) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r staticRef) Swap(_ context.Context, _, n *ginoauth.Token) (*ginoauth.Token, error) {
	return n, nil
}

// Salesforce's documented userinfo answer (abridged).
const userinfo = `{
	"sub": "https://test.salesforce.com/id/00D5g000004XyZa/0055g00000AbCdE",
	"user_id": "0055g00000AbCdE",
	"organization_id": "00D5g000004XyZa",
	"preferred_username": "tam@example.com",
	"nickname": "tam",
	"name": "Tam Ferro",
	"email": "tam@example.com",
	"email_verified": true,
	"given_name": "Tam",
	"family_name": "Ferro",
	"zoneinfo": "America/Los_Angeles",
	"photos": {"picture": "https://c.acme.file.force.com/profilephoto/005/F", "thumbnail": "https://c.acme.file.force.com/profilephoto/005/T"},
	"picture": "https://c.acme.file.force.com/profilephoto/005/F",
	"active": true,
	"user_type": "STANDARD",
	"utcOffset": -28800000
}`

func TestProfile(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Host")+r.URL.Path != "test.salesforce.com/services/oauth2/userinfo" || r.Header.Get("Authorization") != "Bearer at" {
			t.Errorf("unexpected request to %s%s", r.Header.Get("X-Forwarded-Host"), r.URL.Path)
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, userinfo)
	}))
	defer srv.Close()
	bp, err := salesforce.New(salesforce.Config{Sandbox: true, Config: ginoauth.Config{ClientID: "cid", HTTPClient: oidctest.Client(srv.URL)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bp.ProfileFor(context.Background(), staticRef{&ginoauth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "0055g00000AbCdE" || got.Username != "tam@example.com" || got.Name != "Tam Ferro" ||
		got.Email != "tam@example.com" || !got.EmailVerified || got.AvatarURL != "https://c.acme.file.force.com/profilephoto/005/F" {
		t.Errorf("got %+v, want Salesforce's userinfo mapped", got)
	}
}

func TestInstanceURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		extra any
		want  string
	}{
		{"https://acme.my.salesforce.com", "https://acme.my.salesforce.com/"},
		{"https://na15.salesforce.com/", "https://na15.salesforce.com/"},
		{"http://na15.salesforce.com", ""},
		{"", ""},
		{nil, ""},
	}
	for _, tt := range tests {
		tok := &ginoauth.Token{AccessToken: "a", Extra: map[string]any{"instance_url": tt.extra}}
		if got := salesforce.InstanceURL(tok); got != tt.want {
			t.Errorf("InstanceURL(%v): got %q, want %q", tt.extra, got, tt.want)
		}
	}
}
