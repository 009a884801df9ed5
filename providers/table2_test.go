package providers_test

// Table tests for the OAuth 2 presets without OpenID Connect: bitbucket,
// digitalocean, discord, dropbox, facebook, fitbit, github, heroku,
// meetup, nylas, orcid, osm, reddit, slack, spotify, strava, twitch and
// twitter. Identifiers carry a t2 prefix so they never clash with the
// other table in this package.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/bitbucket"
	"github.com/ginoauth/ginoauth/providers/digitalocean"
	"github.com/ginoauth/ginoauth/providers/discord"
	"github.com/ginoauth/ginoauth/providers/dropbox"
	"github.com/ginoauth/ginoauth/providers/facebook"
	"github.com/ginoauth/ginoauth/providers/fitbit"
	"github.com/ginoauth/ginoauth/providers/github"
	"github.com/ginoauth/ginoauth/providers/heroku"
	"github.com/ginoauth/ginoauth/providers/meetup"
	"github.com/ginoauth/ginoauth/providers/nylas"
	"github.com/ginoauth/ginoauth/providers/orcid"
	"github.com/ginoauth/ginoauth/providers/osm"
	"github.com/ginoauth/ginoauth/providers/reddit"
	"github.com/ginoauth/ginoauth/providers/slack"
	"github.com/ginoauth/ginoauth/providers/spotify"
	"github.com/ginoauth/ginoauth/providers/strava"
	"github.com/ginoauth/ginoauth/providers/twitch"
	"github.com/ginoauth/ginoauth/providers/twitter"
)

// t2Option is one provider option and its effect on the authorization URL.
type t2Option struct {
	name    string
	newBP   func(ginoauth.Config) (*ginoauth.Blueprint, error)
	authURL string            // scheme, host and path; "" means the default's
	want    map[string]string // query parameters with these values
	absent  []string          // query parameters that must not be there
}

// t2Case describes one preset with its default options.
type t2Case struct {
	name     string
	env      string
	provider func(ginoauth.Config) ginoauth.Provider
	newBP    func(ginoauth.Config) (*ginoauth.Blueprint, error)

	scope       string            // the authorization URL's scope parameter; "" for none
	pkce        bool              // a code challenge is sent
	authStyle   oauth2.AuthStyle  // client authentication at the token endpoint
	authParams  map[string]string // further authorization URL parameters
	tokenParams map[string]string // further code exchange parameters
	revocation  string            // RFC 7009 endpoint, "" for none
	apiBase     string
	options     []t2Option
}

