package docsnippets

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/apple"
	"github.com/ginoauth/ginoauth/providers/atlassian"
	"github.com/ginoauth/ginoauth/providers/auth0"
	"github.com/ginoauth/ginoauth/providers/authentiq"
	"github.com/ginoauth/ginoauth/providers/azure"
	"github.com/ginoauth/ginoauth/providers/bitbucket"
	"github.com/ginoauth/ginoauth/providers/dexcom"
	"github.com/ginoauth/ginoauth/providers/digitalocean"
	"github.com/ginoauth/ginoauth/providers/discord"
	"github.com/ginoauth/ginoauth/providers/dropbox"
	"github.com/ginoauth/ginoauth/providers/facebook"
	"github.com/ginoauth/ginoauth/providers/fitbit"
	"github.com/ginoauth/ginoauth/providers/github"
	"github.com/ginoauth/ginoauth/providers/gitlab"
	"github.com/ginoauth/ginoauth/providers/google"
	"github.com/ginoauth/ginoauth/providers/heroku"
	"github.com/ginoauth/ginoauth/providers/jira"
	"github.com/ginoauth/ginoauth/providers/keycloak"
	"github.com/ginoauth/ginoauth/providers/linkedin"
	"github.com/ginoauth/ginoauth/providers/meetup"
	"github.com/ginoauth/ginoauth/providers/microsoft"
	"github.com/ginoauth/ginoauth/providers/nylas"
	"github.com/ginoauth/ginoauth/providers/oidc"
	"github.com/ginoauth/ginoauth/providers/okta"
	"github.com/ginoauth/ginoauth/providers/orcid"
	"github.com/ginoauth/ginoauth/providers/osm"
	"github.com/ginoauth/ginoauth/providers/reddit"
	"github.com/ginoauth/ginoauth/providers/salesforce"
	"github.com/ginoauth/ginoauth/providers/slack"
	"github.com/ginoauth/ginoauth/providers/spotify"
	"github.com/ginoauth/ginoauth/providers/strava"
	"github.com/ginoauth/ginoauth/providers/twitch"
	"github.com/ginoauth/ginoauth/providers/twitter"
	"github.com/ginoauth/ginoauth/providers/zoho"
)

var update = flag.Bool("update", false, "rewrite the provider table in docs/providers.md")

// providerCase describes one row: how to build the provider and the
// blueprint, and what the table claims that the test cannot read from
// values (which environment variables New reads is checked by setting them).
type providerCase struct {
	pkg  string // package name
	ctor string // "New", "NewOAuth1"
	// env is the prefix of {ENV}_OAUTH_CLIENT_ID / _SECRET, or, for OAuth
	// 1 and Apple, the exact variables (idVar, secretVar).
	env              string
	idVar, secretVar string
	// oauth1 returns the OAuth 1.0a provider description, for OAuth 1 rows.
	oauth1 func(baseURL string) ginoauth.OAuth1Provider
	// provider is the package's Provider function (func(XConfig)
	// ginoauth.Provider); nil for OAuth 1.
	provider any
	// newBP is the package's New function (func(XConfig) (*Blueprint,
	// error)).
	newBP any
	// required are the Config fields (other than credentials) New needs,
	// with test values.
	required map[string]any
	// note is shown in the last column. Every `Name` in it that looks like
	// a Go identifier must be a field of the package's Config.
	note string
}

