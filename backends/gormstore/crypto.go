package gormstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ginoauth/ginoauth"
	"gorm.io/gorm"
)

// Sealed token columns are "gcm2:<key id>:<base64>": AES-GCM whose
// associated data binds the token to its row and the row's owner. Columns
// sealed by earlier versions, "gcm1:...", are bound to the row only; they
// open with Config.AllowUnsealed, and Reencrypt seals them again.
const (
	sealedPrefix = "gcm2:"
	legacyPrefix = "gcm1:"
)

// keyRing seals with its first key and opens with any of them.
type keyRing struct {
	keys []ringKey
}

type ringKey struct {
	id   string // 8 hex digits derived from the key
	aead cipher.AEAD
}

// KeyID returns the identifier under which tokens sealed with key are
// stored ("gcm2:<id>:..."), to check which key rows use, for example
//
//	SELECT count(*) FROM oauth_accounts WHERE token LIKE 'gcm1:<id>:%'
//
// It is derived from the key by SHA-256 and reveals nothing useful about it.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("ginoauth gormstore key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:4])
}

func newKeyRing(keys [][]byte) (*keyRing, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	r := &keyRing{}
	seen := map[string]bool{}
	for i, k := range keys {
		switch len(k) {
		case 16, 24, 32:
		default:
			return nil, fmt.Errorf("gormstore: config: Keys[%d] is %d bytes; want 16, 24 or 32 (AES-128, -192, -256)", i, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("gormstore: config: Keys[%d]: %w", i, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("gormstore: config: Keys[%d]: %w", i, err)
		}
		id := KeyID(k)
		if seen[id] {
			return nil, fmt.Errorf("gormstore: config: Keys[%d] is a duplicate", i)
		}
		seen[id] = true
		r.keys = append(r.keys, ringKey{id: id, aead: aead})
	}
	return r, nil
}

// associatedData binds a sealed token to its row and the row's owner (the
// local user and the provider account), so that neither a ciphertext
// copied into another row nor a row re-pointed at another user (by someone
// with write access to the database but not the key) opens.
func associatedData(provider string, a *Account) []byte {
	b := make([]byte, 0, 64+len(provider))
	b = append(b, "ginoauth gormstore v2\x00"...)
	b = append(b, provider...)
	b = append(b, 0)
	b = strconv.AppendInt(b, a.ID, 10)
	for _, v := range []*string{a.UserID, a.ProviderUserID} {
		if v == nil {
			b = append(b, 0, '-')
		} else {
			b = append(b, 0, '=')
			b = append(b, *v...)
		}
	}
	return b
}

// legacyAssociatedData is what "gcm1:" columns were sealed with.
func legacyAssociatedData(provider string, id int64) []byte {
	b := make([]byte, 0, 32+len(provider))
	b = append(b, "ginoauth gormstore\x00"...)
	b = append(b, provider...)
	b = append(b, 0)
	return strconv.AppendInt(b, id, 10)
}

func (r *keyRing) primaryPrefix() string { return sealedPrefix + r.keys[0].id + ":" }

func (r *keyRing) seal(plain []byte, provider string, a *Account) string {
	k := r.keys[0]
	ct := k.aead.Seal(nil, nil, plain, associatedData(provider, a))
	var b strings.Builder
	b.Grow(len(sealedPrefix) + len(k.id) + 1 + base64.RawStdEncoding.EncodedLen(len(ct)))
	b.WriteString(sealedPrefix)
	b.WriteString(k.id)
	b.WriteByte(':')
	b.WriteString(base64.RawStdEncoding.EncodeToString(ct))
	return b.String()
}

func (r *keyRing) open(stored, provider string, a *Account) ([]byte, error) {
	ad := associatedData(provider, a)
	if strings.HasPrefix(stored, legacyPrefix) {
		ad = legacyAssociatedData(provider, a.ID)
	}
	rest := stored[len(sealedPrefix):]
	kid, data, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, errors.New("malformed sealed token")
	}
	if r == nil {
		return nil, errors.New("the token is encrypted but Config.Keys is empty")
	}
	for _, k := range r.keys {
		if k.id != kid {
			continue
		}
		ct, err := base64.RawStdEncoding.DecodeString(data)
		if err != nil {
			return nil, errors.New("malformed sealed token")
		}
		plain, err := k.aead.Open(nil, nil, ct, ad)
		if err != nil {
			return nil, fmt.Errorf("sealed token does not open with key %s (wrong key, or the row was altered, copied or given to another user)", kid)
		}
		return plain, nil
	}
	return nil, fmt.Errorf("the token is sealed with key %s, which is not in Config.Keys (was it removed too early?)", kid)
}

// encode turns t into the token column's value for row a of provider.
func (s *Store) encode(t *ginoauth.Token, provider string, a *Account) (string, error) {
	data, err := t.MarshalJSON() // json.Marshal would scan the result again
	if err != nil {
		return "", fmt.Errorf("gormstore: encode token: %w", err)
	}
	if s.keys == nil {
		return string(data), nil
	}
	return s.keys.seal(data, provider, a), nil
}

// decode reads the token column of row a of provider. With Keys, a column
// that is plain JSON or sealed by an earlier version (not bound to its
// owner) is refused, unless Config.AllowUnsealed says encryption is being
// turned on or upgraded (Reencrypt then seals those rows).
func (s *Store) decode(stored, provider string, a *Account) (*ginoauth.Token, error) {
	data := []byte(stored)
	sealed := strings.HasPrefix(stored, sealedPrefix)
	legacy := strings.HasPrefix(stored, legacyPrefix)
	switch {
	case s.keys != nil && !sealed && !s.cfg.AllowUnsealed:
		return nil, fmt.Errorf("gormstore: account %d: %w", a.ID, ErrUnsealed)
	case sealed || legacy:
		plain, err := s.keys.open(stored, provider, a)
		if err != nil {
			return nil, fmt.Errorf("gormstore: account %d: %w", a.ID, err)
		}
		data = plain
	}
	t := new(ginoauth.Token)
	if err := t.UnmarshalJSON(data); err != nil { // one pass over data
		return nil, fmt.Errorf("gormstore: account %d: %w", a.ID, err)
	}
	if t.AccessToken == "" { // the column held JSON null
		return nil, fmt.Errorf("gormstore: account %d: decode token: no access token", a.ID)
	}
	return t, nil
}

// ErrUnsealed means a store with Config.Keys found a token that is not
// sealed and bound to its owner: plain JSON (written before encryption was
// turned on, or by someone with access to the database but not the keys)
// or sealed by an earlier version. Set Config.AllowUnsealed while turning
// encryption on, run Reencrypt, then remove it.
var ErrUnsealed = errors.New("gormstore: the token is not sealed (run Reencrypt with Config.AllowUnsealed set)")

// Reencrypt seals every stored token that is not sealed with the first key
// of Config.Keys with that key: plain JSON rows written before encryption
// was turned on, and rows sealed with older keys. Rotate a key in three
// steps: put the new key first in Keys (keeping the old ones after it) and
// deploy, run Reencrypt, then remove the old keys.
//
// It works in batches, one short write per row, and never overwrites a token
// that changed while it ran (the row's version is compared). It returns how
// many rows it re-sealed. Running it again is harmless.
func (s *Store) Reencrypt(ctx context.Context) (int, error) {
	if s.keys == nil {
		return 0, errors.New("gormstore: Reencrypt: Config.Keys is empty")
	}
	const batch = 200
	var lastID int64
	n := 0
	for {
		var rows []Account
		err := s.db.WithContext(ctx).Table(s.table).
			Select("id", "provider", "user_id", "provider_user_id", "token", "version").
			Where("id > ? AND token <> '' AND token NOT LIKE ?", lastID, s.keys.primaryPrefix()+"%").
			Order("id").Limit(batch).Find(&rows).Error
		if err != nil {
			return n, fmt.Errorf("gormstore: Reencrypt: %w", err)
		}
		for _, row := range rows {
			lastID = row.ID
			t, err := s.decode(row.Token, row.Provider, &row)
			if err != nil {
				return n, fmt.Errorf("gormstore: Reencrypt: %w", err)
			}
			enc, err := s.encode(t, row.Provider, &row)
			if err != nil {
				return n, err
			}
			res := s.db.WithContext(ctx).Table(s.table).
				Where("id = ? AND version = ?", row.ID, row.Version).
				Updates(map[string]any{"token": enc, "version": gorm.Expr("version + 1")})
			if res.Error != nil {
				return n, fmt.Errorf("gormstore: Reencrypt: account %d: %w", row.ID, res.Error)
			}
			// A row written meanwhile was sealed by its writer.
			n += int(res.RowsAffected)
		}
		if len(rows) < batch {
			return n, nil
		}
	}
}
