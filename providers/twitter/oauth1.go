package twitter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Environment variables NewOAuth1 reads when OAuth1Config leaves the
// consumer credentials empty (Flask-Dance's names for its OAuth 1 Twitter
// preset).
const (
	EnvOAuth1ConsumerKey    = "TWITTER_OAUTH_CLIENT_KEY"
	EnvOAuth1ConsumerSecret = "TWITTER_OAUTH_CLIENT_SECRET"
)

// OAuth1Config configures the X OAuth 1.0a blueprint ("Sign in with X" on
// the v1.1 API), for apps that still hold OAuth 1.0a consumer keys.
type OAuth1Config struct {
	// Config is the blueprint configuration. ClientID is the API key
	// (consumer key) and ClientSecret the API key secret; they default to
	// TWITTER_OAUTH_CLIENT_KEY and TWITTER_OAUTH_CLIENT_SECRET. Extra
	// authorization parameters such as force_login or screen_name go in
	// AuthParams.
	ginoauth.Config
}

// OAuth1Provider returns the X OAuth 1.0a provider description: the
// api.twitter.com request-token, authorize and access-token endpoints,
// HMAC-SHA1, the v1.1 API base, oauth/invalidate_token for Logout, and a
// profile from account/verify_credentials.json?include_email=true. The
// access token's extra fields user_id and screen_name land in Token.Extra.
func OAuth1Provider() ginoauth.OAuth1Provider {
	return ginoauth.OAuth1Provider{
		Name:            "twitter",
		RequestTokenURL: "https://api.twitter.com/oauth/request_token",
		AuthorizeURL:    "https://api.twitter.com/oauth/authorize",
		AccessTokenURL:  "https://api.twitter.com/oauth/access_token",
		APIBaseURL:      "https://api.twitter.com/1.1/",
		RevocationURL:   "https://api.twitter.com/1.1/oauth/invalidate_token",
		Profile:         oauth1Profile,
	}
}

// NewOAuth1 returns the X OAuth 1.0a blueprint.
func NewOAuth1(cfg OAuth1Config) (*ginoauth.Blueprint, error) {
	if cfg.ClientID == "" {
		cfg.ClientID = os.Getenv(EnvOAuth1ConsumerKey)
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = os.Getenv(EnvOAuth1ConsumerSecret)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("ginoauth: twitter: config: ClientID and ClientSecret (the consumer key and secret) are required (or set %s and %s)",
			EnvOAuth1ConsumerKey, EnvOAuth1ConsumerSecret)
	}
	return ginoauth.NewOAuth1(OAuth1Provider(), cfg.Config)
}

type oauth1User struct {
	IDStr                string `json:"id_str"`
	Name                 string `json:"name"`
	ScreenName           string `json:"screen_name"`
	Email                string `json:"email"`
	ProfileImageURLHTTPS string `json:"profile_image_url_https"`
}

// oauth1Profile reads account/verify_credentials.json. X returns the email
// address only to apps allowed to ask for it, and only when it is verified.
func oauth1Profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var u oauth1User
	raw, err := provutil.GetJSON(ctx, client, "account/verify_credentials.json?include_email=true&skip_status=true", &u)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: twitter: %w", err)
	}
	if u.IDStr == "" {
		return nil, errors.New("ginoauth: twitter: profile has no id_str")
	}
	return &ginoauth.Profile{
		ID:            u.IDStr,
		Email:         u.Email,
		EmailVerified: u.Email != "",
		Name:          u.Name,
		Username:      u.ScreenName,
		AvatarURL:     u.ProfileImageURLHTTPS,
		Raw:           raw,
	}, nil
}
