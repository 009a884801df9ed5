package ginoauth

// Client authentication at the token and revocation endpoints: the client
// secret, in the Basic header or the form, or a client assertion
// (Config.ClientAssertion).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"golang.org/x/oauth2"

	"github.com/ginoauth/ginoauth/clientauth"
)

// assertionAuth makes the client assertions of Config.ClientAssertion.
type assertionAuth struct {
	sign   func(ctx context.Context, issuer, endpoint string) (string, error)
	issuer string
}

// clientAssertionType is RFC 7523 section 2.2's client_assertion_type.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// add puts a fresh assertion for endpoint into form.
func (a *assertionAuth) add(ctx context.Context, form url.Values, endpoint *url.URL) error {
	u := *endpoint
	u.RawQuery, u.Fragment = "", ""
	jwt, err := a.sign(ctx, a.issuer, u.String())
	if err != nil {
		return fmt.Errorf("ClientAssertion: %w", err)
	}
	form.Set("client_assertion_type", clientAssertionType)
	form.Set("client_assertion", jwt)
	return nil
}

// authenticate adds the client's credentials to a token or revocation
// request: an assertion, or the client secret in the header or the form as
// the endpoint's AuthStyle says, or client_id alone for a public client.
// It leaves the caller's other form fields (a provider's client_id among
// its RefreshParams, say) as they are.
func (b *Blueprint) authenticate(ctx context.Context, req *http.Request, form url.Values) error {
	if a := b.assertion(); a != nil {
		form.Set("client_id", b.oauth.ClientID)
		return a.add(ctx, form, req.URL)
	}
	secret := b.oauth.ClientSecret
	if b.cfg.ClientSecretFunc != nil {
		s, err := b.cfg.ClientSecretFunc(ctx)
		if err != nil {
			return fmt.Errorf("ClientSecretFunc: %w", err)
		}
		secret = s
	}
	switch {
	case secret == "":
		form.Set("client_id", b.oauth.ClientID)
	case b.oauth.Endpoint.AuthStyle == oauth2.AuthStyleInParams:
		form.Set("client_id", b.oauth.ClientID)
		form.Set("client_secret", secret)
	default:
		req.SetBasicAuth(url.QueryEscape(b.oauth.ClientID), url.QueryEscape(secret))
	}
	return nil
}

// assertion is the client assertion maker, or nil when the client
// authenticates with its secret.
func (b *Blueprint) assertion() *assertionAuth {
	if b.cfg.ClientAssertion == nil {
		return nil
	}
	return &assertionAuth{sign: b.cfg.ClientAssertion, issuer: b.provider.Issuer}
}

// chooseClientAuth sets cfg.ClientAssertion to client_secret_jwt when the
// token endpoint takes none of the methods that send the secret itself
// but takes that one, and fails when it takes only methods the
// configuration cannot serve (private_key_jwt without an assertion).
func chooseClientAuth(methods []string, cfg *Config) error {
	if cfg.ClientAssertion != nil || len(methods) == 0 || slices.Contains(methods, "none") ||
		slices.Contains(methods, "client_secret_basic") || slices.Contains(methods, "client_secret_post") {
		return nil
	}
	if slices.Contains(methods, "client_secret_jwt") && cfg.ClientSecret != "" {
		a, err := clientauth.SecretJWT(cfg.ClientID, cfg.ClientSecret, clientauth.Options{})
		if err != nil {
			return fmt.Errorf("the token endpoint takes client_secret_jwt: %w", err)
		}
		cfg.ClientAssertion = a.Sign
		return nil
	}
	return fmt.Errorf("the token endpoint takes only %v: set ClientAssertion (see package clientauth)", methods)
}
