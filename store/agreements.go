package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"acuerdo"
)

// LastNegotiation returns when the account last had a negotiation of kind, or nil.
func (db *DB) LastNegotiation(ctx context.Context, accountID int64, kind string) (*time.Time, error) {
	var t time.Time
	err := db.read.QueryRowContext(ctx, `SELECT created_at FROM negotiations WHERE account_id = ? AND kind = ? ORDER BY created_at DESC LIMIT 1`, accountID, kind).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ChangeDueDate moves the account's next due date and records the negotiation
// with its audit line, atomically. seen is the last date change the caller's
// policy decision saw (LastNegotiation; nil for none): if another was recorded
// since — the bot and an operator, or two replicas, deciding at once — nothing
// changes and the answer is ECONFLICT, so a once-per-period rule cannot be
// passed twice.
func (db *DB) ChangeDueDate(ctx context.Context, accountID, conversationID int64, newDate acuerdo.Date, seen *time.Time, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var old sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT next_due_date FROM accounts WHERE id = ? FOR UPDATE`, accountID).Scan(&old); err != nil {
			return fmt.Errorf("change due date: %w", notFound(err, "no account %d", accountID))
		}
		if err := negotiatedSince(ctx, tx, accountID, acuerdo.NegotiationDateChange, seen); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET next_due_date = ?, updated_at = ? WHERE id = ?`, newDate.String(), now, accountID); err != nil {
			return err
		}
		if err := insertNegotiation(ctx, tx, accountID, conversationID, acuerdo.NegotiationDateChange, old.String, newDate.String(), now); err != nil {
			return err
		}
		// The creditor's system keeps the due date too: it hears of the move.
		if err := insertEvent(ctx, tx, EventDueDateChanged, EventSubject{AccountID: accountID, ConversationID: conversationID},
			map[string]any{"old_due_date": old.String, "new_due_date": newDate.String()}, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// PauseAccount stops business-initiated contact about the account until the
// given date and records the negotiation. seen is the last pause the caller's
// policy decision saw, as for ChangeDueDate: a pause recorded since is an
// ECONFLICT.
func (db *DB) PauseAccount(ctx context.Context, accountID, conversationID int64, until acuerdo.Date, seen *time.Time, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ? FOR UPDATE`, accountID).Scan(&one); err != nil {
			return fmt.Errorf("pause: %w", notFound(err, "no account %d", accountID))
		}
		if err := negotiatedSince(ctx, tx, accountID, acuerdo.NegotiationPause, seen); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET paused_until = ?, updated_at = ? WHERE id = ?`, until.String(), now, accountID); err != nil {
			return fmt.Errorf("pause: %w", err)
		}
		if err := insertNegotiation(ctx, tx, accountID, conversationID, acuerdo.NegotiationPause, "", until.String(), now); err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, EventCollectionPaused, EventSubject{AccountID: accountID, ConversationID: conversationID},
			map[string]any{"paused_until": until.String()}, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// PausedUntil returns the date an account's pause ends, or the zero Date.
func (db *DB) PausedUntil(ctx context.Context, accountID int64) (acuerdo.Date, error) {
	var d acuerdo.Date
	err := db.read.QueryRowContext(ctx, `SELECT paused_until FROM accounts WHERE id = ?`, accountID).Scan(&d)
	return d, notFound(err, "no account %d", accountID)
}

// negotiatedSince is ECONFLICT when the account's last negotiation of kind is
// not seen (nil: none). The caller holds the account's row lock, which every
// writer of negotiations takes first, so the answer stays true until commit.
func negotiatedSince(ctx context.Context, tx *sql.Tx, accountID int64, kind string, seen *time.Time) error {
	var last time.Time
	err := tx.QueryRowContext(ctx, `SELECT created_at FROM negotiations WHERE account_id = ? AND kind = ? ORDER BY created_at DESC LIMIT 1`, accountID, kind).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil // none at all, so none newer than seen
	case err != nil:
		return err
	case seen != nil && last.Equal(*seen):
		return nil
	}
	return acuerdo.Errorf(acuerdo.ECONFLICT, "the account %d had another %s at %s, after this one was decided: decide again", accountID, kind, last.UTC().Format(time.RFC3339))
}

// lockDebtor takes the debtor's row lock (on PostgreSQL) for a transaction
// that decides on the debtor's consent: a consent granted through the API on
// one replica and an opt-out written on another then run one after the
// other, and the grant sees the opt-out (and is refused) instead of both
// committing. 0 (a number outside the portfolio) locks nothing.
func lockDebtor(ctx context.Context, tx *sql.Tx, debtorID int64) error {
	if debtorID == 0 {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM debtors WHERE id = ? FOR UPDATE`, debtorID).Scan(&one)
	return notFound(err, "no debtor %d", debtorID)
}

func insertNegotiation(ctx context.Context, tx *sql.Tx, accountID, conversationID int64, kind, old, new string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO negotiations (account_id, conversation_id, kind, old_value, new_value, created_at) VALUES (?,?,?,?,?,?)`,
		accountID, nullID(conversationID), kind, old, new, now)
	if err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreatePromise records a promise to pay.
func (db *DB) CreatePromise(ctx context.Context, p acuerdo.Promise, audit ...acuerdo.AuditEntry) (acuerdo.Promise, error) {
	now := db.now()
	p.Status, p.CreatedAt = acuerdo.PromisePending, now
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO promises (account_id, conversation_id, amount, currency, due_date, status, created_at)
			VALUES (?,?,?,?,?,?,?) RETURNING id`, p.AccountID, nullID(p.ConversationID), p.Amount.Amount, p.Amount.Currency, p.DueDate.String(), p.Status, now).Scan(&p.ID)
		if err != nil {
			return fmt.Errorf("create promise: %w", err)
		}
		if err := insertEvent(ctx, tx, EventPromiseCreated, EventSubject{AccountID: p.AccountID, ConversationID: p.ConversationID},
			map[string]any{"promise_id": p.ID, "amount": p.Amount.Decimal(), "currency": p.Amount.Currency, "due_date": p.DueDate.String()}, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
	return p, err
}

// Promises returns the account's promises, newest first.
func (db *DB) Promises(ctx context.Context, accountID int64) ([]acuerdo.Promise, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, account_id, COALESCE(conversation_id, 0), amount, currency, due_date, status, created_at, resolved_at
		FROM promises WHERE account_id = ? ORDER BY id DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []acuerdo.Promise
	for rows.Next() {
		var p acuerdo.Promise
		if err := rows.Scan(&p.ID, &p.AccountID, &p.ConversationID, &p.Amount.Amount, &p.Amount.Currency, &p.DueDate, &p.Status, &p.CreatedAt, &p.ResolvedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// OfferPlan stores a plan as offered, with its schedule, and returns its id.
func (db *DB) OfferPlan(ctx context.Context, p acuerdo.Plan, audit ...acuerdo.AuditEntry) (acuerdo.Plan, error) {
	now := db.now()
	p.Status, p.CreatedAt = acuerdo.PlanOffered, now
	sched, err := json.Marshal(p.Installments)
	if err != nil {
		return p, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO plans (account_id, conversation_id, installments, total, currency, status, created_at, schedule)
			VALUES (?,?,?,?,?,?,?,?) RETURNING id`, p.AccountID, nullID(p.ConversationID), len(p.Installments), p.Total.Amount, p.Total.Currency, p.Status, now, string(sched)).Scan(&p.ID)
		if err != nil {
			return fmt.Errorf("offer plan: %w", err)
		}
		return appendAll(ctx, tx, audit, now)
	})
	return p, err
}

