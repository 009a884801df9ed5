package providers_test

// Table tests for the OAuth 2 presets without OpenID Connect: bitbucket,
// digitalocean, discord, dropbox, facebook, fitbit, github, heroku,
// meetup, nylas, orcid, osm, reddit, slack, spotify, strava, twitch and
// twitter. Identifiers carry a t2 prefix so they never clash with the
// other table in this package.

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

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
			provider: func(c ginoauth.Config) ginoauth.Provider { return fitbit.Provider(c) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return fitbit.New(c) },
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
			provider: func(c ginoauth.Config) ginoauth.Provider { return meetup.Provider(c) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return meetup.New(c) },
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
			provider: func(c ginoauth.Config) ginoauth.Provider { return osm.Provider(c) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return osm.New(c) },
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
			provider: func(c ginoauth.Config) ginoauth.Provider { return spotify.Provider(c) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return spotify.New(c) },
			pkce:     true, authStyle: header, apiBase: "https://api.spotify.com/v1/",
		},
		{
			name: "strava", env: "STRAVA",
			provider: func(c ginoauth.Config) ginoauth.Provider { return strava.Provider(c) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return strava.New(c) },
			scope:    "read", pkce: true, authStyle: params, apiBase: "https://www.strava.com/api/v3/",
			options: []t2Option{{name: "comma-separated scopes", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				c.Scopes = []string{"read", "activity:read_all"}
				return strava.New(c)
			}, want: map[string]string{"scope": "read,activity:read_all"}}},
		},
		{
			name: "twitch", env: "TWITCH",
			provider: func(c ginoauth.Config) ginoauth.Provider { return twitch.Provider(c) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return twitch.New(c) },
			pkce:     true, authStyle: params, apiBase: "https://api.twitch.tv/helix/",
			revocation: "https://id.twitch.tv/oauth2/revoke",
		},
		{
			name: "twitter", env: "TWITTER",
			provider: func(c ginoauth.Config) ginoauth.Provider { return twitter.Provider(c) },
			newBP:    func(c ginoauth.Config) (*ginoauth.Blueprint, error) { return twitter.New(c) },
			scope:    "tweet.read users.read offline.access", pkce: true, authStyle: header,
			tokenParams: map[string]string{"client_id": "cid"},
			revocation:  "https://api.x.com/2/oauth2/revoke",
			apiBase:     "https://api.x.com/2/",
		},
		{
			name: "bitbucket", env: "BITBUCKET",
			provider: func(c ginoauth.Config) ginoauth.Provider { return bitbucket.Provider(c) },
			newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				return bitbucket.New(c)
			},
			pkce: true, authStyle: header, apiBase: "https://api.bitbucket.org/2.0/",
		},
		{
			name: "digitalocean", env: "DIGITALOCEAN",
			provider: func(c ginoauth.Config) ginoauth.Provider {
				return digitalocean.Provider(c)
			},
			newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				return digitalocean.New(c)
			},
			pkce: true, authStyle: params, apiBase: "https://api.digitalocean.com/v2/",
			options: []t2Option{{name: "read write", newBP: func(c ginoauth.Config) (*ginoauth.Blueprint, error) {
				c.Scopes = []string{"read", "write"}
				return digitalocean.New(c)
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