func providerCases(t *testing.T, issuer string) []providerCase {
	p8, _ := testKeys(t)
	return []providerCase{
		{pkg: "apple", ctor: "New", idVar: "APPLE_OAUTH_CLIENT_ID", provider: apple.Provider, newBP: apple.New,
			required: map[string]any{"TeamID": "TEAM123456", "KeyID": "KEY1234567", "PrivateKey": p8},
			note:     "Client secret is a JWT signed with `PrivateKey`; callback is a form POST"},
		{pkg: "atlassian", ctor: "New", env: "ATLASSIAN", provider: atlassian.Provider, newBP: atlassian.New,
			note: "Always sends `audience=api.atlassian.com`"},
		{pkg: "auth0", ctor: "New", env: "AUTH0", provider: auth0.Provider, newBP: auth0.New,
			required: map[string]any{"Domain": "example.us.auth0.com"}},
		{pkg: "authentiq", ctor: "New", env: "AUTHENTIQ", provider: authentiq.Provider, newBP: authentiq.New},
		{pkg: "azure", ctor: "New", env: "AZURE", provider: azure.Provider, newBP: azure.New,
			note: "Microsoft Entra ID; `Tenant` default `common`"},
		{pkg: "bitbucket", ctor: "New", env: "BITBUCKET", provider: bitbucket.Provider, newBP: bitbucket.New},
		{pkg: "dexcom", ctor: "New", env: "DEXCOM", provider: dexcom.Provider, newBP: dexcom.New},
		{pkg: "digitalocean", ctor: "New", env: "DIGITALOCEAN", provider: digitalocean.Provider, newBP: digitalocean.New},
		{pkg: "discord", ctor: "New", env: "DISCORD", provider: discord.Provider, newBP: discord.New},
		{pkg: "dropbox", ctor: "New", env: "DROPBOX", provider: dropbox.Provider, newBP: dropbox.New,
			note: "`Offline` asks for a refresh token"},
		{pkg: "facebook", ctor: "New", env: "FACEBOOK", provider: facebook.Provider, newBP: facebook.New},
		{pkg: "fitbit", ctor: "New", env: "FITBIT", provider: fitbit.Provider, newBP: fitbit.New},
		{pkg: "github", ctor: "New", env: "GITHUB", provider: github.Provider, newBP: github.New,
			note: "`Host` for GitHub Enterprise Server"},
		{pkg: "gitlab", ctor: "New", env: "GITLAB", provider: gitlab.Provider, newBP: gitlab.New,
			note: "`Hostname` for self-managed instances"},
		{pkg: "google", ctor: "New", env: "GOOGLE", provider: google.Provider, newBP: google.New,
			note: "`HostedDomain` is checked against the ID token's `hd` claim"},
		{pkg: "heroku", ctor: "New", env: "HEROKU", provider: heroku.Provider, newBP: heroku.New},
		{pkg: "jira", ctor: "New", idVar: jira.EnvConsumerKey, secretVar: jira.EnvRSAKey, newBP: jira.New,
			oauth1: func(baseURL string) ginoauth.OAuth1Provider {
				p, err := jira.Provider(baseURL, jiraKey)
				if err != nil {
					t.Fatal(err)
				}
				return p
			},
			required: map[string]any{"BaseURL": issuer},
			note:     "OAuth 1.0a, RSA-SHA1; the secret variable holds the PEM key or its path"},
		{pkg: "keycloak", ctor: "New", env: "KEYCLOAK", provider: keycloak.Provider, newBP: keycloak.New,
			required: map[string]any{"BaseURL": "https://sso.example.com", "Realm": "main"}},
		{pkg: "linkedin", ctor: "New", env: "LINKEDIN", provider: linkedin.Provider, newBP: linkedin.New,
			note: "LinkedIn rejects PKCE for web apps"},
		{pkg: "meetup", ctor: "New", env: "MEETUP", provider: meetup.Provider, newBP: meetup.New},
		{pkg: "microsoft", ctor: "New", env: "MICROSOFT", provider: microsoft.Provider, newBP: microsoft.New,
			note: "Personal Microsoft accounts"},
		{pkg: "nylas", ctor: "New", env: "NYLAS", provider: nylas.Provider, newBP: nylas.New},
		{pkg: "oidc", ctor: "New", env: "OIDC", newBP: oidc.New,
			provider: func(cfg oidc.Config) ginoauth.Provider {
				return oidc.FromMetadata(oidc.Metadata{Issuer: issuer, AuthURL: issuer + "/authorize", TokenURL: issuer + "/token"}, cfg)
			},
			required: map[string]any{"Issuer": issuer},
			note:     "Any OpenID Connect provider, found by discovery from `Issuer`"},
		{pkg: "okta", ctor: "New", env: "OKTA", provider: okta.Provider, newBP: okta.New,
			required: map[string]any{"Domain": "dev-123456.okta.com"}},
		{pkg: "orcid", ctor: "New", env: "ORCID", provider: orcid.Provider, newBP: orcid.New},
		{pkg: "osm", ctor: "New", env: "OSM", provider: osm.Provider, newBP: osm.New},
		{pkg: "reddit", ctor: "New", env: "REDDIT", provider: reddit.Provider, newBP: reddit.New,
			note: "`Permanent` asks for a refresh token"},
		{pkg: "salesforce", ctor: "New", env: "SALESFORCE", provider: salesforce.Provider, newBP: salesforce.New},
		{pkg: "slack", ctor: "New", env: "SLACK", provider: slack.Provider, newBP: slack.New},
		{pkg: "spotify", ctor: "New", env: "SPOTIFY", provider: spotify.Provider, newBP: spotify.New},
		{pkg: "strava", ctor: "New", env: "STRAVA", provider: strava.Provider, newBP: strava.New},
		{pkg: "twitch", ctor: "New", env: "TWITCH", provider: twitch.Provider, newBP: twitch.New},
		{pkg: "twitter", ctor: "New", env: "TWITTER", provider: twitter.Provider, newBP: twitter.New,
			note: "X, OAuth 2"},
		{pkg: "twitter", ctor: "NewOAuth1", idVar: twitter.EnvOAuth1ConsumerKey, secretVar: twitter.EnvOAuth1ConsumerSecret, newBP: twitter.NewOAuth1,
			oauth1: func(string) ginoauth.OAuth1Provider { return twitter.OAuth1Provider() },
			note:   "X, OAuth 1.0a (HMAC-SHA1)"},
		{pkg: "zoho", ctor: "New", env: "ZOHO", provider: zoho.Provider, newBP: zoho.New,
			note: "`AccountsDomain` selects the data center"},
	}
}

