package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"acuerdo"
)

// TransferCase gives a case to a colleague: it goes EN PROCESO with them,
// and the bot stays quiet as with a claim. A closed case is an ECONFLICT; a
// user who does not exist or is disabled, EINVALID.
func (db *DB) TransferCase(ctx context.Context, id, toUserID int64, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		state, _, conv, err := caseState(ctx, tx, id)
		if err != nil {
			return err
		}
		if acuerdo.CaseClosed(state) {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "case %d is closed (%s)", id, state)
		}
		var disabled bool
		// Locked: a user being disabled meanwhile (UpdateUser) is not handed
		// the case after their sessions ended.
		if err := tx.QueryRowContext(ctx, `SELECT disabled FROM users WHERE id = ? FOR UPDATE`, toUserID).Scan(&disabled); err != nil || disabled {
			return acuerdo.Errorf(acuerdo.EINVALID, "user %d cannot take cases (unknown or disabled)", toUserID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = ?, assignee_id = ?, claimed_at = ?, updated_at = ? WHERE id = ?`,
			acuerdo.CaseInProgress, toUserID, now, now, id); err != nil {
			return fmt.Errorf("transfer case %d: %w", id, err)
		}
		// The new holder has not read it yet.
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_reads WHERE case_id = ? AND user_id = ?`, id, toUserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET paused = TRUE, updated_at = ? WHERE id = ?`, now, conv); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// MarkRead records that the user has read the case now.
func (db *DB) MarkRead(ctx context.Context, userID, caseID int64) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO case_reads (user_id, case_id, read_at) VALUES (?,?,?)
		ON CONFLICT (user_id, case_id) DO UPDATE SET read_at = excluded.read_at`, userID, caseID, db.now())
	return constraintError(err)
}

// CaseReads returns when the user last read each case they read.
func (db *DB) CaseReads(ctx context.Context, userID int64) (map[int64]time.Time, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT case_id, read_at FROM case_reads WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("case reads: %w", err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var t time.Time
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, rows.Err()
}

var labelRe = regexp.MustCompile(`^[\p{Ll}\p{Nd}][\p{Ll}\p{Nd}_-]{0,29}$`)

// NormalizeLabel is a label as stored: trimmed, lower case, spaces as
// hyphens; ok is false for one that is empty, too long (30) or has other
// signs than letters, digits, "-" and "_".
func NormalizeLabel(s string) (string, bool) {
	l := strings.Join(strings.Fields(strings.ToLower(strings.TrimSpace(s))), "-")
	return l, labelRe.MatchString(l)
}

// AddLabel puts a label on a case (again is fine).
func (db *DB) AddLabel(ctx context.Context, caseID int64, label string, audit ...acuerdo.AuditEntry) error {
	l, ok := NormalizeLabel(label)
	if !ok {
		return acuerdo.Errorf(acuerdo.EINVALID, "label %q: use up to 30 letters, digits, - or _", label)
	}
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_labels (case_id, label, created_at) VALUES (?,?,?) ON CONFLICT (case_id, label) DO NOTHING`, caseID, l, now); err != nil {
			return fmt.Errorf("label case %d: %w", caseID, err)
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// RemoveLabel takes a label off a case.
func (db *DB) RemoveLabel(ctx context.Context, caseID int64, label string, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM case_labels WHERE case_id = ? AND label = ?`, caseID, label); err != nil {
			return fmt.Errorf("unlabel case %d: %w", caseID, err)
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// Labels returns the labels of every labelled case, by case, sorted; and
// all labels in use, for the inbox's filter.
func (db *DB) Labels(ctx context.Context) (map[int64][]string, []string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT case_id, label FROM case_labels ORDER BY label, case_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("labels: %w", err)
	}
	defer rows.Close()
	by := map[int64][]string{}
	var all []string
	for rows.Next() {
		var id int64
		var l string
		if err := rows.Scan(&id, &l); err != nil {
			return nil, nil, err
		}
		by[id] = append(by[id], l)
		if len(all) == 0 || all[len(all)-1] != l {
			all = append(all, l)
		}
	}
	return by, all, rows.Err()
}

// Canned is a canned response: text an operator inserts by its shortcut.
type Canned struct {
	ID       int64
	Locale   string // es, pt-BR, en
	Shortcut string // without the leading "/"
	Body     string
}

var shortcutRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,29}$`)

// SaveCanned creates a canned response, or replaces the text of the one with
// its language and shortcut.
func (db *DB) SaveCanned(ctx context.Context, c Canned, audit ...acuerdo.AuditEntry) (Canned, error) {
	c.Shortcut = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(c.Shortcut)), "/")
	c.Body = strings.TrimSpace(c.Body)
	switch {
	case c.Locale != "es" && c.Locale != "pt-BR" && c.Locale != "en":
		return c, acuerdo.Errorf(acuerdo.EINVALID, "language %q: use es, pt-BR or en", c.Locale)
	case !shortcutRe.MatchString(c.Shortcut):
		return c, acuerdo.Errorf(acuerdo.EINVALID, "shortcut %q: up to 30 lower-case letters, digits, - or _", c.Shortcut)
	case c.Body == "" || len([]rune(c.Body)) > 1600:
		return c, acuerdo.Errorf(acuerdo.EINVALID, "the text must have 1 to 1600 characters (one WhatsApp message)")
	}
	now := db.now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO canned_responses (locale, shortcut, body, created_at, updated_at) VALUES (?,?,?,?,?)
			ON CONFLICT (locale, shortcut) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at RETURNING id`,
			c.Locale, c.Shortcut, c.Body, now, now).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("save canned response: %w", err)
		}
		return appendAll(ctx, tx, audit, now)
	})
	return c, err
}