func t2Cases() []t2Case {
	const header, params = oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams
	return []t2Case{
		{
			name: "github", env: "GITHUB",
			provider: func(c ginoauth.Config) ginoauth.Provider { return github.Provider(github.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return github.New(github.Config{Config: c}) },
			pkce:     true, authStyle: header, apiBase: "https://api.github.com/",
			options: []t2Option{{
				name: "enterprise host",
				newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return github.New(github.Config{Config: c, Host: "ghe.example.com"})
				},
				authURL: "https://ghe.example.com/login/oauth/authorize",
			}},
		},
		{
			name: "discord", env: "DISCORD",
			provider: func(c ginoauth.Config) ginoauth.Provider { return discord.Provider(discord.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return discord.New(discord.Config{Config: c}) },
			scope:    "identify", pkce: true, authStyle: header,
			authParams: map[string]string{"prompt": "consent"},
			revocation: "https://discord.com/api/oauth2/token/revoke",
			apiBase:    "https://discord.com/api/v10/",
			options: []t2Option{{
				name: "prompt none",
				newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return discord.New(discord.Config{Config: c, Prompt: discord.PromptNone})
				},
				want: map[string]string{"prompt": "none"},
			}},
		},
		{
			name: "dropbox", env: "DROPBOX",
			provider: func(c ginoauth.Config) ginoauth.Provider { return dropbox.Provider(dropbox.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return dropbox.New(dropbox.Config{Config: c}) },
			pkce:     true, authStyle: header, apiBase: "https://api.dropboxapi.com/2/",
			options: []t2Option{
				{name: "default", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return dropbox.New(dropbox.Config{Config: c}) },
					absent: []string{"token_access_type", "force_reapprove", "disable_signup", "require_role"}},
				{name: "offline", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return dropbox.New(dropbox.Config{Config: c, Offline: true})
				}, want: map[string]string{"token_access_type": "offline"}},
				{name: "force reapprove", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return dropbox.New(dropbox.Config{Config: c, ForceReapprove: true})
				}, want: map[string]string{"force_reapprove": "true"}},
				{name: "disable signup", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return dropbox.New(dropbox.Config{Config: c, DisableSignup: true})
				}, want: map[string]string{"disable_signup": "true"}},
				{name: "require role", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return dropbox.New(dropbox.Config{Config: c, RequireRole: dropbox.RolePersonal})
				}, want: map[string]string{"require_role": "personal"}},
			},
		},
		{
			name: "facebook", env: "FACEBOOK",
			provider: func(c ginoauth.Config) ginoauth.Provider { return facebook.Provider(facebook.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return facebook.New(facebook.Config{Config: c}) },
			pkce:     true, authStyle: params, apiBase: "https://graph.facebook.com/",
			options: []t2Option{
				{name: "default", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return facebook.New(facebook.Config{Config: c}) },
					absent: []string{"auth_type"}},
				{name: "rerequest", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return facebook.New(facebook.Config{Config: c, RerequestDeclinedPermissions: true})
				}, want: map[string]string{"auth_type": "rerequest"}},
			},
		},
		{
			name: "fitbit", env: "FITBIT",
			provider: func(c ginoauth.Config) ginoauth.Provider { return fitbit.Provider(fitbit.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return fitbit.New(fitbit.Config{Config: c}) },
			scope:    "profile", pkce: true, authStyle: header,
			tokenParams: map[string]string{"client_id": "cid"},
			revocation:  "https://api.fitbit.com/oauth2/revoke",
			apiBase:     "https://api.fitbit.com/",
		},
		{
			name: "heroku", env: "HEROKU",
			provider: func(c ginoauth.Config) ginoauth.Provider { return heroku.Provider(heroku.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return heroku.New(heroku.Config{Config: c}) },
			pkce:     true, authStyle: params, apiBase: "https://api.heroku.com/",
		},
		{
			name: "meetup", env: "MEETUP",
			provider: func(c ginoauth.Config) ginoauth.Provider { return meetup.Provider(meetup.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return meetup.New(meetup.Config{Config: c}) },
			scope:    "basic", pkce: true, authStyle: params, apiBase: "https://api.meetup.com/",
		},
		{
			name: "nylas", env: "NYLAS",
			provider: func(c ginoauth.Config) ginoauth.Provider { return nylas.Provider(nylas.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return nylas.New(nylas.Config{Config: c}) },
			pkce:     true, authStyle: params, apiBase: "https://api.us.nylas.com/v3/",
			options: []t2Option{
				{name: "eu region", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return nylas.New(nylas.Config{Config: c, Region: nylas.RegionEU})
				}, authURL: "https://api.eu.nylas.com/v3/connect/auth"},
				{name: "v2", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return nylas.New(nylas.Config{Config: c, V2: true})
				}, authURL: "https://api.nylas.com/oauth/authorize", want: map[string]string{"scope": "email"}},
			},
		},
		{
			name: "orcid", env: "ORCID",
			provider: func(c ginoauth.Config) ginoauth.Provider { return orcid.Provider(orcid.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return orcid.New(orcid.Config{Config: c}) },
			scope:    "/authenticate", pkce: true, authStyle: params,
			revocation: "https://orcid.org/oauth/revoke",
			apiBase:    "https://pub.orcid.org/v3.0/",
			options: []t2Option{{name: "sandbox", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				return orcid.New(orcid.Config{Config: c, Sandbox: true})
			}, authURL: "https://sandbox.orcid.org/oauth/authorize"}},
		},
		{
			name: "osm", env: "OSM",
			provider: func(c ginoauth.Config) ginoauth.Provider { return osm.Provider(osm.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return osm.New(osm.Config{Config: c}) },
			scope:    "read_prefs", pkce: true, authStyle: header,
			revocation: "https://www.openstreetmap.org/oauth2/revoke",
			apiBase:    "https://api.openstreetmap.org/api/0.6/",
		},
		{
			name: "reddit", env: "REDDIT",
			provider: func(c ginoauth.Config) ginoauth.Provider { return reddit.Provider(reddit.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return reddit.New(reddit.Config{Config: c}) },
			scope:    "identity", pkce: true, authStyle: header,
			authParams: map[string]string{"duration": "temporary"},
			revocation: "https://www.reddit.com/api/v1/revoke_token",
			apiBase:    "https://oauth.reddit.com/",
			options: []t2Option{{name: "permanent", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				return reddit.New(reddit.Config{Config: c, Permanent: true})
			}, want: map[string]string{"duration": "permanent"}}},
		},
		{
			name: "slack", env: "SLACK",
			provider: func(c ginoauth.Config) ginoauth.Provider { return slack.Provider(slack.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return slack.New(slack.Config{Config: c}) },
			scope:    "identify,chat:write:bot", pkce: true, authStyle: header,
			apiBase: "https://slack.com/api/",
			options: []t2Option{
				{name: "subdomain", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return slack.New(slack.Config{Config: c, Subdomain: "myteam"})
				}, authURL: "https://myteam.slack.com/oauth/authorize"},
				{name: "v2 user scopes", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					return slack.New(slack.Config{Config: c, V2: true, UserScopes: []string{"identity.basic", "identity.email"}})
				}, authURL: "https://slack.com/oauth/v2/authorize",
					want: map[string]string{"user_scope": "identity.basic,identity.email"}, absent: []string{"scope"}},
				{name: "v2 bot scopes on a workspace", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
					c.Scopes = []string{"chat:write", "channels:read"}
					return slack.New(slack.Config{Config: c, V2: true, Subdomain: "myteam"})
				}, authURL: "https://myteam.slack.com/oauth/v2/authorize",
					want: map[string]string{"scope": "chat:write,channels:read"}, absent: []string{"user_scope"}},
			},
		},
		{
			name: "spotify", env: "SPOTIFY",
			provider: func(c ginoauth.Config) ginoauth.Provider { return spotify.Provider(spotify.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return spotify.New(spotify.Config{Config: c}) },
			pkce:     true, authStyle: header, apiBase: "https://api.spotify.com/v1/",
		},
		{
			name: "strava", env: "STRAVA",
			provider: func(c ginoauth.Config) ginoauth.Provider { return strava.Provider(strava.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return strava.New(strava.Config{Config: c}) },
			scope:    "read", pkce: true, authStyle: params, apiBase: "https://www.strava.com/api/v3/",
			options: []t2Option{{name: "comma-separated scopes", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				c.Scopes = []string{"read", "activity:read_all"}
				return strava.New(strava.Config{Config: c})
			}, want: map[string]string{"scope": "read,activity:read_all"}}},
		},
		{
			name: "twitch", env: "TWITCH",
			provider: func(c ginoauth.Config) ginoauth.Provider { return twitch.Provider(twitch.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return twitch.New(twitch.Config{Config: c}) },
			pkce:     true, authStyle: params, apiBase: "https://api.twitch.tv/helix/",
			revocation: "https://id.twitch.tv/oauth2/revoke",
		},
		{
			name: "twitter", env: "TWITTER",
			provider: func(c ginoauth.Config) ginoauth.Provider { return twitter.Provider(twitter.Config{Config: c}) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return twitter.New(twitter.Config{Config: c}) },
			scope:    "tweet.read users.read offline.access", pkce: true, authStyle: header,
			tokenParams: map[string]string{"client_id": "cid"},
			revocation:  "https://api.x.com/2/oauth2/revoke",
			apiBase:     "https://api.x.com/2/",
		},
		{
			name: "bitbucket", env: "BITBUCKET",
			provider: func(c ginoauth.Config) ginoauth.Provider { return bitbucket.Provider(bitbucket.Config{Config: c}) },
			newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				return bitbucket.New(bitbucket.Config{Config: c})
			},
			pkce: true, authStyle: header, apiBase: "https://api.bitbucket.org/2.0/",
		},
		{
			name: "digitalocean", env: "DIGITALOCEAN",
			provider: func(c ginoauth.Config) ginoauth.Provider {
				return digitalocean.Provider(digitalocean.Config{Config: c})
			},
			newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				return digitalocean.New(digitalocean.Config{Config: c})
			},
			pkce: true, authStyle: params, apiBase: "https://api.digitalocean.com/v2/",
			options: []t2Option{{name: "read write", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				c.Scopes = []string{"read", "write"}
				return digitalocean.New(digitalocean.Config{Config: c})
			}, want: map[string]string{"scope": "read write"}}},
		},
	}
}

