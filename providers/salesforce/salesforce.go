// Package salesforce is the Salesforce preset, for production orgs, sandboxes
// and My Domain hosts.
//
// The host is Config.Hostname when set, otherwise test.salesforce.com with
// Config.Sandbox, otherwise login.salesforce.com. Profile reads the host's
// OpenID Connect userinfo endpoint, which needs the openid (or id) scope in
// the connected app or in Config.Scopes. Logout revokes the token.
//
// Relative URLs given to the blueprint's Client resolve against
// https://{host}/, as in Flask-Dance, but Salesforce's REST API lives on
// the org's instance, which the token response names: call
// [InstanceURL] with the token for the base of REST requests.
//
// Credentials default to SALESFORCE_OAUTH_CLIENT_ID and
// SALESFORCE_OAUTH_CLIENT_SECRET and are sent in the token request body.
package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

const (
	name        = "salesforce"
	env         = "SALESFORCE"
	loginHost   = "login.salesforce.com"
	sandboxHost = "test.salesforce.com"
)

// Config configures the Salesforce blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to SALESFORCE_OAUTH_CLIENT_ID and
	// SALESFORCE_OAUTH_CLIENT_SECRET. Scopes default to none: the connected
	// app's scopes apply.
	ginoauth.Config

	// Hostname is the login host, such as a My Domain
	// "example.my.salesforce.com". Optional. Default login.salesforce.com
	// (test.salesforce.com with Sandbox). It wins over Sandbox.
	Hostname string
	// Sandbox logs in to a sandbox org through test.salesforce.com.
	// Optional. Default false.
	Sandbox bool
	// RepromptConsent asks the user to approve the app again
	// (prompt=consent). Optional. Default false.
	RepromptConsent bool
}

// Host returns the login host cfg selects.
func Host(cfg Config) string {
	switch {
	case cfg.Hostname != "":
		return cfg.Hostname
	case cfg.Sandbox:
		return sandboxHost
	}
	return loginHost
}

// Provider returns the Salesforce provider for cfg's options.
func Provider(cfg Config) ginoauth.Provider {
	base := "https://" + Host(cfg) + "/"
	p := ginoauth.Provider{
		Name: name,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "services/oauth2/authorize",
			TokenURL:  base + "services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RevocationURL: base + "services/oauth2/revoke",
		APIBaseURL:    base,
		Profile:       profile,
	}
	if cfg.RepromptConsent {
		p.AuthParams = map[string]string{"prompt": "consent"}
	}
	return p
}

// New returns the Salesforce blueprint, the equivalent of Flask-Dance's
// make_salesforce_blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if cfg.Hostname != "" {
		if err := provutil.CheckHost(cfg.Hostname, "example.my.salesforce.com"); err != nil {
			return nil, fmt.Errorf("ginoauth: %s: config: Hostname: %w", name, err)
		}
	}
	return provutil.New(Provider(cfg), cfg.Config, env)
}

// InstanceURL returns the base URL of the org's REST API from the token
// response's instance_url, such as "https://example.my.salesforce.com/",
// or "" when the token has none.
func InstanceURL(t *ginoauth.Token) string {
	if t == nil {
		return ""
	}
	s, _ := t.Extra["instance_url"].(string)
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return strings.TrimSuffix(s, "/") + "/"
}

// userInfo is the part of Salesforce's userinfo answer the profile uses.
type userInfo struct {
	Sub               string `json:"sub"`
	UserID            string `json:"user_id"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	Email             string `json:"email"`
	EmailVerified     bool   `json:"email_verified"`
	Picture           string `json:"picture"`
	Photos            struct {
		Picture string `json:"picture"`
	} `json:"photos"`
}

// profile reads services/oauth2/userinfo. ID is the user ID (user_id,
// falling back to sub, the identity URL); Username is the Salesforce
// username (preferred_username).
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u userInfo
	raw, err := provutil.GetJSON(ctx, client, "services/oauth2/userinfo", &u)
	if err != nil {
		return nil, err
	}
	id := u.UserID
	if id == "" {
		id = u.Sub
	}
	if id == "" {
		return nil, errors.New("salesforce: profile: no user_id or sub")
	}
	avatar := u.Picture
	if avatar == "" {
		avatar = u.Photos.Picture
	}
	return &ginoauth.Profile{
		ID:            id,
		Email:         u.Email,
		EmailVerified: u.Email != "" && u.EmailVerified,
		Name:          u.Name,
		Username:      u.PreferredUsername,
		AvatarURL:     avatar,
		Raw:           raw,
	}, nil
}
