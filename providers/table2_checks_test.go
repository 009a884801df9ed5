package providers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth"
)

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