// t2Creds are the credentials the tests configure explicitly.
var t2Creds = ginoauth.Config{ClientID: "cid", ClientSecret: "csecret"}

// t2Engine mounts bp under /login behind a cookie session, plus GET
// /token, which answers with the stored token as JSON.
func t2Engine(bp *ginoauth.Blueprint) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(sessions.Sessions("t2", cookie.NewStore([]byte("table2-test-authentication-key!!"))))
	bp.Register(r.Group("/login"))
	r.GET("/token", func(c *gin.Context) {
		t, err := bp.Token(c)
		if err != nil {
			c.String(http.StatusNotFound, err.Error())
			return
		}
		c.JSON(http.StatusOK, t)
	})
	return r
}

// t2Get sends GET target to r with cookies and returns the recorder.
func t2Get(r http.Handler, target string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// t2Login starts a login and returns the provider's authorization URL and
// the session cookies.
func t2Login(t *testing.T, r http.Handler, name string) (*url.URL, []*http.Cookie) {
	t.Helper()
	w := t2Get(r, "http://example.com/login/"+name, nil)
	if w.Code != http.StatusFound {
		t.Fatalf("login: status %d, want 302; body %q", w.Code, w.Body.String())
	}
	loc, err := url.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatalf("login: Location: %v", err)
	}
	return loc, w.Result().Cookies()
}

