// Package provutil holds what the provider packages share: credentials
// from the environment and small JSON helpers for profile requests.
package provutil

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/ginoauth/ginoauth"
)

// New fills cfg's empty ClientID and ClientSecret from the environment
// variables {ENV}_OAUTH_CLIENT_ID and {ENV}_OAUTH_CLIENT_SECRET (Flask-Dance's
// names) and builds the blueprint.
func New(p ginoauth.Provider, cfg ginoauth.Config, env string) (*ginoauth.Blueprint, error) {
	FillCredentials(&cfg, env)
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("ginoauth: %s: config: ClientID is required (or set %s_OAUTH_CLIENT_ID)", p.Name, env)
	}
	return ginoauth.New(p, cfg)
}

// FillCredentials sets cfg's empty ClientID and ClientSecret from
// {ENV}_OAUTH_CLIENT_ID and {ENV}_OAUTH_CLIENT_SECRET.
func FillCredentials(cfg *ginoauth.Config, env string) {
	if cfg.ClientID == "" {
		cfg.ClientID = os.Getenv(env + "_OAUTH_CLIENT_ID")
	}
	if cfg.ClientSecret == "" && cfg.ClientSecretFunc == nil {
		cfg.ClientSecret = os.Getenv(env + "_OAUTH_CLIENT_SECRET")
	}
}

// maxBody bounds a profile response.
const maxBody = 1 << 20

// GetJSON GETs url with client (relative URLs resolve against the
// provider's API base URL), checks for a 2xx status and decodes the JSON
// body into v. It returns the raw body too, for Profile.Raw.
func GetJSON(ctx context.Context, client *http.Client, url string, v any) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return DoJSON(client, req, v)
}

// DoJSON sends req with client and decodes a 2xx JSON answer into v.
func DoJSON(client *http.Client, req *http.Request, v any) (json.RawMessage, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("profile request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("profile request: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("profile request: %s answered %d", req.URL.Path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("profile request: decode %s: %w", req.URL.Path, err)
	}
	return json.RawMessage(body), nil
}

// String returns a JSON value as a string: strings as they are, numbers
// without exponent (user IDs are often numbers), others empty.
func String(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strings.TrimSuffix(fmt.Sprintf("%.0f", x), ".")
	case int64:
		return fmt.Sprint(x)
	case int:
		return fmt.Sprint(x)
	}
	return ""
}

// CheckHost reports whether h is a bare host name (with an optional port):
// no scheme, path, query, user info or spaces. example appears in the error.
func CheckHost(h, example string) error {
	u, err := url.Parse("https://" + h)
	if h == "" || err != nil || u.Host != h || u.User != nil {
		return fmt.Errorf("must be a host name such as %q", example)
	}
	return nil
}

// HasScope reports whether scope is one of scopes. Each element may itself
// hold several space-separated scopes; the comparison is exact, so
// "offline_access_extra" does not count as "offline_access".
func HasScope(scopes []string, scope string) bool {
	for _, s := range scopes {
		if slices.Contains(strings.Fields(s), scope) {
			return true
		}
	}
	return false
}

// Scopes returns the scopes a blueprint built from cfg asks for:
// cfg.Scopes when it is not nil, otherwise defaults. Presets use it to
// decide on OpenID and refresh support.
func Scopes(cfg ginoauth.Config, defaults []string) []string {
	if cfg.Scopes != nil {
		return cfg.Scopes
	}
	return defaults
}
