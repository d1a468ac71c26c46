package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"acuerdo"
)

// Session is a signed-in console user's server-side session. The cookie holds
// a random token; the database holds only its hash (TokenHash).
type Session struct {
	TokenHash  string
	UserID     int64
	CSRF       string // the token every form of this session must post back
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
}

// StartSession records a new session for the user and ends every other one,
// atomically: one person, one device at a time, as the collections team's
// panel has always worked. Login time is written along with it.
func (db *DB) StartSession(ctx context.Context, s Session, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		// The user's other session is marked, not deleted, so its device is
		// told why it was signed out; markers older than a working day go.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND replaced_at IS NOT NULL AND replaced_at < ?`, s.UserID, now.Add(-24*time.Hour)); err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET replaced_at = ? WHERE user_id = ? AND replaced_at IS NULL`, now, s.UserID); err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen_at, expires_at) VALUES (?,?,?,?,?,?)`,
			s.TokenHash, s.UserID, s.CSRF, now, now, s.ExpiresAt.UTC()); err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, now, s.UserID); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// SessionUser returns the session with the token hash and its user, if the
// session is still valid: not past its absolute end, used within idle, and its
// user enabled. Anything else is EUNAUTHORIZED, and an expired row is removed.
func (db *DB) SessionUser(ctx context.Context, tokenHash string, idle time.Duration) (Session, User, error) {
	now := db.now()
	var s Session
	row := db.read.QueryRowContext(ctx, `SELECT s.token_hash, s.user_id, s.csrf, s.created_at, s.last_seen_at, s.expires_at, s.replaced_at IS NOT NULL, `+prefixed("u.", userCols)+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash)
	var u User
	var replaced bool
	err := row.Scan(&s.TokenHash, &s.UserID, &s.CSRF, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &replaced,
		&u.ID, &u.Email, &u.Name, &u.Phone, &u.Role, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt)
	if errors.Is(err, sql.ErrNoRows) {
		return s, u, acuerdo.Errorf(acuerdo.EUNAUTHORIZED, "not signed in")
	} else if err != nil {
		return s, u, err
	}
	if replaced {
		// Told once: the marker goes with this answer.
		if err := db.EndSession(ctx, tokenHash); err != nil {
			return s, u, err
		}
		return s, u, ErrSessionReplaced
	}
	if u.Disabled || !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) > idle {
		if err := db.EndSession(ctx, tokenHash); err != nil {
			return s, u, err
		}
		return s, u, acuerdo.Errorf(acuerdo.EUNAUTHORIZED, "the session has ended")
	}
	return s, u, nil
}

// ErrSessionReplaced is SessionUser's answer for a session its user ended by
// signing in on another device.
var ErrSessionReplaced = acuerdo.Errorf(acuerdo.EUNAUTHORIZED, "signed in on another device")

// TouchSession records activity, which keeps the session from idling out.
// Callers touch at most every minute or so: it is a write.
func (db *DB) TouchSession(ctx context.Context, tokenHash string) error {
	_, err := db.write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, db.now(), tokenHash)
	return err
}

// EndSession removes a session (logout, expiry). Ending one that is gone is fine.
func (db *DB) EndSession(ctx context.Context, tokenHash string, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// RecordLoginFailure counts a failed sign-in for the email and the address.
// Rows older than a day are pruned on the way: the window is minutes long.
func (db *DB) RecordLoginFailure(ctx context.Context, email, ip string) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (email, ip, created_at) VALUES (?,?,?)`, email, ip, now); err != nil {
			return fmt.Errorf("record login failure: %w", err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE created_at < ?`, now.Add(-24*time.Hour))
		return err
	})
}

// LoginFailures counts failed sign-ins since the given time for the email and
// for the address, and returns the oldest of them, from which the caller can
// tell when the window frees up.
func (db *DB) LoginFailures(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, oldestEmail, oldestIP time.Time, err error) {
	// MIN over a TIMESTAMP column comes back as SQLite's stored integer (the
	// driver converts only declared columns), a time on PostgreSQL.
	var oe, oi scanTime
	err = db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM login_failures WHERE email = ? AND created_at >= ?),
		(SELECT MIN(created_at) FROM login_failures WHERE email = ? AND created_at >= ?),
		(SELECT COUNT(*) FROM login_failures WHERE ip = ? AND created_at >= ?),
		(SELECT MIN(created_at) FROM login_failures WHERE ip = ? AND created_at >= ?)`,
		email, since.UTC(), email, since.UTC(), ip, since.UTC(), ip, since.UTC()).Scan(&byEmail, &oe, &byIP, &oi)
	if oe.Valid {
		oldestEmail = oe.Time
	}
	if oi.Valid {
		oldestIP = oi.Time
	}
	return
}

// ClearLoginFailures forgets an email's failures after it signs in.
func (db *DB) ClearLoginFailures(ctx context.Context, email string) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM login_failures WHERE email = ?`, email)
	return err
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
