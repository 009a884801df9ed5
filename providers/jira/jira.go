// Package jira is the pre-configured provider for Jira Server and Jira Data
// Center, whose "application links" speak OAuth 1.0a with RSA-SHA1
// signatures. (Jira Cloud uses OAuth 2.0 through Atlassian's own
// authorization server instead.)
//
// An administrator creates an incoming application link with a consumer
// key and the public half of an RSA key pair; the app keeps the private
// half. The blueprint then needs the Jira base URL, the consumer key and
// the private key:
//
//	bp, err := jira.New(jira.Config{
//		BaseURL: "https://jira.example.com",
//		Config:  ginoauth.Config{ClientID: "ginoauth-app"}, // or JIRA_OAUTH_CONSUMER_KEY
//		RSAKey:  "/etc/app/jira.pem",                       // PEM text or a file; or JIRA_OAUTH_RSA_KEY
//	})
//
// API requests made with [ginoauth.Blueprint.Client] resolve relative URLs
// against the base URL ("rest/api/2/myself") and carry "Content-Type:
// application/json", as Jira's REST API expects. The profile comes from
// /rest/api/2/myself; Jira does not say whether an email address was
// verified, so Profile.EmailVerified is always false.
package jira

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/internal/provutil"
)

// Environment variables New reads when the Config leaves the credentials
// empty (Flask-Dance's names).
const (
	EnvConsumerKey = "JIRA_OAUTH_CONSUMER_KEY"
	EnvRSAKey      = "JIRA_OAUTH_RSA_KEY"
)

// Config configures the Jira blueprint.
type Config struct {
	// Config is the blueprint configuration. ClientID is the application
	// link's consumer key; it defaults to JIRA_OAUTH_CONSUMER_KEY.
	// ClientSecret is not used.
	ginoauth.Config

	// BaseURL is the Jira base URL, such as "https://jira.example.com" or
	// "https://example.com/jira" with a context path. Required.
	BaseURL string

	// RSAKey is the consumer's RSA private key as PEM text, or the path of
	// a PEM file, read once by New. Optional. Default the
	// JIRA_OAUTH_RSA_KEY environment variable (text or path likewise).
	// Ignored when PrivateKey is set.
	RSAKey string
	// PrivateKey is the consumer's RSA private key, for apps that load it
	// themselves (from a secret store, say). Optional. Default: read from
	// RSAKey.
	PrivateKey *rsa.PrivateKey
}

// Provider returns the Jira provider description for the Jira at baseURL,
// signing with key. baseURL must be an absolute http or https URL without
// query or fragment; a trailing slash is optional.
func Provider(baseURL string, key *rsa.PrivateKey) (ginoauth.OAuth1Provider, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return ginoauth.OAuth1Provider{}, fmt.Errorf("ginoauth: jira: config: BaseURL %q must be an absolute http or https URL without query or fragment", baseURL)
	}
	base := strings.TrimRight(baseURL, "/")
	return ginoauth.OAuth1Provider{
		Name:            "jira",
		RequestTokenURL: base + "/plugins/servlet/oauth/request-token",
		AuthorizeURL:    base + "/plugins/servlet/oauth/authorize",
		AccessTokenURL:  base + "/plugins/servlet/oauth/access-token",
		APIBaseURL:      base + "/",
		PrivateKey:      key,
		Header:          http.Header{"Content-Type": {"application/json"}},
		Profile:         profile,
	}, nil
}

// New returns the Jira blueprint.
func New(cfg Config) (*ginoauth.Blueprint, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("ginoauth: jira: config: BaseURL is required")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = os.Getenv(EnvConsumerKey)
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("ginoauth: jira: config: ClientID (the consumer key) is required (or set %s)", EnvConsumerKey)
	}
	key := cfg.PrivateKey
	if key == nil {
		src := cfg.RSAKey
		if src == "" {
			src = os.Getenv(EnvRSAKey)
		}
		if src == "" {
			return nil, fmt.Errorf("ginoauth: jira: config: RSAKey or PrivateKey is required (or set %s)", EnvRSAKey)
		}
		var err error
		if key, err = loadRSAKey(src); err != nil {
			return nil, fmt.Errorf("ginoauth: jira: config: %w", err)
		}
	}
	p, err := Provider(cfg.BaseURL, key)
	if err != nil {
		return nil, err
	}
	return ginoauth.NewOAuth1(p, cfg.Config)
}

type myself struct {
	Key          string            `json:"key"`
	AccountID    string            `json:"accountId"`
	Name         string            `json:"name"`
	EmailAddress string            `json:"emailAddress"`
	DisplayName  string            `json:"displayName"`
	AvatarURLs   map[string]string `json:"avatarUrls"`
}

// profile reads /rest/api/2/myself. The user key is the stable ID (the
// user name can be changed by an administrator).
func profile(ctx context.Context, client *http.Client, _ *ginoauth.Token) (*ginoauth.Profile, error) {
	var m myself
	raw, err := provutil.GetJSON(ctx, client, "rest/api/2/myself", &m)
	if err != nil {
		return nil, fmt.Errorf("ginoauth: jira: %w", err)
	}
	id := m.Key
	if id == "" {
		id = m.AccountID
	}
	if id == "" {
		return nil, errors.New("ginoauth: jira: profile has no key")
	}
	return &ginoauth.Profile{
		ID:        id,
		Email:     m.EmailAddress,
		Name:      m.DisplayName,
		Username:  m.Name,
		AvatarURL: m.AvatarURLs["48x48"],
		Raw:       raw,
	}, nil
}

// loadRSAKey reads an RSA private key from PEM text, or from the PEM file
// named by pemOrPath when it holds no PEM block marker. PKCS #1 ("RSA
// PRIVATE KEY") and PKCS #8 ("PRIVATE KEY") blocks are accepted; encrypted
// keys are not. Errors never contain the key.
func loadRSAKey(pemOrPath string) (*rsa.PrivateKey, error) {
	data := []byte(pemOrPath)
	if !strings.Contains(pemOrPath, "-----BEGIN") {
		path := strings.TrimSpace(pemOrPath)
		if path == "" {
			return nil, errors.New("ginoauth: jira: RSA key: empty")
		}
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("ginoauth: jira: RSA key: %w", err)
		}
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("ginoauth: jira: RSA key: no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("ginoauth: jira: RSA key: malformed PKCS #1 key")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("ginoauth: jira: RSA key: malformed PKCS #8 key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("ginoauth: jira: RSA key: the PKCS #8 key is a %T, not RSA", k)
		}
		return rk, nil
	default:
		return nil, fmt.Errorf("ginoauth: jira: RSA key: PEM block %q is not an unencrypted RSA private key", block.Type)
	}
}
