package ginoauth

// The token endpoint's answers: errors without their bodies, every field of
// a token response kept, the OAuth 2 refresh request, and revocation.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// tokenEndpointError turns an x/oauth2 error into an *Error with the
// provider's RFC 6749 fields; the raw body is kept only inside Err.
func tokenEndpointError(kind ErrorKind, err error) *Error {
	ge := &Error{Kind: kind, Err: err}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		ge.Code = clip(re.ErrorCode, 64)
		ge.Description = clip(re.ErrorDescription, 256)
		ge.URI = clip(re.ErrorURI, 256)
		// RetrieveError's message includes the response body, which can echo
		// what was sent; keep only the status and the RFC fields.
		ge.Err = &providerError{status: re.Response.StatusCode, code: ge.Code, cause: re}
	}
	return ge
}

// providerError describes a token endpoint failure without its body.
type providerError struct {
	status int
	code   string
	cause  *oauth2.RetrieveError
}

func (e *providerError) Error() string {
	if e.code != "" {
		return fmt.Sprintf("token endpoint answered %d %s", e.status, e.code)
	}
	return fmt.Sprintf("token endpoint answered %d", e.status)
}

func (e *providerError) Unwrap() error { return e.cause }

// captureTransport keeps the body of the token endpoint's response, so no
// field of it is lost (x/oauth2 exposes only the ones it knows). It adds
// extra to the request's form body (x/oauth2's refresh takes no extra
// parameters), and the client assertion when the client authenticates
// with one.
type captureTransport struct {
	base  http.RoundTripper
	extra map[string]string
	auth  *assertionAuth
	body  []byte
}

const maxTokenResponse = 1 << 20

