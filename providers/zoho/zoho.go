// Package zoho is the Zoho preset (Zoho CRM and the other Zoho apps), for
// every Zoho data center.
//
// Zoho's API does not take Bearer tokens: the blueprint's Client sends
// "Authorization: Zoho-oauthtoken <access token>". Every login sends
// access_type (online, or offline with Config.Offline, which also enables
// refresh). Scopes are joined with commas, as Zoho expects; the default is
// ZohoCRM.users.ALL, which the profile needs.
//
// Accounts in the EU, India, Australia, Japan, China, Canada or Saudi
// Arabia data centers log in through their own accounts server: set
// Config.AccountsDomain (for example "accounts.zoho.eu"); the API domain
// follows (www.zohoapis.eu). Relative URLs given to the blueprint's Client
// resolve against that API domain. Profile reads the current CRM user from
// the API domain the token response names (api_domain), which is right
// even when the user's data center differs.
//
// Credentials default to ZOHO_OAUTH_CLIENT_ID and ZOHO_OAUTH_CLIENT_SECRET
// and are sent in the token request body.
package zoho

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

const (
	name                  = "zoho"
	env                   = "ZOHO"
	defaultAccountsDomain = "accounts.zoho.com"
	profilePath           = "crm/v2/users?type=CurrentUser"
)

// Config configures the Zoho blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to ZOHO_OAUTH_CLIENT_ID and ZOHO_OAUTH_CLIENT_SECRET. Scopes
	// default to ZohoCRM.users.ALL.
	ginoauth.Config

	// Offline asks for a refresh token (access_type=offline), so the
	// blueprint's Client can refresh the access token after it expires.
	// Optional. Default false: access_type=online, and the user logs in
	// again after an hour.
	Offline bool
	// RepromptConsent shows the consent screen again (prompt=consent);
	// Zoho issues a new refresh token only then. Optional. Default false.
	RepromptConsent bool
	// AccountsDomain is the data center's accounts server, such as
	// "accounts.zoho.eu", "accounts.zoho.in", "accounts.zoho.com.au",
	// "accounts.zoho.jp", "accounts.zoho.com.cn", "accounts.zohocloud.ca"
	// or "accounts.zoho.sa". Optional. Default "accounts.zoho.com".
	AccountsDomain string
	// APIDomain is the data center's API host. Optional. Default derived
	// from AccountsDomain ("accounts.zoho.eu" → "www.zohoapis.eu",
	// "accounts.zohocloud.ca" → "www.zohoapis.ca").
	APIDomain string
}

func domains(cfg Config) (accounts, api string) {
	accounts = cfg.AccountsDomain
	if accounts == "" {
		accounts = defaultAccountsDomain
	}
	api = cfg.APIDomain
	if api == "" {
		switch {
		case strings.HasPrefix(accounts, "accounts.zoho."):
			api = "www.zohoapis." + strings.TrimPrefix(accounts, "accounts.zoho.")
		case accounts == "accounts.zohocloud.ca":
			api = "www.zohoapis.ca"
		default:
			api = "www.zohoapis.com"
		}
	}
	return accounts, api
}

// Provider returns the Zoho provider for cfg's options.
func Provider(cfg Config) ginoauth.Provider {
	accounts, api := domains(cfg)
	params := map[string]string{"access_type": "online"}
	if cfg.Offline {
		params["access_type"] = "offline"
	}
	if cfg.RepromptConsent {
		params["prompt"] = "consent"
	}
	origins := make([]string, 0, len(apiHosts))
	for h := range apiHosts {
		origins = append(origins, "https://"+h)
	}
	slices.Sort(origins)
	return ginoauth.Provider{
		Name: name,
		// The profile request goes to the data center the token names.
		APIOrigins: origins,
		Endpoint: oauth2.Endpoint{
			AuthURL:   "https://" + accounts + "/oauth/v2/auth",
			TokenURL:  "https://" + accounts + "/oauth/v2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		APIBaseURL:       "https://" + api + "/",
		Scopes:           []string{"ZohoCRM.users.ALL"},
		ScopeSeparator:   ",",
		AuthParams:       params,
		AuthorizeRequest: AuthorizeRequest,
		Profile:          profile,
		RefreshDisabled:  !cfg.Offline,
	}
}

// New returns the Zoho blueprint, the equivalent of Flask-Dance's
// make_zoho_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	for field, h := range map[string]string{"AccountsDomain": cfg.AccountsDomain, "APIDomain": cfg.APIDomain} {
		if h != "" {
			if err := provutil.CheckHost(h, "accounts.zoho.eu"); err != nil {
				return nil, fmt.Errorf("ginoauth: %s: config: %s: %w", name, field, err)
			}
		}
	}
	return provutil.New(Provider(cfg), cfg.Config, env)
}

// AuthorizeRequest sets Zoho's authorization header,
// "Authorization: Zoho-oauthtoken <access token>".
func AuthorizeRequest(req *http.Request, t *ginoauth.Token) error {
	if t == nil || t.AccessToken == "" {
		return errors.New("zoho: no access token")
	}
	req.Header.Set("Authorization", "Zoho-oauthtoken "+t.AccessToken)
	return nil
}

// apiDomain returns the token response's api_domain when it is a Zoho API
// host over https, for the profile request.
func apiDomain(t *ginoauth.Token) (string, bool) {
	s, _ := t.Extra["api_domain"].(string)
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.User != nil || (u.Path != "" && u.Path != "/") {
		return "", false
	}
	if u.Port() != "" || !apiHosts[u.Hostname()] {
		return "", false
	}
	return "https://" + u.Host + "/", true
}

// apiHosts are Zoho's API hosts, one per data center: an api_domain must
// be one of them exactly (a prefix check would accept
// www.zohoapis.attacker.example).
var apiHosts = map[string]bool{
	"www.zohoapis.com": true, "www.zohoapis.eu": true, "www.zohoapis.in": true,
	"www.zohoapis.com.au": true, "www.zohoapis.jp": true, "www.zohoapis.ca": true,
	"www.zohoapis.com.cn": true, "www.zohoapis.sa": true,
}

// crmUsers is Zoho CRM's answer to GET crm/v2/users?type=CurrentUser.
type crmUsers struct {
	Users []struct {
		ID       string `json:"id"`
		ZUID     string `json:"zuid"`
		FullName string `json:"full_name"`
		Email    string `json:"email"`
	} `json:"users"`
}

// profile reads the current Zoho CRM user. ID is the Zoho account ID
// (zuid), the same in every Zoho app, falling back to the CRM user ID.
// Zoho does not say whether the email is verified, so EmailVerified stays
// false; it has no avatar URL.
func profile(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	target := profilePath
	if base, ok := apiDomain(t); ok {
		target = base + profilePath
	}
	var v crmUsers
	raw, err := provutil.GetJSON(ctx, client, target, &v)
	if err != nil {
		return nil, err
	}
	if len(v.Users) == 0 {
		return nil, errors.New("zoho: profile: no current user")
	}
	u := v.Users[0]
	id := u.ZUID
	if id == "" {
		id = u.ID
	}
	if id == "" {
		return nil, errors.New("zoho: profile: no user id")
	}
	return &ginoauth.Profile{
		ID:    id,
		Email: u.Email,
		Name:  u.FullName,
		Raw:   raw,
	}, nil
}