func t2Base(u *url.URL) string { return u.Scheme + "://" + u.Host + u.Path }

func t2HTTPS(t *testing.T, what, s string) {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		t.Errorf("%s = %q, want an https URL", what, s)
	}
}

// TestTable2Provider checks each preset's description and its default
// authorization URL.
func TestTable2Provider(t *testing.T) {
	t.Parallel()
	for _, tc := range t2Cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.provider(t2Creds)
			if p.Name != tc.name {
				t.Errorf("Name = %q, want %q", p.Name, tc.name)
			}
			t2HTTPS(t, "AuthURL", p.Endpoint.AuthURL)
			t2HTTPS(t, "TokenURL", p.Endpoint.TokenURL)
			t2HTTPS(t, "APIBaseURL", p.APIBaseURL)
			if p.APIBaseURL != tc.apiBase {
				t.Errorf("APIBaseURL = %q, want %q", p.APIBaseURL, tc.apiBase)
			}
			if p.RevocationURL != tc.revocation {
				t.Errorf("RevocationURL = %q, want %q", p.RevocationURL, tc.revocation)
			}
			if p.Endpoint.AuthStyle != tc.authStyle {
				t.Errorf("AuthStyle = %v, want %v", p.Endpoint.AuthStyle, tc.authStyle)
			}
			if p.DisablePKCE == tc.pkce {
				t.Errorf("DisablePKCE = %v, want %v", p.DisablePKCE, !tc.pkce)
			}
			if p.RefreshDisabled {
				t.Error("RefreshDisabled is set")
			}
			if p.Profile == nil {
				t.Error("Profile is nil")
			}

			bp, err := tc.newBP(t2Creds)
			if err != nil {
				t.Fatal(err)
			}
			if bp.Name() != tc.name {
				t.Errorf("blueprint name = %q, want %q", bp.Name(), tc.name)
			}
			loc, _ := t2Login(t, t2Engine(bp), tc.name)
			if got := t2Base(loc); got != p.Endpoint.AuthURL {
				t.Errorf("authorization URL = %q, want %q", got, p.Endpoint.AuthURL)
			}
			q := loc.Query()
			want := map[string]string{
				"client_id":     "cid",
				"response_type": "code",
				"redirect_uri":  "http://example.com/login/" + tc.name + "/authorized",
			}
			for k, v := range tc.authParams {
				want[k] = v
			}
			for k, v := range want {
				if got := q.Get(k); got != v {
					t.Errorf("query %s = %q, want %q", k, got, v)
				}
			}
			if got := q.Get("scope"); got != tc.scope || q.Has("scope") != (tc.scope != "") {
				t.Errorf("scope = %q (present %v), want %q", got, q.Has("scope"), tc.scope)
			}
			if q.Get("state") == "" {
				t.Error("no state parameter")
			}
			if got := q.Has("code_challenge"); got != tc.pkce {
				t.Errorf("code_challenge present = %v, want %v", got, tc.pkce)
			}
			if tc.pkce && q.Get("code_challenge_method") != "S256" {
				t.Errorf("code_challenge_method = %q, want S256", q.Get("code_challenge_method"))
			}
		})
	}
}