func (t *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if (len(t.extra) > 0 || t.auth != nil) && r.Body != nil {
		raw, err := io.ReadAll(io.LimitReader(r.Body, maxTokenResponse))
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, err
		}
		for k, v := range t.extra {
			form.Set(k, v)
		}
		if t.auth != nil {
			if err := t.auth.add(r.Context(), form, r.URL); err != nil {
				return nil, err
			}
		}
		enc := form.Encode()
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(strings.NewReader(enc))
		r.ContentLength = int64(len(enc))
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if t.body, err = keepBody(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// keepBody reads a token endpoint's answer (at most maxTokenResponse
// bytes), gives resp a copy to read again, and returns it.
func keepBody(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// standard token response fields, which have their own Token fields, and
// the Extra keys the library derives itself (a response cannot set them).
var standardFields = map[string]bool{
	"access_token": true, "token_type": true, "refresh_token": true,
	"expires_in": true, "id_token": true, "scope": true,
	claimsKey: true,
}

// claimsKey is the Extra key of the verified ID token's claims.
const claimsKey = "id_token_claims"

// tokenFromResponse builds a Token from x/oauth2's token and the raw
// response body (JSON or form-encoded), received at now.
func tokenFromResponse(ot *oauth2.Token, body []byte, now time.Time) *Token {
	t := &Token{
		AccessToken:  ot.AccessToken,
		TokenType:    ot.Type(),
		RefreshToken: ot.RefreshToken,
		Expiry:       ot.Expiry,
		ExpiresIn:    ot.ExpiresIn,
	}
	if ot.TokenType == "" {
		t.TokenType = ""
	}
	if t.ExpiresIn > 0 {
		// By the blueprint's clock, which tests may move.
		t.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	fields := parseTokenBody(body)
	for k, v := range fields {
		switch k {
		case "id_token":
			t.IDToken, _ = v.(string)
		case "scope":
			t.Scopes = splitScopes(v)
		case "expires_at":
			// A provider that gives only an absolute expiry (Unix seconds).
			if at, ok := v.(int64); ok && t.Expiry.IsZero() && at > 0 {
				t.Expiry = time.Unix(at, 0)
				t.ExpiresIn = max(at-now.Unix(), 1)
			}
			fallthrough
		default:
			if !standardFields[k] {
				if t.Extra == nil {
					t.Extra = make(map[string]any, len(fields))
				}
				t.Extra[k] = v
			}
		}
	}
	return t
}

func parseTokenBody(body []byte) map[string]any {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '{' {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if d.Decode(&m) == nil {
			for k, v := range m {
				if n, ok := v.(json.Number); ok {
					if i, err := n.Int64(); err == nil {
						m[k] = i
					} else if f, err := n.Float64(); err == nil {
						m[k] = f
					} else {
						// Out of float64's range: kept as text, so that
						// the stored token still decodes.
						m[k] = n.String()
					}
				}
			}
			return m
		}
		return nil
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	m := make(map[string]any, len(vals))
	for k, v := range vals {
		// A field whose name is not UTF-8 could not be stored as JSON
		// without turning into another name.
		if len(v) > 0 && utf8.ValidString(k) {
			m[k] = strings.ToValidUTF8(v[0], "\uFFFD")
		}
	}
	return m
}

func splitScopes(v any) []string {
	switch s := v.(type) {
	case string:
		f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
		if len(f) == 0 {
			return nil
		}
		return f
	case []any:
		out := make([]string, 0, len(s))
		for _, x := range s {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func (oauth2Flow) revoke(ctx context.Context, b *Blueprint, t *Token) error {
	endpoint := b.provider.RevocationURL
	if endpoint == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout())
	defer cancel()
	form := url.Values{}
	if t.RefreshToken != "" && !b.provider.RevokeAccessToken {
		form.Set("token", t.RefreshToken)
		form.Set("token_type_hint", "refresh_token")
	} else {
		form.Set("token", t.AccessToken)
		form.Set("token_type_hint", "access_token")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return fmt.Errorf("ginoauth: %s: revoke: %w", b.name, err)
	}
	if err := b.authenticate(ctx, req, form); err != nil {
		return fmt.Errorf("ginoauth: %s: revoke: %w", b.name, err)
	}
	enc := form.Encode()
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("ginoauth: %s: revoke: %w", b.name, redactURLError(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	// RFC 7009 section 2.2: 200 means revoked, or the token was already
	// invalid; some providers answer 204.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("ginoauth: %s: revoke: provider answered %s", b.name, strconv.Itoa(resp.StatusCode))
	}
	return nil
}

// redactURLError drops the URL from a *url.Error, which may carry a query.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// refresh asks the provider for a new token with old's refresh token, at
// Provider.RefreshURL (default the token URL) with Provider.RefreshParams.
// ctx is the refresh sequence's detached, bounded context.
func (oauth2Flow) refresh(ctx context.Context, b *Blueprint, old *Token) (*Token, error) {
	cfg := &oauth2.Config{
		ClientID:     b.oauth.ClientID,
		ClientSecret: b.oauth.ClientSecret,
		Endpoint:     b.oauth.Endpoint,
		Scopes:       b.oauth.Scopes,
	}
	if b.provider.RefreshURL != "" {
		cfg.Endpoint.TokenURL = b.provider.RefreshURL
	}
	if err := b.freshSecret(ctx, cfg); err != nil {
		return nil, &Error{Kind: KindConfig, Provider: b.name, Err: err}
	}
	capture := &captureTransport{base: b.baseTransport(), extra: b.provider.RefreshParams, auth: b.assertion()}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: capture, Timeout: b.cfg.HTTPClient.Timeout})
	ot, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: old.RefreshToken}).Token()
	if err != nil {
		ge := tokenEndpointError(KindRefreshFailed, err)
		ge.Provider = b.name
		if ge.Code == "invalid_grant" || ge.Code == "unauthorized_client" {
			ge.Kind = KindReauthRequired
		}
		return nil, ge
	}
	nt := tokenFromResponse(ot, capture.body, b.cfg.Now())
	// Keep what the refresh response does not repeat.
	if nt.RefreshToken == "" {
		nt.RefreshToken = old.RefreshToken
	}
	if nt.IDToken == "" {
		nt.IDToken = old.IDToken
	} else if nt.IDToken != old.IDToken && b.provider.VerifyIDToken != nil {
		// OpenID Connect Core 12.2: a refreshed ID token is verified like the
		// first one, for the same subject; it carries no new nonce.
		claims, err := b.provider.VerifyIDToken(ctx, b.oauth.ClientID, nt.IDToken, "")
		if err != nil {
			return nil, &Error{Kind: KindIDTokenInvalid, Provider: b.name, Err: err}
		}
		if oldClaims, ok := old.Extra[claimsKey].(map[string]any); ok && claims != nil && oldClaims["sub"] != claims["sub"] {
			return nil, &Error{Kind: KindIDTokenInvalid, Provider: b.name, Err: errors.New("refreshed ID token is for another subject")}
		}
		if nt.Extra == nil {
			nt.Extra = make(map[string]any, len(old.Extra)+1)
		}
		nt.Extra[claimsKey] = claims
	}
	if nt.Scopes == nil {
		nt.Scopes = old.Scopes
	}
	if nt.TokenType == "" {
		nt.TokenType = old.TokenType
	}
	for k, v := range old.Extra {
		if _, ok := nt.Extra[k]; !ok {
			if nt.Extra == nil {
				nt.Extra = make(map[string]any, len(old.Extra))
			}
			nt.Extra[k] = v
		}
	}
	return nt, nil
}
