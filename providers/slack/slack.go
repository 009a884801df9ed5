// Package slack is the pre-configured Slack provider, for Slack's classic
// OAuth flow (as in Flask-Dance) or its v2 flow.
//
// Classic flow (the default): the default scopes are "identify" and
// "chat:write:bot", and every API call made with the blueprint's client
// carries the token as a Bearer header, and form POSTs also as a "token"
// form field, as Slack's classic Web API expects. The token goes into a
// URL's query only with Config.TokenInQuery, since URLs end up in logs. A
// request that already has a "token" parameter keeps it.
//
// v2 flow (Config.V2): bot scopes go in Config.Scopes and user scopes in
// Config.UserScopes, and the token is sent as a Bearer header only (apps
// created since 2021 may not send tokens as query parameters). The token
// response's team, authed_user, bot_user_id, ... fields are kept in
// Token.Extra. When only user scopes are requested, Slack returns the
// user token inside authed_user; the blueprint built by New then uses it
// as the access token.
//
// In both flows a request that sets its own Authorization header is sent
// as it is, so an app can call the API with another token (for example a
// v2 user token next to the bot token).
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Config configures the Slack blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to SLACK_OAUTH_CLIENT_ID and SLACK_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// Subdomain is the Slack workspace's subdomain ("myteam" for
	// myteam.slack.com). The authorization page then opens on that
	// workspace. Optional. Default none: slack.com.
	Subdomain string
	// V2 selects Slack's v2 OAuth flow (oauth/v2/authorize,
	// oauth.v2.access). Optional. Default false: the classic flow
	// (oauth/authorize, oauth.access).
	V2 bool
	// UserScopes are the v2 flow's user-token scopes (the user_scope
	// parameter). Optional. Default none.
	UserScopes []string
	// TokenInQuery makes the classic flow also send the token as a "token"
	// query parameter on requests that are not form POSTs, for old classic
	// Web API methods that read it only there. Optional. Default false: no
	// URL carries the token.
	TokenInQuery bool
}

// Classic flow endpoints (x/oauth2's endpoints.Slack is the v2 flow).
const (
	classicAuthURL  = "https://slack.com/oauth/authorize"
	classicTokenURL = "https://slack.com/api/oauth.access"
)

// Provider returns the Slack provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	p := ginoauth.Provider{
		Name:           "slack",
		APIBaseURL:     "https://slack.com/api/",
		ScopeSeparator: ",",
		Profile:        profile,
	}
	if cfg.V2 {
		p.Endpoint = endpoints.Slack
		p.AuthorizeRequest = authorizeBearer
		if len(cfg.UserScopes) > 0 {
			p.AuthParams = map[string]string{"user_scope": strings.Join(cfg.UserScopes, ",")}
		}
	} else {
		p.Endpoint = oauth2.Endpoint{AuthURL: classicAuthURL, TokenURL: classicTokenURL}
		p.Scopes = []string{"identify", "chat:write:bot"}
		p.AuthorizeRequest = authorizeClassic(cfg.TokenInQuery)
	}
	// Slack recommends HTTP Basic for the client credentials.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if sub := strings.ToLower(cfg.Subdomain); sub != "" {
		p.Endpoint.AuthURL = strings.Replace(p.Endpoint.AuthURL, "https://slack.com/", "https://"+sub+".slack.com/", 1)
	}
	return p
}

// New returns the Slack blueprint. For the v2 flow its HTTP client is a
// copy of cfg.HTTPClient that moves a user-only token response's
// authed_user token to the top level, where OAuth clients expect it.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if !validSubdomain(cfg.Subdomain) {
		return nil, fmt.Errorf("ginoauth: slack: config: Subdomain %q must be a workspace subdomain such as \"myteam\"", cfg.Subdomain)
	}
	if len(cfg.UserScopes) > 0 && !cfg.V2 {
		return nil, errors.New("ginoauth: slack: config: UserScopes needs V2")
	}
	if cfg.V2 {
		base := cfg.HTTPClient
		if base == nil {
			base = http.DefaultClient
		}
		hc := *base
		rt := hc.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		hc.Transport = &userTokenTransport{base: rt}
		cfg.HTTPClient = &hc
	}
	return provutil.New(Provider(cfg), cfg.Config, "SLACK")
}

