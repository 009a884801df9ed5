package ginoauth

// The token endpoint: its answers, errors without their bodies (the fields
// of a token response are read in tokenfields.go), the OAuth 2 refresh
// request, and revocation.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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

// tokenRequest posts form to the token endpoint at endpoint, as the
// client (see authenticate), and returns the token of a successful answer
// with every field it carried, parsed once. A failure is an *Error of kind
// with the provider's RFC 6749 error fields, whether the answer is an error
// status or, as GitHub sends them, a 200 with an "error" field; the
// answer's body is never part of the error's message.
func (b *Blueprint) tokenRequest(ctx context.Context, endpoint string, form url.Values, kind ErrorKind) (*Token, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return nil, &Error{Kind: KindConfig, Err: err}
	}
	if err := b.authenticate(ctx, req, form); err != nil {
		return nil, &Error{Kind: KindConfig, Err: err}
	}
	enc := form.Encode()
	req.Body, req.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(enc)), nil }
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.tokenHTTP.Do(req)
	if err != nil {
		return nil, &Error{Kind: kind, Err: redactURLError(err)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	resp.Body.Close()
	if err != nil {
		return nil, &Error{Kind: kind, Err: err}
	}
	fields := parseTokenBody(body)
	code := fields.str("error")
	if resp.StatusCode < 200 || resp.StatusCode > 299 || code != "" {
		desc, uri := fields.str("error_description"), fields.str("error_uri")
		return nil, tokenEndpointError(kind, &oauth2.RetrieveError{Response: resp, Body: body, ErrorCode: code, ErrorDescription: desc, ErrorURI: uri})
	}
	t := tokenFromFields(fields, b.cfg.Now())
	if t.AccessToken == "" {
		return nil, &Error{Kind: kind, Err: fmt.Errorf("token endpoint answered %d without an access_token", resp.StatusCode)}
	}
	return t, nil
}

const maxTokenResponse = 1 << 20

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
	endpoint := b.oauth.Endpoint.TokenURL
	if b.provider.RefreshURL != "" {
		endpoint = b.provider.RefreshURL
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.RefreshToken}}
	for k, v := range b.provider.RefreshParams {
		form.Set(k, v)
	}
	nt, ge := b.tokenRequest(ctx, endpoint, form, KindRefreshFailed)
	if ge != nil {
		ge.Provider = b.name
		if ge.Code == "invalid_grant" || ge.Code == "unauthorized_client" {
			ge.Kind = KindReauthRequired
		}
		return nil, ge
	}
	// Keep what the refresh response does not repeat.
	if nt.RefreshToken == "" {
		nt.RefreshToken = old.RefreshToken
	}
	if nt.IDToken == "" {
		nt.IDToken, nt.apart = old.IDToken, old.apart
	} else if nt.IDToken != old.IDToken && b.provider.VerifyIDToken != nil {
		// OpenID Connect Core 12.2: a refreshed ID token is verified like the
		// first one, for the same subject; it carries no new nonce.
		claims, err := b.provider.VerifyIDToken(ctx, b.oauth.ClientID, nt.IDToken, "")
		if err != nil {
			return nil, &Error{Kind: KindIDTokenInvalid, Provider: b.name, Err: err}
		}
		if sub := old.idSubject(); sub != "" && claims != nil && claims["sub"] != sub {
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
