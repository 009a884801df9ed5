package ginoauth

import (
	"context"
	"crypto/sha256"
	"errors"
)

var errNotRefreshable = errors.New("no refresh token")

// refresh is the one refresh sequence, for requests and background jobs
// alike. seen is the token the caller found expired or refused (dead), or
// wants refreshed early:
//
//	lock (in process, then the storage's RefreshLocker) → reload: if another
//	caller replaced seen with a usable token, use it → refresh at the
//	provider → Swap(old, new); on conflict use the winner's token → unlock
//
// It runs under a context detached from the caller's cancellation, bounded
// by Config.Timeout, so a client that disconnects mid-refresh never loses
// the rotated token. A refresh the provider refuses, or a dead token that
// cannot be refreshed, deletes the token (if it is still the one seen) and
// returns an error matching KindReauthRequired.
func (b *Blueprint) refresh(ctx context.Context, ref TokenRef, seen *Token, dead bool) (*Token, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout())
	defer cancel()
	unlock, err := b.locks.Lock(ctx, b.lockKey(seen))
	if err != nil {
		return nil, &Error{Kind: KindRefreshFailed, Provider: b.name, Err: err}
	}
	defer unlock()
	if l, ok := ref.(RefreshLocker); ok {
		unlockRef, err := l.LockRefresh(ctx, seen)
		if err != nil {
			return nil, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
		}
		defer unlockRef()
	}
	cur, err := ref.Load(ctx)
	switch {
	case errors.Is(err, ErrNoToken):
		return nil, ErrNoToken // deleted meanwhile (logout)
	case err != nil:
		return nil, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	case !sameToken(cur, seen) && b.valid(cur):
		return cur, nil // another request or instance refreshed it
	}
	if nt, ok := b.unsaved.take(b.lockKey(cur)); ok {
		// This process refreshed cur before, but could not save the new
		// token (a database outage): save it now instead of spending the
		// refresh token again.
		return b.saveRefreshed(ctx, ref, cur, nt)
	}
	if !dead && !b.refreshable(cur) {
		// An early refresh of a token that still works: keep it.
		return nil, &Error{Kind: KindReauthRequired, Provider: b.name, Err: errNotRefreshable}
	}
	nt, err := b.refreshAtProvider(ctx, cur)
	if errors.Is(err, KindReauthRequired) {
		// Drop the dead token, unless another writer replaced it.
		if got, serr := ref.Swap(ctx, cur, nil); serr == nil && got != nil && b.valid(got) {
			return got, nil
		}
		b.logDebug("ginoauth: token refused, dropped", "kind", string(KindReauthRequired))
		return nil, err
	}
	if err != nil {
		b.logDebug("ginoauth: refresh failed", "kind", kindOf(err))
		return nil, err
	}
	return b.saveRefreshed(ctx, ref, cur, nt)
}

// saveRefreshed swaps nt, refreshed from cur, into ref. A token that cannot
// be saved is kept in process memory for the next refresh of cur.
func (b *Blueprint) saveRefreshed(ctx context.Context, ref TokenRef, cur, nt *Token) (*Token, error) {
	got, err := ref.Swap(ctx, cur, nt)
	if err != nil {
		b.unsaved.put(b.lockKey(cur), nt, handoffTTL)
		return nil, &Error{Kind: KindStorageFailed, Provider: b.name, Err: err}
	}
	if got == nil {
		return nil, ErrNoToken // deleted meanwhile: the logout wins
	}
	if sameToken(got, nt) {
		b.logDebug("ginoauth: token refreshed")
		b.runTokenRefreshed(ctx, nt)
	}
	return got, nil
}

func (b *Blueprint) refreshAtProvider(ctx context.Context, old *Token) (*Token, error) {
	if !b.refreshable(old) {
		return nil, &Error{Kind: KindReauthRequired, Provider: b.name, Err: errNotRefreshable}
	}
	return b.flow.refresh(ctx, b, old)
}

// lockKey names the in-process refresh lock of t: every copy of one issued
// token shares it. It is a hash, so no token is kept as a map key.
func (b *Blueprint) lockKey(t *Token) string {
	k := t.RefreshToken
	if k == "" {
		k = t.AccessToken
	}
	sum := sha256.Sum256([]byte(k))
	return string(sum[:])
}

func kindOf(err error) string {
	if ge, ok := asError(err); ok {
		return string(ge.Kind)
	}
	return "unknown"
}