// TestTable2Options checks each option's effect on the authorization URL.
func TestTable2Options(t *testing.T) {
	t.Parallel()
	for _, tc := range t2Cases() {
		for _, opt := range tc.options {
			t.Run(tc.name+"/"+opt.name, func(t *testing.T) {
				t.Parallel()
				bp, err := opt.newBP(t2Creds)
				if err != nil {
					t.Fatal(err)
				}
				loc, _ := t2Login(t, t2Engine(bp), tc.name)
				wantURL := opt.authURL
				if wantURL == "" {
					wantURL = tc.provider(t2Creds).Endpoint.AuthURL
				}
				if got := t2Base(loc); got != wantURL {
					t.Errorf("authorization URL = %q, want %q", got, wantURL)
				}
				q := loc.Query()
				for k, v := range opt.want {
					if got := q.Get(k); got != v {
						t.Errorf("query %s = %q, want %q", k, got, v)
					}
				}
				for _, k := range opt.absent {
					if q.Has(k) {
						t.Errorf("query has %s=%q, want none", k, q.Get(k))
					}
				}
			})
		}
	}
}

// TestTable2EnvCredentials checks that New reads {ENV}_OAUTH_CLIENT_ID
// and _SECRET: the ID in the authorization URL, the secret in the code
// exchange (sent to a local server by the blueprint's own HTTP client).
func TestTable2EnvCredentials(t *testing.T) {
	for _, tc := range t2Cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env+"_OAUTH_CLIENT_ID", "")
			t.Setenv(tc.env+"_OAUTH_CLIENT_SECRET", "")
			if _, err := tc.newBP(ginoauth.Config{}); err == nil || !strings.Contains(err.Error(), tc.env+"_OAUTH_CLIENT_ID") {
				t.Errorf("New without credentials: got %v, want an error naming %s_OAUTH_CLIENT_ID", err, tc.env)
			}
			t.Setenv(tc.env+"_OAUTH_CLIENT_ID", "env-id")
			t.Setenv(tc.env+"_OAUTH_CLIENT_SECRET", "env-secret")

			fp := newT2Provider(t)
			bp, err := tc.newBP(ginoauth.Config{HTTPClient: &http.Client{Transport: t2Redirect{fp.srv}}})
			if err != nil {
				t.Fatal(err)
			}
			r := t2Engine(bp)
			loc, cookies := t2Login(t, r, tc.name)
			if got := loc.Query().Get("client_id"); got != "env-id" {
				t.Errorf("client_id = %q, want env-id", got)
			}
			w := t2Get(r, "http://example.com/login/"+tc.name+"/authorized?code=c1&state="+url.QueryEscape(loc.Query().Get("state")), cookies)
			if w.Code != http.StatusFound {
				t.Fatalf("callback: status %d, want 302; body %q", w.Code, w.Body.String())
			}
			req := fp.last(t)
			id, secret := req.clientAuth(tc.authStyle)
			if id != "env-id" || secret != "env-secret" {
				t.Errorf("token request client = %q / %q, want env-id / env-secret", id, secret)
			}
		})
	}
}

