// Package discord is the pre-configured Discord provider.
//
// The default scope is "identify"; add "email" to Config.Scopes for the
// user's email address and its verification status.
package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Prompt values Discord understands.
const (
	// PromptConsent asks the user to approve the app every time.
	PromptConsent = "consent"
	// PromptNone skips the approval screen when the user already
	// authorized the app.
	PromptNone = "none"
)

// CDNBaseURL is where Discord serves avatars.
const CDNBaseURL = "https://cdn.discordapp.com/"

// Config configures the Discord blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID and ClientSecret
	// default to DISCORD_OAUTH_CLIENT_ID and DISCORD_OAUTH_CLIENT_SECRET.
	ginoauth.Config

	// Prompt is the authorization page's prompt parameter, sent as given:
	// PromptConsent or PromptNone. Optional. Default PromptConsent.
	Prompt string
}

// Provider returns the Discord provider description for cfg's options.
// It needs no credentials.
func Provider(cfg Config) ginoauth.Provider {
	prompt := cfg.Prompt
	if prompt == "" {
		prompt = PromptConsent
	}
	p := ginoauth.Provider{
		Name:          "discord",
		Endpoint:      endpoints.Discord,
		RevocationURL: "https://discord.com/api/oauth2/token/revoke",
		APIBaseURL:    "https://discord.com/api/v10/",
		Scopes:        []string{"identify"},
		AuthParams:    map[string]string{"prompt": prompt},
		Profile:       profile,
	}
	// The client credentials go in an HTTP Basic header.
	p.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return p
}

// New returns the Discord blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	return provutil.New(Provider(cfg), cfg.Config, "DISCORD")
}

type user struct {
	ID            string  `json:"id"`
	Username      string  `json:"username"`
	Discriminator string  `json:"discriminator"`
	GlobalName    *string `json:"global_name"`
	Avatar        *string `json:"avatar"`
	Email         *string `json:"email"`
	Verified      bool    `json:"verified"`
}

func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u user
	raw, err := provutil.GetJSON(ctx, client, "users/@me", &u)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: discord: %w", err)
	}
	if u.ID == "" {
		return nil, errors.New("ginoauth: discord: profile has no id")
	}
	p := &ginoauth.Profile{
		ID:        u.ID,
		Name:      u.Username,
		Username:  u.Username,
		AvatarURL: AvatarURL(u.ID, u.Discriminator, deref(u.Avatar)),
		Raw:       raw,
	}
	if g := deref(u.GlobalName); g != "" {
		p.Name = g
	}
	if e := deref(u.Email); e != "" {
		p.Email = e
		p.EmailVerified = u.Verified
	}
	return p, nil
}

// AvatarURL builds a user's avatar URL from Discord's CDN pattern: the
// uploaded avatar (animated ones, whose hash starts with "a_", as GIF), or
// the default avatar Discord assigns when hash is empty.
func AvatarURL(userID, discriminator, hash string) string {
	if hash != "" {
		ext := ".png"
		if strings.HasPrefix(hash, "a_") {
			ext = ".gif"
		}
		return CDNBaseURL + "avatars/" + userID + "/" + hash + ext
	}
	var index uint64
	if d, err := strconv.ParseUint(discriminator, 10, 64); err == nil && d != 0 {
		index = d % 5 // legacy user names with a discriminator
	} else if id, err := strconv.ParseUint(userID, 10, 64); err == nil {
		index = (id >> 22) % 6
	}
	return CDNBaseURL + "embed/avatars/" + strconv.FormatUint(index, 10) + ".png"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
