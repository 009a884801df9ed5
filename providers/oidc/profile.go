package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
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
// t's "id_token_claims" extra field, if any.
func IDTokenClaims(t *ginoauth.Token) (map[string]any, bool) {
	if t == nil {
		return nil, false
	}
	m, ok := t.Extra["id_token_claims"].(map[string]any)
	return m, ok && len(m) > 0
}

// ClaimsProfile is a [ginoauth.Provider.Profile] function that makes no request: it maps
// the verified ID token claims kept with the token, for providers without
// a userinfo endpoint.
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
func UserInfo(url string) func(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
	return func(ctx context.Context, client *http.Client, t *ginoauth.Token) (*ginoauth.Profile, error) {
		var c claims
		raw, err := provutil.GetJSON(ctx, client, url, &c)
		if err != nil {
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