func validSubdomain(s string) bool {
	for _, r := range strings.ToLower(s) {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return !strings.HasPrefix(s, "-") && !strings.HasSuffix(s, "-")
}

// authorizeBearer sets the Bearer header unless the request has its own.
func authorizeBearer(r *http.Request, t *ginoauth.Token) error {
	if r.Header.Get("Authorization") == "" {
		r.Header.Set("Authorization", "Bearer "+t.AccessToken)
	}
	return nil
}

// maxFormBody bounds a form body read to add the token parameter.
const maxFormBody = 4 << 20

// authorizeClassic returns the classic flow's request signer: the token as
// a Bearer header and as the classic Web API's "token" form field (and,
// with inQuery, query parameter), unless the request already has either.
func authorizeClassic(inQuery bool) func(r *http.Request, t *ginoauth.Token) error {
	return func(r *http.Request, t *ginoauth.Token) error { return signClassic(r, t, inQuery) }
}

func signClassic(r *http.Request, t *ginoauth.Token, inQuery bool) error {
	if r.Header.Get("Authorization") != "" {
		return nil
	}
	r.Header.Set("Authorization", "Bearer "+t.AccessToken)
	q := r.URL.Query()
	if q.Has("token") {
		return nil
	}
	if isForm(r) {
		var body []byte
		if r.Body != nil && r.Body != http.NoBody {
			b, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
			r.Body.Close()
			if err != nil {
				return fmt.Errorf("ginoauth: slack: read form body: %w", err)
			}
			if len(b) > maxFormBody {
				return errors.New("ginoauth: slack: form body too large")
			}
			body = b
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return fmt.Errorf("ginoauth: slack: form body: %w", err)
		}
		if !form.Has("token") {
			if len(body) > 0 {
				body = append(body, '&')
			}
			body = append(body, "token="+url.QueryEscape(t.AccessToken)...)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
		return nil
	}
	if !inQuery {
		return nil
	}
	// Copy the URL: the request's URL may be shared with the caller's.
	u := *r.URL
	q.Set("token", t.AccessToken)
	u.RawQuery = q.Encode()
	r.URL = &u
	return nil
}

func isForm(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// userTokenTransport rewrites an oauth.v2.access answer that has no
// top-level access_token but an authed_user token (a user-scopes-only
// install): the user token becomes the token, authed_user stays in Extra.
type userTokenTransport struct {
	base http.RoundTripper
}

const maxTokenBody = 1 << 20

func (t *userTokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/oauth.v2.access") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("ginoauth: slack: read token response: %w", err)
	}
	if nb, ok := liftUserToken(body); ok {
		body = nb
		resp.Header.Del("Content-Length")
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// liftUserToken returns body with authed_user's token fields copied to
// the top level, when the top level has no access_token.
func liftUserToken(body []byte) ([]byte, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}
	if tok, ok := m["access_token"]; ok && string(tok) != `""` && string(tok) != "null" {
		return nil, false
	}
	var user map[string]json.RawMessage
	if json.Unmarshal(m["authed_user"], &user) != nil {
		return nil, false
	}
	if tok, ok := user["access_token"]; !ok || string(tok) == `""` || string(tok) == "null" {
		return nil, false
	}
	for _, k := range []string{"access_token", "token_type", "scope", "refresh_token", "expires_in"} {
		if v, ok := user[k]; ok {
			m[k] = v
		}
	}
	nb, err := json.Marshal(m)
	if err != nil {
		return nil, false
	}
	return nb, true
}

type identity struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	User  struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Email    string `json:"email"`
		Image24  string `json:"image_24"`
		Image48  string `json:"image_48"`
		Image72  string `json:"image_72"`
		Image192 string `json:"image_192"`
		Image512 string `json:"image_512"`
	} `json:"user"`
}

type authTest struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	UserID string `json:"user_id"`
	User   string `json:"user"`
}

// profile asks users.identity (Sign in with Slack scopes) and falls back
// to auth.test, which names the token's user with any token. In the v2
// flow the user token from authed_user is used when there is one.
func profile(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	userToken := ""
	if au, ok := t.Extra["authed_user"].(map[string]any); ok {
		userToken = provutil.String(au["access_token"])
	}
	call := func(method string, v any) (json.RawMessage, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, method, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		if userToken != "" && userToken != t.AccessToken {
			req.Header.Set("Authorization", "Bearer "+userToken)
		}
		return provutil.DoJSON(client, req, v)
	}
	var id identity
	raw, err := call("users.identity", &id)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: slack: %w", err)
	}
	if id.OK && id.User.ID != "" {
		u := id.User
		return &ginoauth.Profile{ID: u.ID, Email: u.Email, Name: u.Name,
			AvatarURL: first(u.Image512, u.Image192, u.Image72, u.Image48, u.Image24), Raw: raw}, nil
	}
	var at authTest
	raw, err = call("auth.test", &at)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: slack: %w", err)
	}
	if !at.OK || at.UserID == "" {
		return nil, fmt.Errorf("ginoauth: slack: profile: users.identity: %s; auth.test: %s", orUnknown(id.Error), orUnknown(at.Error))
	}
	return &ginoauth.Profile{ID: at.UserID, Username: at.User, Raw: raw}, nil
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "no user"
	}
	return s
}