// Plan returns a plan with its schedule, or ENOTFOUND.
func (db *DB) Plan(ctx context.Context, id int64) (acuerdo.Plan, error) {
	var p acuerdo.Plan
	var sched string
	err := db.read.QueryRowContext(ctx, `SELECT id, account_id, COALESCE(conversation_id, 0), total, currency, status, created_at, accepted_at, schedule FROM plans WHERE id = ?`, id).
		Scan(&p.ID, &p.AccountID, &p.ConversationID, &p.Total.Amount, &p.Total.Currency, &p.Status, &p.CreatedAt, &p.AcceptedAt, &sched)
	if errors.Is(err, sql.ErrNoRows) {
		return p, acuerdo.Errorf(acuerdo.ENOTFOUND, "no plan %d", id)
	}
	if err != nil {
		return p, err
	}
	if sched != "" {
		err = json.Unmarshal([]byte(sched), &p.Installments)
	}
	return p, err
}

// AcceptPlan binds an offered plan: it becomes accepted and its installments are
// scheduled. Accepting a plan twice is an ECONFLICT.
func (db *DB) AcceptPlan(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) (acuerdo.Plan, error) {
	p, err := db.Plan(ctx, id)
	if err != nil {
		return p, err
	}
	now := db.now()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE plans SET status = ?, accepted_at = ? WHERE id = ? AND status = ?`, acuerdo.PlanAccepted, now, id, acuerdo.PlanOffered)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "plan %d was already accepted", id)
		}
		for _, in := range p.Installments {
			if _, err := tx.ExecContext(ctx, `INSERT INTO installments (account_id, plan_id, seq, due_date, amount, currency, status) VALUES (?,?,?,?,?,?,?)`,
				p.AccountID, id, in.Seq, in.DueDate.String(), in.Amount.Amount, in.Amount.Currency, acuerdo.InstallmentDue); err != nil {
				return err
			}
		}
		if err := insertEvent(ctx, tx, EventPlanAccepted, EventSubject{AccountID: p.AccountID, ConversationID: p.ConversationID}, planEventData(p), now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
	if err == nil {
		p.Status, p.AcceptedAt = acuerdo.PlanAccepted, &now
	}
	return p, err
}

// OpenCase opens a case for a person. An escalation pauses the bot in its
// conversation (a person takes over); a payment report, or a case still being
// gathered, leaves the bot talking.
func (db *DB) OpenCase(ctx context.Context, c acuerdo.Case, audit ...acuerdo.AuditEntry) (acuerdo.Case, error) {
	now := db.now()
	c.CreatedAt, c.UpdatedAt = now, now
	if c.State == "" {
		c.State = acuerdo.CaseComplete
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// The conversation's row is locked (on PostgreSQL) while the case is
		// opened and the bot paused, and what the case names must exist: a
		// missing row is ENOTFOUND, not a foreign-key failure.
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM conversations WHERE id = ? FOR UPDATE`, c.ConversationID).Scan(&one); err != nil {
			return fmt.Errorf("open case: %w", notFound(err, "no conversation %d", c.ConversationID))
		}
		if c.DebtorID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM debtors WHERE id = ?`, c.DebtorID).Scan(&one); err != nil {
				return fmt.Errorf("open case: %w", notFound(err, "no debtor %d", c.DebtorID))
			}
		}
		if c.AccountID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, c.AccountID).Scan(&one); err != nil {
				return fmt.Errorf("open case: %w", notFound(err, "no account %d", c.AccountID))
			}
		}
		var amount any
		var cur string
		if c.Amount != nil {
			amount, cur = c.Amount.Amount, c.Amount.Currency
		}
		var callbackAt any
		if c.CallbackAt != nil {
			utc := c.CallbackAt.UTC()
			callbackAt = utc
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO cases (conversation_id, debtor_id, account_id, reason, summary, state, priority, amount, currency, payment_method, callback_at, callback_phone, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`, c.ConversationID, nullID(c.DebtorID), nullID(c.AccountID), c.Reason, c.Summary, c.State, c.Priority,
			amount, cur, c.PaymentMethod, callbackAt, c.CallbackPhone, now, now).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("open case: %w", err)
		}
		if err := insertEvent(ctx, tx, EventCaseOpened, EventSubject{DebtorID: c.DebtorID, AccountID: c.AccountID, ConversationID: c.ConversationID},
			map[string]any{"case_id": c.ID, "reason": c.Reason, "state": c.State, "priority": c.Priority}, now); err != nil {
			return err
		}
		if c.Reason == acuerdo.ReasonCallback && c.CallbackAt != nil {
			// The creditor's dialler hears of the slot: the call is theirs to make.
			if err := insertEvent(ctx, tx, EventCallbackRequested, EventSubject{DebtorID: c.DebtorID, ConversationID: c.ConversationID},
				map[string]any{"case_id": c.ID, "callback_at": c.CallbackAt.UTC().Format(time.RFC3339), "local_time": c.CallbackAt.Format(time.RFC3339), "phone": c.CallbackPhone}, now); err != nil {
				return err
			}
		}
		// A call back or a payment report leaves the bot talking: the debtor
		// may still pay or ask while the person's call is pending.
		if c.State != acuerdo.CaseIncomplete && c.Reason != acuerdo.ReasonPaymentReport && c.Reason != acuerdo.ReasonCallback {
			if _, err := tx.ExecContext(ctx, `UPDATE conversations SET paused = TRUE, updated_at = ? WHERE id = ?`, now, c.ConversationID); err != nil {
				return err
			}
		}
		return appendAll(ctx, tx, audit, now)
	})
	return c, err
}