// DeleteCanned removes a canned response.
func (db *DB) DeleteCanned(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM canned_responses WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("delete canned response: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no canned response %d", id)
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// CannedResponses lists the canned responses of a language ("" for all),
// by shortcut.
func (db *DB) CannedResponses(ctx context.Context, locale string) ([]Canned, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, locale, shortcut, body FROM canned_responses WHERE ? = '' OR locale = ? ORDER BY locale, shortcut`, locale, locale)
	if err != nil {
		return nil, fmt.Errorf("canned responses: %w", err)
	}
	defer rows.Close()
	var out []Canned
	for rows.Next() {
		var c Canned
		if err := rows.Scan(&c.ID, &c.Locale, &c.Shortcut, &c.Body); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CaseWork is a case an operator took, for the team's reports.
type CaseWork struct {
	CaseID, AssigneeID int64
	Assignee           string
	Reason, State      string
	CreatedAt          time.Time
	ClaimedAt          time.Time
	FirstResponse      *time.Time // the holder's first message to the debtor after taking it
	Useful             *bool
}

// CasesWorked returns the cases taken in [from, to), with the first
// operator message after each was taken.
func (db *DB) CasesWorked(ctx context.Context, from, to time.Time) ([]CaseWork, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT k.id, k.assignee_id, COALESCE(NULLIF(u.name, ''), u.email), k.reason, k.state, k.created_at, k.claimed_at,
		(SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = k.conversation_id AND m.direction = ? AND m.author = ? AND m.created_at >= k.claimed_at),
		k.useful
		FROM cases k JOIN users u ON u.id = k.assignee_id
		WHERE k.claimed_at >= ? AND k.claimed_at < ? ORDER BY k.claimed_at, k.id`,
		acuerdo.Outbound, acuerdo.AuthorOperator, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cases worked: %w", err)
	}
	defer rows.Close()
	var out []CaseWork
	for rows.Next() {
		var w CaseWork
		var first scanTime
		var useful sql.NullBool
		if err := rows.Scan(&w.CaseID, &w.AssigneeID, &w.Assignee, &w.Reason, &w.State, &w.CreatedAt, &w.ClaimedAt, &first, &useful); err != nil {
			return nil, err
		}
		if first.Valid {
			t := first.Time
			w.FirstResponse = &t
		}
		if useful.Valid {
			b := useful.Bool
			w.Useful = &b
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// CaseLabels returns one case's labels, sorted.
func (db *DB) CaseLabels(ctx context.Context, caseID int64) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT label FROM case_labels WHERE case_id = ? ORDER BY label`, caseID)
	if err != nil {
		return nil, fmt.Errorf("case labels: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
