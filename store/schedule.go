package store

import (
	"context"
	"database/sql"
	"time"

	"acuerdo"
)

// QuietConversation is a conversation waiting on the debtor.
type QuietConversation struct {
	ID       int64
	DebtorID int64 // 0 for a number outside the portfolio
	Locale   string
	Nudges   int
	LastAt   time.Time // the last message's time
}

// QuietConversations returns conversations in the middle of a flow whose last
// message was the bot's, sent before quietSince, still inside the 24-hour window
// and not nudged twice yet.
//
// It returns at most limit of them, those with ids above afterID in id order:
// the scheduler reads them a page at a time, so that 100,000 active
// conversations do not become one slice of them every second.
func (db *DB) QuietConversations(ctx context.Context, quietSince, windowSince time.Time, afterID int64, limit int) ([]QuietConversation, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT c.id, COALESCE(c.debtor_id, 0), c.locale, c.nudges, (SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id) FROM conversations c
		WHERE c.state <> '' AND c.paused = FALSE AND c.opted_out = FALSE AND c.nudges < 2
		  AND c.last_inbound_at >= ?
		  AND (SELECT m.direction FROM messages m WHERE m.conversation_id = c.id AND m.direction <> ? ORDER BY m.id DESC LIMIT 1) = ?
		  AND (SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id) < ?
		  AND c.id > ? ORDER BY c.id LIMIT ?`,
		windowSince.UTC(), acuerdo.Internal, acuerdo.Outbound, quietSince.UTC(), afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]QuietConversation, 0, min(limit, 1024))
	locales := interner{} // a handful of values over up to 100,000 rows a second
	for rows.Next() {
		var q QuietConversation
		var last scanTime
		var locale sql.RawBytes
		if err := rows.Scan(&q.ID, &q.DebtorID, &locale, &q.Nudges, &last); err != nil {
			return nil, err
		}
		q.Locale, q.LastAt = locales.get(locale), last.Time
		out = append(out, q)
	}
	return out, rows.Err()
}

// Nudge queues an inactivity message and counts it; the second one also ends the
// flow, so the next message from the debtor starts afresh.
func (db *DB) Nudge(ctx context.Context, conversationID int64, body string, closing bool) error {
	// One transaction: a nudge queued but not counted would be sent again by
	// the next round.
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := enqueueTo(ctx, tx, conversationID, []Outgoing{{Body: body, Author: acuerdo.AuthorBot}}, db.now()); err != nil {
			return err
		}
		q := `UPDATE conversations SET nudges = nudges + 1 WHERE id = ?`
		if closing {
			q = `UPDATE conversations SET nudges = nudges + 1, state = '' WHERE id = ?`
		}
		_, err := tx.ExecContext(ctx, q, conversationID)
		return err
	})
}

// ResetNudges is called when the debtor writes.
func (db *DB) ResetNudges(ctx context.Context, conversationID int64) error {
	_, err := db.write.ExecContext(ctx, `UPDATE conversations SET nudges = 0 WHERE id = ? AND nudges <> 0`, conversationID)
	return err
}

// PromiseDue is a pending promise with who made it and where to remind them.
type PromiseDue struct {
	Promise        acuerdo.Promise
	ConversationID int64
	Reminded       bool
}

// PendingPromises returns pending promises due on or before until, with their
// conversation.
func (db *DB) PendingPromises(ctx context.Context, until acuerdo.Date) ([]PromiseDue, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT p.id, p.account_id, p.amount, p.currency, p.due_date, p.created_at, COALESCE(p.conversation_id, 0), p.reminded_at IS NOT NULL
		FROM promises p WHERE p.status = ? AND p.due_date <= ? AND p.conversation_id IS NOT NULL`, acuerdo.PromisePending, until.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PromiseDue
	for rows.Next() {
		var d PromiseDue
		p := &d.Promise
		if err := rows.Scan(&p.ID, &p.AccountID, &p.Amount.Amount, &p.Amount.Currency, &p.DueDate, &p.CreatedAt, &d.ConversationID, &d.Reminded); err != nil {
			return nil, err
		}
		p.Status = acuerdo.PromisePending
		out = append(out, d)
	}
	return out, rows.Err()
}

// RemindPromise queues the reminder of a promise once: the conditional
// update and the message are one transaction, so a crash between them
// neither loses the reminder nor, on a retry, sends it twice.
func (db *DB) RemindPromise(ctx context.Context, p PromiseDue, out Outgoing) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE promises SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL`, now, p.Promise.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return enqueueTo(ctx, tx, p.ConversationID, []Outgoing{out}, now)
	})
}

// BreakPromise marks a promise broken (its date passed unpaid) and queues the
// follow-up, once.
func (db *DB) BreakPromise(ctx context.Context, p PromiseDue, out Outgoing) error {
	now := db.now()
	// Conditional on the promise still pending: a payment that kept it in
	// the meantime (keepPromises, on another replica) wins, and on
	// PostgreSQL this update waits for that one's row lock and then finds
	// nothing to break.
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE promises SET status = ?, resolved_at = ? WHERE id = ? AND status = ?`, acuerdo.PromiseBroken, now, p.Promise.ID, acuerdo.PromisePending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return enqueueTo(ctx, tx, p.ConversationID, []Outgoing{out}, now)
	})
}
