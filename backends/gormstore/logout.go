package gormstore

import (
	"context"

	"gorm.io/gorm"
)

// LogoutSubject implements ginoauth.SubjectLogout, for OpenID Connect
// back-channel logout: it empties the tokens of provider that belong to
// the provider account subject (the rows Linker linked, whose provider
// user ID is the ID token's "sub"), keeping the links, and reports how
// many it emptied. The users' next requests find no token, so
// Blueprint.Required sends them to log in again.
func (s *Store) LogoutSubject(ctx context.Context, provider, subject string) (int, error) {
	db := s.db.WithContext(ctx)
	var users []string
	err := db.Table(s.table).
		Where("provider = ? AND provider_user_id = ? AND token <> '' AND user_id IS NOT NULL", provider, subject).
		Pluck("user_id", &users).Error
	if err != nil {
		return 0, dbErr("logout "+provider+" subject", err)
	}
	res := db.Table(s.table).
		Where("provider = ? AND provider_user_id = ? AND token <> ''", provider, subject).
		Updates(map[string]any{"token": "", "version": gorm.Expr("version + 1")})
	if res.Error != nil {
		return 0, dbErr("logout "+provider+" subject", res.Error)
	}
	for _, u := range users {
		s.invalidate(provider, u)
	}
	return int(res.RowsAffected), nil
}
