package ginoauth

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/gin-gonic/gin"
)

// Profile fetches the user's normalized profile with the provider's
// Profile function, using Client(c). Inside the Authorized hook it uses the token
// just obtained. A provider that refuses the profile request makes it
// return an *Error of kind KindProfileFailed (with the provider's status);
// a dead token, one matching KindReauthRequired.
func (b *Blueprint) Profile(c *gin.Context) (*Profile, error) {
	src, err := b.source(c)
	if err != nil {
		return nil, err
	}
	return b.profile(reqContext(c), src)
}

// ProfileFor is Profile for a token outside a request (see ClientFor).
func (b *Blueprint) ProfileFor(ctx context.Context, ref TokenRef) (*Profile, error) {
	return b.profile(ctx, &tokenSource{b: b, ref: ref})
}

func (b *Blueprint) profile(ctx context.Context, src *tokenSource) (*Profile, error) {
	if b.provider.Profile == nil {
		return nil, &Error{Kind: KindConfig, Provider: b.name, Err: errors.New("the provider has no profile function")}
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout())
	defer cancel()
	t, err := src.token(ctx)
	if err != nil {
		return nil, err
	}
	// The client and the recorder of its answers' statuses in one
	// allocation; ctx bounds the requests already.
	pc := new(struct {
		client http.Client
		status statusRecorder
	})
	client, status := &pc.client, &pc.status
	b.initAPIClient(client, src, 0)
	status.base = client.Transport
	client.Transport = status
	p, err := b.provider.Profile(ctx, client, t)
	if err == nil {
		return p, nil
	}
	if ge, ok := asError(err); ok {
		if ge.Provider == "" {
			ge.Provider = b.name
		}
		return nil, ge
	}
	return nil, &Error{Kind: KindProfileFailed, Provider: b.name, HTTPStatus: int(status.failed.Load()), Err: err}
}

// statusRecorder remembers the status of the last failed answer, for the
// profile error.
type statusRecorder struct {
	base   http.RoundTripper
	failed atomic.Int32
}

func (r *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err == nil && resp.StatusCode >= 400 {
		r.failed.Store(int32(resp.StatusCode))
	}
	return resp, err
}
