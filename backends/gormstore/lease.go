package gormstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
)

// Refresh leases coordinate app instances that find the same expired token
// at once. Without them both would send its refresh token to the provider;
// a provider that rotates refresh tokens accepts it once and answers the
// other with invalid_grant, and if that instance looks at the storage before
// the winner saved its token, it logs the user out. With a lease, the
// instance about to refresh marks the row first (a compare-and-swap on the
// lease column), and the others wait for the refreshed token instead.

const (
	defaultRefreshLease = 10 * time.Second
	leasePollMin        = 5 * time.Millisecond
	leasePollMax        = 100 * time.Millisecond
)

func alwaysClaim() bool { return true }

// leaseMark is the request key that records that the store already gave
// this request an expired token for provider.
type leaseMark struct {
	s        *Store
	provider string
}

// refreshLikely reports whether a request that loads an expired token is
// about to refresh it: the blueprint loads the token once to build the API
// client and again just before refreshing, while a mere Authorized check
// loads it once.
func (s *Store) refreshLikely(c *gin.Context, provider string) bool {
	k := leaseMark{s, provider}
	if _, ok := c.Get(k); ok {
		return true
	}
	c.Set(k, true)
	return false
}

func parseLease(v *string) (owner string, until time.Time) {
	if v == nil {
		return "", time.Time{}
	}
	owner, ms, _ := strings.Cut(*v, "/")
	n, _ := strconv.ParseInt(ms, 10, 64)
	return owner, time.UnixMilli(n)
}

// settle returns the token a caller should use in place of row's token t.
// A valid token is returned as is. For an expired, refreshable one: if
// another instance holds the row's refresh lease, settle waits (polling the
// row) until that instance saved the refreshed token, which it returns, or
// the lease ended; if the caller is about to refresh (claim), it takes the
// lease and returns t.
func (s *Store) settle(ctx context.Context, provider string, row *Account, t *ginoauth.Token, claim func() bool, read func() (*Account, error)) (*ginoauth.Token, error) {
	if s.lease < 0 || t.Valid() || t.RefreshToken == "" {
		return t, nil
	}
	claiming := claim != nil && claim()
	giveUp := time.Now().Add(s.lease)
	poll := leasePollMin
	for {
		now := time.Now()
		owner, until := parseLease(row.RefreshLease)
		if owner != "" && owner != s.owner && now.Before(until) && now.Before(giveUp) {
			// Another instance is refreshing: wait for its token.
			timer := time.NewTimer(poll)
			select {
			case <-ctx.Done():
				timer.Stop()
				return nil, dbErr("load "+provider+" token", ctx.Err())
			case <-timer.C:
			}
			poll = min(2*poll, leasePollMax)
		} else {
			if !claiming || owner == s.owner && until.After(now.Add(s.lease/2)) {
				return t, nil
			}
			ok, err := s.claimLease(ctx, row, now)
			if err != nil {
				return nil, err
			}
			if ok || !now.Before(giveUp) {
				return t, nil
			}
			// The row changed meanwhile.
		}
		// Callers waiting for one row in this process share each read.
		v, err, _ := s.polls.Do(strconv.FormatInt(row.ID, 10), func() (any, error) { return read() })
		if err != nil {
			if ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
				continue // the shared read was another caller's, who gave up
			}
			return nil, dbErr("load "+provider+" token", err)
		}
		next := v.(*Account)
		if next == nil {
			return nil, ginoauth.ErrNoToken
		}
		if t, err = s.decode(next.Token, provider, next.ID); err != nil {
			return nil, err
		}
		row = next
		if t.Valid() || t.RefreshToken == "" {
			return t, nil
		}
	}
}

// claimLease takes row's refresh lease if the row is as it was read, and
// arranges for the lease to end with ctx (the request) if no refreshed token
// ends it first. Concurrent claims of one row in this process share one
// database write.
func (s *Store) claimLease(ctx context.Context, row *Account, now time.Time) (bool, error) {
	key := strconv.FormatInt(row.ID, 10) + "/" + strconv.FormatInt(row.Version, 10)
	if row.RefreshLease != nil {
		key += "/" + *row.RefreshLease
	}
	v, err, _ := s.claims.Do(key, func() (any, error) {
		return s.claimLeaseOnce(ctx, row, now)
	})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

func (s *Store) claimLeaseOnce(ctx context.Context, row *Account, now time.Time) (bool, error) {
	lease := s.owner + "/" + strconv.FormatInt(now.Add(s.lease).UnixMilli(), 10)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	q := s.db.WithContext(wctx).Table(s.table).Where("id = ? AND version = ?", row.ID, row.Version)
	if row.RefreshLease == nil {
		q = q.Where("refresh_lease IS NULL")
	} else {
		q = q.Where("refresh_lease = ?", *row.RefreshLease)
	}
	res := q.Update("refresh_lease", lease)
	if res.Error != nil {
		return false, dbErr("take refresh lease", res.Error)
	}
	if res.RowsAffected != 1 {
		return false, nil
	}
	id := row.ID
	context.AfterFunc(ctx, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.db.WithContext(ctx).Table(s.table).
			Where("id = ? AND refresh_lease = ?", id, lease).
			Update("refresh_lease", nil)
	})
	return true, nil
}
