package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"acuerdo"
)

// execer is what both *sql.DB and *sql.Tx offer, so an audit line can be written
// inside the transaction of the change it explains.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

const auditInsert = `INSERT INTO audit (time, conversation_id, kind, name, outcome, rule, args, detail) VALUES (?,?,?,?,?,?,?,?)`

func appendAudit(ctx context.Context, x execer, e acuerdo.AuditEntry, now time.Time) error {
	if e.Time.IsZero() {
		e.Time = now
	}
	var conv any
	if e.ConversationID != 0 {
		conv = e.ConversationID
	}
	_, err := x.ExecContext(ctx, auditInsert, e.Time.UTC(), conv, e.Kind, e.Name, e.Outcome, e.Rule, string(e.Args), e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Kind, e.Name, err)
	}
	return nil
}

// AppendAudit writes audit entries in one transaction.
func (db *DB) AppendAudit(ctx context.Context, entries ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, e := range entries {
			if err := appendAudit(ctx, tx, e, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Phone string // only this phone's conversations; "" for all
	After int64  // entries with a larger id, for paging
	Limit int    // 0 for no limit
}

// Audit returns audit entries in the order they were written.
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]acuerdo.AuditEntry, error) {
	q := `SELECT a.id, a.time, COALESCE(a.conversation_id, 0), COALESCE(c.phone, ''), a.kind, a.name, a.outcome, a.rule, a.args, a.detail
		FROM audit a LEFT JOIN conversations c ON c.id = a.conversation_id WHERE a.id > ?`
	args := []any{f.After}
	if f.Phone != "" {
		q += ` AND c.phone = ?`
		args = append(args, f.Phone)
	}
	q += ` ORDER BY a.id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []acuerdo.AuditEntry
	for rows.Next() {
		var e acuerdo.AuditEntry
		var a string
		if err := rows.Scan(&e.ID, &e.Time, &e.ConversationID, &e.Phone, &e.Kind, &e.Name, &e.Outcome, &e.Rule, &a, &e.Detail); err != nil {
			return nil, err
		}
		if a != "" {
			e.Args = []byte(a)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
