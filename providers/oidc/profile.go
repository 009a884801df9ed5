package oidc

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

	"github.com/ginoauth/ginoauth"
)

// claims are the standard claims (OpenID Connect Core section 5.1) that the
// normalized profile uses.
type claims struct {
	Subject           string   `json:"sub"`
	Email             string   `json:"email"`
	EmailVerified     flexBool `json:"email_verified"`
	Name              string   `json:"name"`
	GivenName         string   `json:"given_name"`
	FamilyName        string   `json:"family_name"`
	PreferredUsername string   `json:"preferred_username"`
	Nickname          string   `json:"nickname"`
	Picture           string   `json:"picture"`
}

// flexBool is a JSON boolean that also accepts the strings "true" and
// "false", which Apple and AWS Cognito send for email_verified. Anything
// else is false.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(bytes.TrimSpace(data)) {
	case "true", `"true"`:
		*b = true
	default:
		*b = false
	}
	return nil
}

func (c *claims) profile(raw []byte) (*ginoauth.Profile, error) {
	if c.Subject == "" {
		return nil, errors.New("oidc: profile: no sub claim")
	}
	p := &ginoauth.Profile{
		ID:            c.Subject,
		Email:         c.Email,
		EmailVerified: bool(c.EmailVerified) && c.Email != "",
		Name:          c.Name,
		Username:      c.PreferredUsername,
		AvatarURL:     c.Picture,
		Raw:           json.RawMessage(raw),
	}
	if p.Name == "" {
		p.Name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	}
	if p.Username == "" {
		p.Username = c.Nickname
	}
	return p, nil
}

// ProfileFromJSON maps a JSON object of standard claims (a userinfo answer
// or an ID token payload) to a profile: sub → ID, email, email_verified
// (true only for JSON true or "true"), name (or given_name family_name),
// preferred_username (or nickname) → Username, picture → AvatarURL. Raw is
// raw itself. It fails when there is no sub.
func ProfileFromJSON(raw []byte) (*ginoauth.Profile, error) {
	var c claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("oidc: profile: %w", err)
	}
	return c.profile(raw)
}

// FromClaims is [ProfileFromJSON] for decoded claims, such as the verified
// ID token claims in a token's "id_token_claims" extra field.
func FromClaims(m map[string]any) (*ginoauth.Profile, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("oidc: profile: %w", err)
	}
	return ProfileFromJSON(raw)
}

// IDTokenClaims returns the verified ID token claims the callback stored in
// t's "id_token_claims" extra field, if any. With a cookie session store
// they are there in the Authorized and TokenRefreshed hooks, not on later
// requests (see ginoauth.SessionStorage): keep what the app needs in its
// session in the Authorized hook.
func IDTokenClaims(t *ginoauth.Token) (map[string]any, bool) {
	if t == nil {
		return nil, false
	}
	m, ok := t.Extra["id_token_claims"].(map[string]any)
	return m, ok && len(m) > 0
}

// ClaimsProfile is a [ginoauth.Provider.Profile] function that makes no request: it maps
// the verified ID token claims kept with the token, for providers without
// a userinfo endpoint. With a cookie session store, call Profile in the
// Authorized hook (see IDTokenClaims).
func ClaimsProfile(_ context.Context, _ *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	m, ok := IDTokenClaims(t)
	if !ok {
		return nil, errors.New("oidc: profile: the token has no verified id token claims")
	}
	return FromClaims(m)
}

// UserInfo returns a [ginoauth.Provider.Profile] function that reads the userinfo
// endpoint at url (absolute, or relative to the provider's API base URL)
// and maps its standard claims with [ProfileFromJSON]. When the token has
// verified ID token claims, the userinfo sub must equal the ID token's.
// It accepts JSON answers only: [FromMetadata]'s profile function also
// verifies signed ones (application/jwt) with the provider's keys and
// resolves aggregated and distributed claims.
func UserInfo(url string) func(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	return userInfo(url, nil, false)
}

// maxUserInfo bounds a userinfo or claims source answer.
const maxUserInfo = 1 << 20

func userInfo(url string, j *jwtVerifier, inBody bool) func(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	return func(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
		method := http.MethodGet
		if inBody {
			// The provider's AuthorizeRequest puts the token in the body.
			method = http.MethodPost
		}
		req, err := http.NewRequestWithContext(ctx, method, url, nil)
		if err != nil {
			return nil, fmt.Errorf("oidc: userinfo: %w", err)
		}
		req.Header.Set("Accept", "application/json, application/jwt")
		raw, jwt, err := fetch(client, req)
		if err != nil {
			return nil, fmt.Errorf("oidc: userinfo: %w", err)
		}
		if jwt {
			// OpenID Connect Core 5.3.2: a signed answer is verified, and
			// its iss and aud, when present, must be the provider and us.
			if j == nil {
				return nil, errors.New("oidc: userinfo: a signed answer needs the provider's keys (build the provider with FromMetadata)")
			}
			if raw, err = j.signedUserInfo(ctx, string(raw)); err != nil {
				return nil, err
			}
		}
		if j != nil {
			if raw, err = j.resolveSources(ctx, raw); err != nil {
				return nil, err
			}
		}
		var c claims
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("oidc: userinfo: %w", err)
		}
		if m, ok := IDTokenClaims(t); ok {
			if sub, _ := m["sub"].(string); sub != "" && sub != c.Subject {
				return nil, errors.New("oidc: userinfo: sub differs from the id token's")
			}
		}
		return c.profile(raw)
	}
}

// fetch sends req and returns the answer's body, and whether it is a JWT
// (application/jwt) rather than JSON.
func fetch(client *http.Client, req *http.Request) ([]byte, bool, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfo))
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, false, fmt.Errorf("%s answered %d", req.URL.Path, resp.StatusCode)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return bytes.TrimSpace(body), mt == "application/jwt", nil
}

// bearerInBody is the AuthorizeRequest of a provider whose userinfo
// endpoint takes the access token in a form body (RFC 6750 section 2.2):
// a POST to it carries the token there and nowhere else; other requests
// carry it in the header.
func bearerInBody(userinfoURL string) func(req *http.Request, t *ginoauth.Token) error {
	return func(req *http.Request, t *ginoauth.Token) error {
		u := *req.URL
		u.RawQuery = ""
		if req.Method != http.MethodPost || u.String() != userinfoURL {
			req.Header.Set("Authorization", "Bearer "+t.AccessToken)
			return nil
		}
		body := url.Values{"access_token": {t.AccessToken}}.Encode()
		req.Body = io.NopCloser(strings.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return nil
	}
}
