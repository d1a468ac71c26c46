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

// LoginLimit is one limit on sign-in attempts: at most Max attempts for Key
// in a window of Window.
type LoginLimit struct {
	Key    string // "email:a@b.co" or "addr:203.0.113.7"
	Max    int
	Window time.Duration
}

// ReserveLoginAttempt counts one sign-in attempt against every limit, before
// the password is checked, and reports whether all of them still had room.
// Each limit is one upsert that refuses (returns no row) once its window's
// count is reached; the upsert's row lock makes parallel reservations queue
// on SQLite and PostgreSQL alike, so N parallel guesses get at most Max
// checks. When refused, nothing is counted and retryAt says when the
// fullest window ends.
func (db *DB) ReserveLoginAttempt(ctx context.Context, limits ...LoginLimit) (ok bool, retryAt time.Time, err error) {
	now := db.now()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		for _, l := range limits {
			since := now.Add(-l.Window)
			var n int
			err := tx.QueryRowContext(ctx, `INSERT INTO login_attempts (key, window_start, n) VALUES (?, ?, 1)
				ON CONFLICT (key) DO UPDATE SET
					n = CASE WHEN login_attempts.window_start <= ? THEN 1 ELSE login_attempts.n + 1 END,
					window_start = CASE WHEN login_attempts.window_start <= ? THEN excluded.window_start ELSE login_attempts.window_start END
				WHERE login_attempts.window_start <= ? OR login_attempts.n < ?
				RETURNING n`, l.Key, now, since, since, since, l.Max).Scan(&n)
			if errors.Is(err, sql.ErrNoRows) {
				var start scanTime
				if err := tx.QueryRowContext(ctx, `SELECT window_start FROM login_attempts WHERE key = ?`, l.Key).Scan(&start); err != nil {
					return fmt.Errorf("reserve login attempt: %w", err)
				}
				retryAt = start.Time.Add(l.Window)
				return errLimited
			} else if err != nil {
				return fmt.Errorf("reserve login attempt: %w", err)
			}
		}
		return nil
	})
	if errors.Is(err, errLimited) {
		return false, retryAt, nil
	}
	return err == nil, time.Time{}, err
}

// errLimited rolls back a reservation one of whose limits was full.
var errLimited = errors.New("login attempts limited")

// ReleaseLoginAttempt gives back an attempt that was reserved and not
// checked (the server was too busy to hash it), or, after a successful
// sign-in, forgets the attempts of the keys given (the account's failures
// end there; the address keeps the others').
func (db *DB) ReleaseLoginAttempt(ctx context.Context, reset []string, giveBack ...string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, k := range reset {
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE key = ?`, k); err != nil {
				return fmt.Errorf("release login attempt: %w", err)
			}
		}
		for _, k := range giveBack {
			if _, err := tx.ExecContext(ctx, `UPDATE login_attempts SET n = n - 1 WHERE key = ? AND n > 0`, k); err != nil {
				return fmt.Errorf("release login attempt: %w", err)
			}
		}
		// Windows are minutes long: rows idle for a day are dead weight.
		_, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE window_start < ?`, db.now().Add(-24*time.Hour))
		return err
	})
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