// testKeys returns an Apple-style P-256 key (PEM) and an RSA key.
func testKeys(t *testing.T) (string, *rsa.PrivateKey) {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), rk
}

// row is what the table shows for one provider.
type row struct {
	ctor, env, required, options, scopes, pkce, idToken, refresh, revoke, note string
}

// buildConfig makes a value of the package's Config type with the required
// fields, base as the embedded ginoauth.Config, and the bool field set
// (when not "").
func buildConfig(t *testing.T, typ reflect.Type, c providerCase, base ginoauth.Config, set string) reflect.Value {
	t.Helper()
	v := reflect.New(typ).Elem()
	if typ == reflect.TypeFor[ginoauth.Config]() {
		// A provider without options of its own takes ginoauth.Config.
		v.Set(reflect.ValueOf(base))
		return v
	}
	v.FieldByName("Config").Set(reflect.ValueOf(base))
	for k, val := range c.required {
		f := v.FieldByName(k)
		if !f.IsValid() {
			t.Fatalf("%s: Config has no field %s", c.pkg, k)
		}
		f.Set(reflect.ValueOf(val))
	}
	if set != "" {
		v.FieldByName(set).SetBool(true)
	}
	return v
}

func callProvider(fn any, cfg reflect.Value) ginoauth.Provider {
	return reflect.ValueOf(fn).Call([]reflect.Value{cfg})[0].Interface().(ginoauth.Provider)
}

func callNew(fn any, cfg reflect.Value) (*ginoauth.Blueprint, error) {
	fv := reflect.ValueOf(fn)
	args := []reflect.Value{cfg}
	if fv.Type().NumIn() == 2 { // oidc.New(ctx, cfg)
		args = []reflect.Value{reflect.ValueOf(context.Background()), cfg}
	}
	out := fv.Call(args)
	bp, _ := out[0].Interface().(*ginoauth.Blueprint)
	err, _ := out[1].Interface().(error)
	return bp, err
}

// configType is the package's Config type, from New's parameter.
func configType(fn any) reflect.Type {
	ft := reflect.TypeOf(fn)
	return ft.In(ft.NumIn() - 1)
}

// ownFields are the Config fields beyond the embedded ginoauth.Config.
func ownFields(typ reflect.Type) []string {
	if typ == reflect.TypeFor[ginoauth.Config]() {
		return nil // a provider without options of its own
	}
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.Anonymous && f.IsExported() {
			out = append(out, f.Name)
		}
	}
	return out
}

// loginRedirect mounts bp and starts a login, returning the provider URL
// the browser is sent to.
func loginRedirect(t *testing.T, bp *ginoauth.Blueprint) *url.URL {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("s", cookie.NewStore([]byte("0123456789abcdef0123456789abcdef"))))
	bp.Register(r.Group("/login"))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, bp.LoginPath(), nil))
	if w.Code != http.StatusFound {
		t.Fatalf("%s: login: got status %d, want 302; body %s", bp.Name(), w.Code, w.Body.String())
	}
	u, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func code(s string) string { return "`" + s + "`" }

func codeList(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(s)
	}
	return strings.Join(out, " ")
}

var noteIdentRe = regexp.MustCompile("`([A-Z][A-Za-z0-9]*)`")
