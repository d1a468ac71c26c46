package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"acuerdo"
)

// EventContactUnreachable tells the creditor a debtor's phone cannot be
// contacted and why, so that it fixes its records.
const EventContactUnreachable = "contact.unreachable"

// markUnreachable records, inside tx, that the debtor's phone cannot be
// reached: why (an acuerdo.Unreachable… reason) and the detail (a provider
// error code). The first reason stays: a number already known invalid that is
// later also opted out keeps the reason the creditor must fix first. The
// creditor hears of it once, by contact.unreachable. Business-initiated
// contact stops through policy (policy.Contact.Unreachable).
func markUnreachable(ctx context.Context, tx *sql.Tx, debtorID, conversationID int64, reason, detail string, now time.Time) error {
	if debtorID == 0 {
		return nil // a number outside the portfolio: nothing to fix in the creditor's records
	}
	res, err := tx.ExecContext(ctx, `UPDATE debtors SET unreachable_reason = ?, unreachable_detail = ?, unreachable_at = ?, updated_at = ?
		WHERE id = ? AND unreachable_reason = ''`, reason, detail, now, now, debtorID)
	if err != nil {
		return fmt.Errorf("mark unreachable: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	data := map[string]any{"reachable": false, "reason": reason}
	if detail != "" {
		data["detail"] = detail
	}
	return insertEvent(ctx, tx, EventContactUnreachable, EventSubject{DebtorID: debtorID, ConversationID: conversationID}, data, now)
}

// MarkUnreachable records that the phone of the conversation's debtor cannot
// be reached (see markUnreachable), with the audit line of the decision.
func (db *DB) MarkUnreachable(ctx context.Context, conversationID int64, reason, detail string, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var debtorID int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(debtor_id, 0) FROM conversations WHERE id = ?`, conversationID).Scan(&debtorID); errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no conversation %d", conversationID)
		} else if err != nil {
			return err
		}
		if err := markUnreachable(ctx, tx, debtorID, conversationID, reason, detail, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// MessageConversation returns the conversation of the message the provider
// knows by id, for a status callback that reports the recipient unreachable.
func (db *DB) MessageConversation(ctx context.Context, providerID string) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT conversation_id FROM messages WHERE provider_id = ?`, providerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, acuerdo.Errorf(acuerdo.ENOTFOUND, "no message %s", providerID)
	}
	return id, err
}

// HygieneRow is one unreachable debtor, as the creditor's fix-list shows it.
type HygieneRow struct {
	DebtorID int64
	Phone    string
	Name     string
	Accounts []string // the creditor's account references
	Reason   string
	Detail   string
	Since    time.Time
}

// Unreachable lists the debtors whose phone cannot be reached, oldest first.
func (db *DB) Unreachable(ctx context.Context) ([]HygieneRow, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT d.id, d.phone, d.name, d.unreachable_reason, d.unreachable_detail, d.unreachable_at, COALESCE(a.ref, '')
		FROM debtors d LEFT JOIN accounts a ON a.debtor_id = d.id
		WHERE d.unreachable_reason <> '' ORDER BY d.unreachable_at, d.id, a.id`)
	if err != nil {
		return nil, fmt.Errorf("unreachable debtors: %w", err)
	}
	defer rows.Close()
	var out []HygieneRow
	for rows.Next() {
		var r HygieneRow
		var since scanTime
		var ref string
		if err := rows.Scan(&r.DebtorID, &r.Phone, &r.Name, &r.Reason, &r.Detail, &since, &ref); err != nil {
			return nil, err
		}
		r.Since = since.Time
		if n := len(out); n > 0 && out[n-1].DebtorID == r.DebtorID {
			out[n-1].Accounts = append(out[n-1].Accounts, ref)
			continue
		}
		if ref != "" {
			r.Accounts = []string{ref}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