// OpenCases returns the conversation's open cases.
func (db *DB) OpenCases(ctx context.Context, conversationID int64) ([]acuerdo.Case, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, reason, summary, state, created_at FROM cases
		WHERE conversation_id = ? AND state NOT IN (?,?,?,?) ORDER BY id`, conversationID,
		acuerdo.CaseResolved, acuerdo.CaseBilled, acuerdo.CaseCancelled, acuerdo.CaseNoAnswer)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []acuerdo.Case
	for rows.Next() {
		c := acuerdo.Case{ConversationID: conversationID}
		if err := rows.Scan(&c.ID, &c.Reason, &c.Summary, &c.State, &c.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OptOut stops business-initiated contact for the conversation's number: the
// conversation is marked opted out and any consent is revoked, atomically.
func (db *DB) OptOut(ctx context.Context, conversationID, debtorID int64, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockDebtor(ctx, tx, debtorID); err != nil {
			return fmt.Errorf("opt out: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET opted_out = TRUE, updated_at = ? WHERE id = ?`, now, conversationID); err != nil {
			return fmt.Errorf("opt out: %w", err)
		}
		if debtorID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE consents SET revoked_at = ? WHERE debtor_id = ? AND revoked_at IS NULL`, now, debtorID); err != nil {
				return fmt.Errorf("opt out: %w", err)
			}
		}
		if err := insertEvent(ctx, tx, EventOptedOut, EventSubject{DebtorID: debtorID, ConversationID: conversationID}, nil, now); err != nil {
			return err
		}
		if err := markUnreachable(ctx, tx, debtorID, conversationID, acuerdo.UnreachableOptedOut, "", now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// RecordWrongNumber records that a conversation's number is not (or no longer)
// the debtor's: business-initiated contact to it stops (the conversation is
// opted out and the debtor's WhatsApp consent, given for that number, is
// withdrawn), no debt detail is disclosed there, and the creditor hears of it
// through a contact.wrong_number event, so that it can find the debtor's new
// number. It is not the debtor's own opt-out, so no debtor.opted_out event.
func (db *DB) RecordWrongNumber(ctx context.Context, conversationID, debtorID int64, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockDebtor(ctx, tx, debtorID); err != nil {
			return fmt.Errorf("wrong number: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET opted_out = TRUE, verified = FALSE, verified_at = NULL, third_party_at = ?, updated_at = ? WHERE id = ?`,
			now, now, conversationID); err != nil {
			return fmt.Errorf("wrong number: %w", err)
		}
		if debtorID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE consents SET revoked_at = ? WHERE debtor_id = ? AND revoked_at IS NULL`, now, debtorID); err != nil {
				return fmt.Errorf("wrong number: %w", err)
			}
		}
		if err := insertEvent(ctx, tx, EventWrongNumber, EventSubject{DebtorID: debtorID, ConversationID: conversationID}, map[string]any{"reason": "number_not_the_debtors"}, now); err != nil {
			return err
		}
		if err := markUnreachable(ctx, tx, debtorID, conversationID, acuerdo.UnreachableWrongNumber, "", now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// CollectedSince returns the sum of an account's payments after t, in minor units.
func (db *DB) CollectedSince(ctx context.Context, accountID int64, t time.Time) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0) FROM payments WHERE account_id = ? AND paid_at > ?`, accountID, t.UTC()).Scan(&n)
	return n, err
}
