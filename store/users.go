package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"acuerdo"
)

// Roles of console users: an admin may do everything; an operator works the
// inbox, cases and contacts but manages no users and deletes nothing.
const (
	RoleAdmin    = "admin"
	RoleOperator = "operator"
)

// ValidRole reports whether role is one of the console's roles.
func ValidRole(role string) bool { return role == RoleAdmin || role == RoleOperator }

// User is a person who signs in to the operator console.
type User struct {
	ID           int64
	Email        string
	Name         string
	Phone        string
	Role         string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// Admin reports whether the user has the admin role.
func (u User) Admin() bool { return u.Role == RoleAdmin }

// Label is how the console names the user: the name, else the email.
func (u User) Label() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// NormalizeEmail lower-cases and checks an email address, so that one person
// cannot hold two accounts that differ only in case.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", acuerdo.Errorf(acuerdo.EINVALID, "%q is not an email address: write it like ana@example.com", s)
	}
	return s, nil
}

const userCols = `id, email, name, phone, role, password_hash, disabled, created_at, updated_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Phone, &u.Role, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt)
	return u, err
}

// CreateUser adds a console user; the password must already be hashed. An
// email in use is an ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, u User, audit ...acuerdo.AuditEntry) (User, error) {
	email, err := NormalizeEmail(u.Email)
	if err != nil {
		return u, err
	}
	if !ValidRole(u.Role) {
		return u, acuerdo.Errorf(acuerdo.EINVALID, "role %q is not known: use admin or operator", u.Role)
	}
	if u.PasswordHash == "" {
		return u, acuerdo.Errorf(acuerdo.EINVALID, "a user needs a password")
	}
	now := db.now()
	u.Email, u.CreatedAt, u.UpdatedAt = email, now, now
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		// Two admins adding the same email at once: the second waits and is
		// told it exists, instead of failing on the unique index.
		if err := db.txLock(ctx, tx, "user:"+email); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email = ?`, email).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "a user with email %s already exists", email)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, phone, role, password_hash, disabled, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?) RETURNING id`, u.Email, u.Name, u.Phone, u.Role, u.PasswordHash, u.Disabled, now, now).Scan(&u.ID)
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		return appendAll(ctx, tx, audit, now)
	})
	return u, err
}

// UserByID returns a user, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, acuerdo.Errorf(acuerdo.ENOTFOUND, "no user %d", id)
	}
	return u, err
}

// UserByEmail returns the user with the (normalised) email, or ENOTFOUND.
func (db *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return u, acuerdo.Errorf(acuerdo.ENOTFOUND, "no user %s", email)
	}
	return u, err
}

// Users lists every console user, admins first, then by email.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY role, email`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns how many users exist, to tell a fresh install.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// UserChange is an edit of a user; nil fields stay as they are.
type UserChange struct {
	Name, Phone, Role *string
	Disabled          *bool
	PasswordHash      *string
}

// UpdateUser applies a change. Disabling a user, changing their role or their
// password ends their sessions in the same transaction: whatever they could do
// before must stop now, not when the cookie expires. The last enabled admin
// cannot be disabled or demoted, or nobody could manage users any more.
func (db *DB) UpdateUser(ctx context.Context, id int64, c UserChange, audit ...acuerdo.AuditEntry) (User, error) {
	if c.Role != nil && !ValidRole(*c.Role) {
		return User{}, acuerdo.Errorf(acuerdo.EINVALID, "role %q is not known: use admin or operator", *c.Role)
	}
	now := db.now()
	var u User
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if c.Role != nil || c.Disabled != nil {
			// The last-admin check below locks the other enabled admins. Two
			// admins demoting each other at once would each hold their own
			// row and wait for the other's: a deadlock. Locking the target
			// and every enabled admin first, in id order, queues them instead.
			if _, err := tx.ExecContext(ctx, `SELECT id FROM users WHERE id = ? OR (role = ? AND disabled = FALSE) ORDER BY id FOR UPDATE`, id, RoleAdmin); err != nil {
				return err
			}
		}
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ? FOR UPDATE`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no user %d", id)
		} else if err != nil {
			return err
		}
		endSessions := false
		wasAdmin := u.Role == RoleAdmin && !u.Disabled
		if c.Name != nil {
			u.Name = strings.TrimSpace(*c.Name)
		}
		if c.Phone != nil {
			u.Phone = strings.TrimSpace(*c.Phone)
		}
		if c.Role != nil && *c.Role != u.Role {
			u.Role, endSessions = *c.Role, true
		}
		if c.Disabled != nil && *c.Disabled != u.Disabled {
			u.Disabled, endSessions = *c.Disabled, endSessions || *c.Disabled
		}
		if c.PasswordHash != nil {
			u.PasswordHash, endSessions = *c.PasswordHash, true
		}
		if wasAdmin && (u.Role != RoleAdmin || u.Disabled) {
			var others int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT id FROM users WHERE role = ? AND disabled = FALSE AND id <> ? FOR UPDATE) admins`, RoleAdmin, id).Scan(&others); err != nil {
				return err
			}
			if others == 0 {
				return acuerdo.Errorf(acuerdo.ECONFLICT, "%s is the last enabled admin: make another admin first", u.Email)
			}
		}
		u.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, phone = ?, role = ?, password_hash = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			u.Name, u.Phone, u.Role, u.PasswordHash, u.Disabled, now, id); err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		if endSessions {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return err
			}
		}
		return appendAll(ctx, tx, audit, now)
	})
	return u, err
}

// MinPasswordLength is the shortest password a console user may have.
const MinPasswordLength = 10

// HashPassword checks a new password's length and hashes it with bcrypt at
// cost (bcrypt.DefaultCost when 0).
func HashPassword(pw string, cost int) (string, error) {
	if len(pw) < MinPasswordLength {
		return "", acuerdo.Errorf(acuerdo.EINVALID, "the password must have at least %d characters", MinPasswordLength)
	}
	if len(pw) > 72 {
		return "", acuerdo.Errorf(acuerdo.EINVALID, "the password must have at most 72 bytes (bcrypt's limit)")
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}
