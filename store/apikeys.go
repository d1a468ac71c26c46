package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// API key scopes: read keys may only read; write keys may also change data.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// KeyPrefix starts every API key, so that a key pasted in the wrong place is
// recognisable (and secret scanners can find it).
const KeyPrefix = "acu_"

// APIKey is a key's record; the key itself is never stored.
type APIKey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the key's first characters, to tell keys apart
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Allows reports whether the key's scope covers scope.
func (k APIKey) Allows(scope string) bool {
	return k.Scope == ScopeWrite || scope == ScopeRead && k.Scope == ScopeRead
}

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey makes a key with 160 random bits and returns it with its record.
// The key is returned only here: only its SHA-256 hash is kept, so a stolen
// database yields no usable key. A plain hash (not a slow one) is right for
// random keys: there is no dictionary to try.
func (db *DB) CreateAPIKey(ctx context.Context, name, scope string, audit ...acuerdo.AuditEntry) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", APIKey{}, acuerdo.Errorf(acuerdo.EINVALID, "an API key needs a --name that says who uses it, e.g. core-banking")
	}
	if scope != ScopeRead && scope != ScopeWrite {
		return "", APIKey{}, acuerdo.Errorf(acuerdo.EINVALID, "scope %q: use read or write", scope)
	}
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", APIKey{}, err
	}
	key := KeyPrefix + strings.ToLower(keyEncoding.EncodeToString(raw[:]))
	k := APIKey{Name: name, Prefix: key[:len(KeyPrefix)+8], Scope: scope, CreatedAt: db.now()}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO api_keys (name, prefix, hash, scope, created_at) VALUES (?,?,?,?,?) RETURNING id`,
			k.Name, k.Prefix, hashKey(key), k.Scope, k.CreatedAt).Scan(&k.ID)
		if err != nil {
			return fmt.Errorf("create API key: %w", err)
		}
		return appendAll(ctx, tx, audit, k.CreatedAt)
	})
	if err != nil {
		return "", APIKey{}, err
	}
	return key, k, nil
}

// RevokeAPIKey revokes the key with the numeric id or the prefix given. A key
// already revoked is an ECONFLICT; none matching, ENOTFOUND.
func (db *DB) RevokeAPIKey(ctx context.Context, idOrPrefix string, audit ...acuerdo.AuditEntry) (APIKey, error) {
	var k APIKey
	now := db.now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		q, arg := `SELECT `+keyCols+` FROM api_keys WHERE prefix = ?`, any(idOrPrefix)
		if id, err := strconv.ParseInt(idOrPrefix, 10, 64); err == nil {
			q, arg = `SELECT `+keyCols+` FROM api_keys WHERE id = ?`, id
		}
		var err error
		k, err = scanKey(tx.QueryRowContext(ctx, q, arg))
		if errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no API key %q: run acuerdo apikey list to see ids and prefixes", idOrPrefix)
		} else if err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "API key %d (%s) was already revoked on %s", k.ID, k.Prefix, k.RevokedAt.Format(time.RFC3339))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, now, k.ID); err != nil {
			return err
		}
		k.RevokedAt = &now
		return appendAll(ctx, tx, audit, now)
	})
	return k, err
}

const keyCols = `id, name, prefix, scope, created_at, last_used_at, revoked_at`

func scanKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Scope, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt)
	return k, err
}

// APIKeys lists every key, oldest first.
func (db *DB) APIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// APIKeyByKey returns the record of a presented key, or EUNAUTHORIZED. A revoked
// key is returned too (with RevokedAt set): the caller refuses it with its
// own code, so that a client learns its key was revoked rather than mistyped.
func (db *DB) APIKeyByKey(ctx context.Context, key string) (APIKey, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = ?`, hashKey(key)))
	if errors.Is(err, sql.ErrNoRows) {
		return k, acuerdo.Errorf(acuerdo.EUNAUTHORIZED, "unknown API key")
	}
	return k, err
}

// TouchAPIKey records that a key was used, at most once a minute per key so
// that reads do not all become writes.
func (db *DB) TouchAPIKey(ctx context.Context, id int64) error {
	now := db.now()
	_, err := db.write.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, now, id, now.Add(-time.Minute))
	return err
}
