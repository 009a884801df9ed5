package ginoauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/dghubble/oauth1"
)

func (f *oauth1Flow) transport(b *Blueprint, src *tokenSource, base http.RoundTripper) http.RoundTripper {
	return &apiTransport{b: b, src: src, base: base, sign: f.sign, rejected: oauth1Rejected}
}

// oauth1Rejected reports whether an API answer says the OAuth 1.0a token
// is dead: a 401 whose oauth_problem (the OAuth Problem Reporting
// extension) is token_expired, token_revoked or token_rejected. Other 401s
// (a bad signature, a refused timestamp) stand as they are.
func oauth1Rejected(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	// Read the start of the answer for its oauth_problem, and give the
	// caller all of it.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	if err != nil {
		return false
	}
	problem := ""
	if vals, err := url.ParseQuery(strings.TrimSpace(string(body))); err == nil {
		problem = vals.Get("oauth_problem")
	}
	if problem == "" {
		_, after, _ := strings.Cut(resp.Header.Get("WWW-Authenticate"), "oauth_problem=")
		problem, _, _ = strings.Cut(strings.Trim(after, `"`), `"`)
	}
	switch problem {
	case "token_expired", "token_revoked", "token_rejected":
		return true
	}
	return false
}

// sign sets the OAuth 1.0a Authorization header of req for t, with
// dghubble/oauth1's signer. Its transport signs a clone of req and hands
// it to signRecorder, which keeps the header (and the form body the signer
// had to read) instead of sending anything.
//
// dghubble/oauth1 keeps one value per parameter name, so a request whose
// query and form body repeat a name would be signed wrongly; it is refused
// with an error instead of being sent to fail at the provider.
func (f *oauth1Flow) sign(req *http.Request, t *Token) error {
	params := req.URL.Query()
	contentType := req.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == formContentType && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return fmt.Errorf("ginoauth: sign request: read body: %w", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return errors.New("ginoauth: sign request: the form body does not parse")
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
		// The signer includes the body only for this exact header value.
		req.Header.Set("Content-Type", formContentType)
		defer req.Header.Set("Content-Type", contentType)
	}
	for k, v := range params {
		if len(v) > 1 {
			return fmt.Errorf("ginoauth: sign request: OAuth 1 signing does not support the repeated parameter %q", k)
		}
	}
	rec := &signRecorder{}
	ctx := context.WithValue(req.Context(), oauth1.HTTPClient, &http.Client{Transport: rec})
	cfg := f.cfg
	resp, err := oauth1.NewClient(ctx, &cfg, oauth1.NewToken(t.AccessToken, t.Secret)).Transport.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("ginoauth: sign request: %w", err)
	}
	resp.Body.Close()
	if rec.auth == "" {
		return errors.New("ginoauth: sign request: no signature produced")
	}
	req.Header.Set("Authorization", rec.auth)
	req.Body = rec.body
	return nil
}

// signRecorder is the "network" of the signing transport.
type signRecorder struct {
	auth string
	body io.ReadCloser
}

func (r *signRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.auth = req.Header.Get("Authorization")
	r.body = req.Body
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// revoke invalidates t at the provider's RevocationURL, if it has one, with
// a POST signed with t.
func (f *oauth1Flow) revoke(ctx context.Context, b *Blueprint, t *Token) error {
	if f.revocationURL == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout())
	defer cancel()
	src := &tokenSource{b: b, ref: &pendingRef{t: t}}
	client := &http.Client{Transport: f.transport(b, src, b.baseTransport()), Timeout: b.cfg.HTTPClient.Timeout}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.revocationURL, nil)
	if err != nil {
		return fmt.Errorf("ginoauth: %s: revoke: %w", b.name, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("ginoauth: %s: revoke: %w", b.name, redactURLError(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("ginoauth: %s: revoke: provider answered %d", b.name, resp.StatusCode)
	}
	return nil
}

// refresh implements flow: OAuth 1.0a tokens cannot be refreshed, so a
// refused one means logging in again.
func (f *oauth1Flow) refresh(_ context.Context, b *Blueprint, _ *Token) (*Token, error) {
	return nil, &Error{Kind: KindReauthRequired, Provider: b.name, Err: errors.New("OAuth 1.0a tokens cannot be refreshed")}
}