// TestTable2TokenRequest drives a real callback against a local token
// endpoint and checks the request it received and the stored token.
func TestTable2TokenRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range t2Cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fp := newT2Provider(t)
			p := tc.provider(t2Creds)
			p.Endpoint.TokenURL = fp.srv.URL + "/token"
			bp, err := ginoauth.New(p, t2Creds)
			if err != nil {
				t.Fatal(err)
			}
			r := t2Engine(bp)
			loc, cookies := t2Login(t, r, tc.name)
			w := t2Get(r, "http://example.com/login/"+tc.name+"/authorized?code=the-code&state="+url.QueryEscape(loc.Query().Get("state")), cookies)
			if w.Code != http.StatusFound || w.Header().Get("Location") != "/" {
				t.Fatalf("callback: status %d Location %q, want 302 to /; body %q", w.Code, w.Header().Get("Location"), w.Body.String())
			}
			req := fp.last(t)
			want := map[string]string{
				"grant_type":   "authorization_code",
				"code":         "the-code",
				"redirect_uri": "http://example.com/login/" + tc.name + "/authorized",
			}
			for k, v := range tc.tokenParams {
				want[k] = v
			}
			for k, v := range want {
				if got := req.form.Get(k); got != v {
					t.Errorf("token request %s = %q, want %q", k, got, v)
				}
			}
			if got := req.form.Has("code_verifier"); got != tc.pkce {
				t.Errorf("code_verifier present = %v, want %v", got, tc.pkce)
			}
			req.checkClientAuth(t, tc.authStyle, "cid", "csecret")

			// The stored token keeps the provider's extra fields.
			w = t2Get(r, "http://example.com/token", w.Result().Cookies())
			var stored ginoauth.Token
			if err := json.Unmarshal(w.Body.Bytes(), &stored); err != nil {
				t.Fatalf("stored token: %v (%q)", err, w.Body.String())
			}
			if stored.AccessToken != "at-1" || stored.RefreshToken != "rt-1" || stored.Expiry.IsZero() {
				t.Errorf("stored token: access %q refresh %q expiry %v; want at-1, rt-1 and an expiry",
					stored.AccessToken, stored.RefreshToken, stored.Expiry)
			}
			if stored.Extra["x_provider_field"] != "kept" {
				t.Errorf("stored Extra = %v, want x_provider_field kept", stored.Extra)
			}
		})
	}
}

// TestTable2Refresh checks that an expired token is refreshed with the
// client credentials in the provider's style (Flask-Dance's Strava and
// Twitch refreshes lacked them), saved, and used for the API call.
func TestTable2Refresh(t *testing.T) {
	t.Parallel()
	for _, tc := range t2Cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fp := newT2Provider(t)
			p := tc.provider(t2Creds)
			p.Endpoint.TokenURL = fp.srv.URL + "/token"
			p.APIBaseURL = fp.srv.URL + "/api/"
			var refreshed []*ginoauth.Token
			var mu sync.Mutex
			cfg := t2Creds
			cfg.Hooks.TokenRefreshed = func(_ context.Context, _ *ginoauth.Blueprint, t *ginoauth.Token) {
				mu.Lock()
				refreshed = append(refreshed, t)
				mu.Unlock()
			}
			bp, err := ginoauth.New(p, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ref := &t2Ref{t: &ginoauth.Token{AccessToken: "at-old", RefreshToken: "rt-old", TokenType: "Bearer",
				Expiry: time.Now().Add(-time.Minute), Extra: map[string]any{"kept_from_old": "yes"}}}
			resp, err := bp.ClientFor(context.Background(), ref).Get("me")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()

			req := fp.last(t)
			if req.form.Get("grant_type") != "refresh_token" || req.form.Get("refresh_token") != "rt-old" {
				t.Errorf("refresh form = %v, want grant_type=refresh_token refresh_token=rt-old", req.form)
			}
			req.checkClientAuth(t, tc.authStyle, "cid", "csecret")
			if got := fp.apiAuth(t); got != "Bearer at-1" {
				t.Errorf("API call Authorization = %q, want the refreshed token", got)
			}
			saved, _ := ref.Load(context.Background())
			if saved.AccessToken != "at-1" || saved.RefreshToken != "rt-1" || !saved.Valid() {
				t.Errorf("saved token: access %q refresh %q valid %v; want the refreshed one", saved.AccessToken, saved.RefreshToken, saved.Valid())
			}
			if saved.Extra["kept_from_old"] != "yes" || saved.Extra["x_provider_field"] != "kept" {
				t.Errorf("saved Extra = %v, want old and new extra fields", saved.Extra)
			}
			mu.Lock()
			if len(refreshed) != 1 || refreshed[0].AccessToken != "at-1" {
				t.Errorf("TokenRefreshed hook calls = %d, want 1 with the new token", len(refreshed))
			}
			mu.Unlock()
		})
	}
}

