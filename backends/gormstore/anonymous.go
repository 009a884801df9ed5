package gormstore

import (
	"context"
	"strconv"

	"github.com/ginoauth/ginoauth"
)

func (r *anonRef) LockRefresh(ctx context.Context, _ *ginoauth.Token) (func(), error) {
	r.idMu.Lock()
	id := r.id()
	r.idMu.Unlock()
	return r.lockRefresh(ctx, r.s.table+"\x00"+r.provider+"\x00anon\x00"+strconv.FormatInt(id, 10))
}
