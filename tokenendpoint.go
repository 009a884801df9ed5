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
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ginoauth/ginoauth/internal/jsonscan"
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

// standard token response fields, which have their own Token fields, and
// the Extra keys the library derives itself (a response cannot set them).
var standardFields = map[string]bool{
	"access_token": true, "token_type": true, "refresh_token": true,
	"expires_in": true, "id_token": true, "scope": true,
	claimsKey: true,
}

// claimsKey is the Extra key of the verified ID token's claims.
const claimsKey = "id_token_claims"

// tokenFields are a token answer's fields: a JSON object's values, or the
// first value of each field of a form, kept as strings so that reading the
// standard ones makes no interface value.
type tokenFields struct {
	json map[string]any
	form map[string]string
}

// str returns field k if it is a string.
func (f tokenFields) str(k string) string {
	if f.form != nil {
		return f.form[k]
	}
	s, _ := f.json[k].(string)
	return s
}

// all returns every field.
func (f tokenFields) all() map[string]any {
	if f.form == nil {
		return f.json
	}
	m := make(map[string]any, len(f.form))
	for k, v := range f.form {
		m[k] = v
	}
	return m
}

// tokenFromFields builds a Token from a token response's fields (JSON or
// form-encoded, see parseTokenBody), received at now: the standard fields
// have their own Token fields, every other is kept in Extra.
func tokenFromFields(fields tokenFields, now time.Time) *Token {
	t := &Token{}
	var expiresAt int64
	if fields.form != nil {
		setTokenFields(t, fields.form)
		expiresAt = seconds(fields.form["expires_at"])
	} else {
		setTokenFields(t, fields.json)
		expiresAt = seconds(fields.json["expires_at"])
	}
	if t.ExpiresIn > 0 {
		// By the blueprint's clock, which tests may move; to the
		// millisecond below, which is shorter to store and shortens no
		// lifetime noticeably.
		t.Expiry = now.Add(time.Duration(t.ExpiresIn) * time.Second).Truncate(time.Millisecond)
	} else if at := expiresAt; at > 0 {
		// A provider that gives only an absolute expiry (Unix seconds).
		t.Expiry = time.Unix(at, 0)
		t.ExpiresIn = max(at-now.Unix(), 1)
	}
	return t
}

// setTokenFields sets t's fields from a token answer's: the standard ones
// in their own fields, every other in Extra.
func setTokenFields[V string | any](t *Token, fields map[string]V) {
	for k, v := range fields {
		switch k {
		case "access_token":
			t.AccessToken, _ = any(v).(string)
		case "token_type":
			t.TokenType = tokenType(v)
		case "refresh_token":
			t.RefreshToken, _ = any(v).(string)
		case "expires_in":
			t.ExpiresIn = seconds(v)
		case "id_token":
			t.IDToken, _ = any(v).(string)
		case "scope":
			t.Scopes = splitScopes(v)
		default:
			if !standardFields[k] {
				if t.Extra == nil {
					t.Extra = make(map[string]any, len(fields))
				}
				t.Extra[k] = v
			}
		}
	}
}

// tokenType spells the common token types as RFC 6749 does (Bearer,
// MAC, Basic), whatever case the provider used; others are kept as sent.
func tokenType(v any) string {
	s, _ := v.(string)
	for _, std := range [...]string{"Bearer", "MAC", "Basic"} {
		if strings.EqualFold(s, std) {
			return std
		}
	}
	return s
}

// seconds reads a count of seconds sent as a JSON number or as text; 0
// when it is neither, or not positive.
func seconds(v any) int64 {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case float64:
		if x < math.MaxInt64 {
			n = int64(x)
		}
	case string:
		n, _ = strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return max(n, 0)
}

func parseTokenBody(body []byte) tokenFields {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return tokenFields{}
	}
	if body[0] == '{' {
		if m, ok := tokenBodyJSON(body); ok {
			return tokenFields{json: m}
		}
		return tokenFields{json: tokenBodyJSONDecoder(body)}
	}
	// Form-encoded (GitHub's default): the first value of each field.
	m := make(map[string]string, bytes.Count(body, []byte("&"))+1)
	ok := formFields(string(body), func(k, v string) {
		// A field whose name is not UTF-8 could not be stored as JSON
		// without turning into another name.
		if _, seen := m[k]; seen || k == "" || !utf8.ValidString(k) {
			return
		}
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		m[k] = v
	})
	if !ok {
		return tokenFields{}
	}
	return tokenFields{form: m}
}

// tokenBodyJSON reads a JSON token answer in one pass (see jsonscan):
// plain strings and integers as they are, any other value by
// encoding/json. It reports false for what it does not take as it is,
// which tokenBodyJSONDecoder then reads; FuzzTokenResponse compares the
// two.
func tokenBodyJSON(body []byte) (map[string]any, bool) {
	m := make(map[string]any, 8)
	s := jsonscan.New(body)
	ok := s.Object(func(key []byte, v jsonscan.Value) bool {
		if v.Plain {
			m[fieldName(key)] = string(v.Contents())
			return true
		}
		if n, ok := jsonscan.PlainInt(v.Text); ok {
			m[fieldName(key)] = n
			return true
		}
		var x any
		d := json.NewDecoder(bytes.NewReader(v.Text))
		d.UseNumber()
		if d.Decode(&x) != nil || len(bytes.TrimSpace(v.Text[d.InputOffset():])) != 0 {
			return false
		}
		m[fieldName(key)] = topNumber(x)
		return true
	})
	return m, ok && s.Done()
}

// tokenBodyJSONDecoder reads a JSON token answer with encoding/json.
// Numbers become int64, or float64 if they have a fraction.
func tokenBodyJSONDecoder(body []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return nil
	}
	for k, v := range m {
		m[k] = topNumber(v)
	}
	return m
}

// topNumber turns a top-level json.Number into an int64 or a float64.
func topNumber(v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil {
		return f
	}
	// Out of float64's range: kept as text, so that the stored token
	// still decodes.
	return n.String()
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