// t2Ref is a TokenRef over one in-memory token.
type t2Ref struct {
	mu sync.Mutex
	t  *ginoauth.Token
}

func (r *t2Ref) Load(context.Context) (*ginoauth.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t, nil
}

func (r *t2Ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t = nt
	return nt, nil
}

// t2TokenRequest is what the local token endpoint received.
type t2TokenRequest struct {
	form          url.Values
	basicID       string
	basicSecret   string
	hasBasic      bool
	authorization string
}

// clientAuth returns the client ID and secret as the style sends them.
func (r t2TokenRequest) clientAuth(style oauth2.AuthStyle) (string, string) {
	if style == oauth2.AuthStyleInHeader {
		return r.basicID, r.basicSecret
	}
	return r.form.Get("client_id"), r.form.Get("client_secret")
}

func (r t2TokenRequest) checkClientAuth(t *testing.T, style oauth2.AuthStyle, id, secret string) {
	t.Helper()
	switch style {
	case oauth2.AuthStyleInHeader:
		if !r.hasBasic || r.basicID != id || r.basicSecret != secret {
			t.Errorf("HTTP Basic = %v %q / %q, want %q / %q", r.hasBasic, r.basicID, r.basicSecret, id, secret)
		}
		if r.form.Has("client_secret") {
			t.Error("client_secret in the body as well as in the Basic header")
		}
	case oauth2.AuthStyleInParams:
		if r.form.Get("client_id") != id || r.form.Get("client_secret") != secret {
			t.Errorf("body client_id / client_secret = %q / %q, want %q / %q", r.form.Get("client_id"), r.form.Get("client_secret"), id, secret)
		}
		if r.authorization != "" {
			t.Errorf("Authorization header %q, want none with credentials in the body", r.authorization)
		}
	default:
		t.Errorf("unexpected auth style %v", style)
	}
}

// t2Provider is a local token endpoint (any form POST with a grant_type)
// and API (everything else).
type t2Provider struct {
	srv *httptest.Server
	mu  sync.Mutex
	req []t2TokenRequest
	api []string // Authorization headers of API calls
}

func newT2Provider(t *testing.T) *t2Provider {
	fp := &t2Provider{}
	fp.srv = httptest.NewServer(http.HandlerFunc(fp.serve))
	t.Cleanup(fp.srv.Close)
	return fp
}

func (fp *t2Provider) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	if !r.PostForm.Has("grant_type") {
		fp.mu.Lock()
		fp.api = append(fp.api, r.Header.Get("Authorization"))
		fp.mu.Unlock()
		io.WriteString(w, `{"ok":true}`)
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// x/oauth2 query-escapes both before encoding them.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	fp.mu.Lock()
	fp.req = append(fp.req, t2TokenRequest{form: r.PostForm, basicID: id, basicSecret: secret, hasBasic: ok, authorization: r.Header.Get("Authorization")})
	fp.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ok":true,"access_token":"at-1","token_type":"bearer","refresh_token":"rt-1",
		"expires_in":3600,"x_provider_field":"kept"}`)
}

// last returns the last token request; it fails the test if there was none.
func (fp *t2Provider) last(t *testing.T) t2TokenRequest {
	t.Helper()
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.req) == 0 {
		t.Fatal("the token endpoint received no request")
	}
	return fp.req[len(fp.req)-1]
}

// apiAuth returns the Authorization header of the last API call.
func (fp *t2Provider) apiAuth(t *testing.T) string {
	t.Helper()
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.api) == 0 {
		t.Fatal("the API received no request")
	}
	return fp.api[len(fp.api)-1]
}

// t2Redirect sends every request to srv's host, keeping the path.
type t2Redirect struct{ srv *httptest.Server }

func (rd t2Redirect) RoundTrip(r *http.Request) (*http.Response, error) {
	u, err := url.Parse(rd.srv.URL)
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = u.Scheme, u.Host, ""
	return http.DefaultTransport.RoundTrip(r2)
}
