package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// CaseView is a case as the operator console shows it: the case, who it is
// about, who has it and the state of its conversation.
type CaseView struct {
	acuerdo.Case
	ClaimedAt     *time.Time
	Outcome       string // the operator's closing note, or a rejection's reason
	Phone         string
	Channel       string
	Name          string // the debtor's name; "" outside the portfolio
	AccountRef    string // the case's account, else the debtor's first
	AssigneeName  string
	Paused        bool // the bot is quiet in the conversation
	LastInboundAt *time.Time
	TimeZone      string // the debtor's, for showing a call-back slot in their local time
}

// OpenStates are the states of a case someone still has to act on.
var OpenStates = []string{acuerdo.CaseIncomplete, acuerdo.CaseComplete, acuerdo.CaseInProgress, acuerdo.CaseExpired}

// ClosedStates are the states an operator closes a case with.
var ClosedStates = []string{acuerdo.CaseResolved, acuerdo.CaseBilled, acuerdo.CaseCancelled, acuerdo.CaseNoAnswer}

// AllStates lists every case state in the order of the life cycle.
var AllStates = append(append([]string{}, OpenStates...), ClosedStates...)

// CaseFilter selects cases for the inbox.
type CaseFilter struct {
	States []string // empty means the open states
	Reason string   // "" for any
	// Query matches a phone number (any part of it), an account reference, the
	// debtor's name or, when it is a number, the case id.
	Query    string
	Assignee int64  // only this user's cases; 0 for anyone's
	Label    string // only cases with this label; "" for any
	Limit    int    // 0 means 200
	Offset   int
}

const caseViewSelect = `SELECT k.id, k.conversation_id, COALESCE(k.debtor_id, 0), COALESCE(k.account_id, 0), k.reason, k.summary, k.state, k.priority,
	COALESCE(k.assignee_id, 0), k.amount, k.currency, k.payment_method, k.comments, k.useful, k.created_at, k.updated_at, k.closed_at,
	k.claimed_at, k.outcome, k.callback_at, k.callback_phone, c.phone, c.channel, COALESCE(d.name, ''),
	COALESCE(a.ref, (SELECT x.ref FROM accounts x WHERE x.debtor_id = k.debtor_id ORDER BY x.id LIMIT 1), ''), COALESCE(NULLIF(u.name, ''), u.email, ''), c.paused, c.last_inbound_at, COALESCE(d.time_zone, '')
	FROM cases k
	JOIN conversations c ON c.id = k.conversation_id
	LEFT JOIN debtors d ON d.id = k.debtor_id
	LEFT JOIN accounts a ON a.id = k.account_id
	LEFT JOIN users u ON u.id = k.assignee_id`

func scanCaseView(row interface{ Scan(...any) error }) (CaseView, error) {
	var v CaseView
	var amount sql.NullInt64
	var cur string
	var useful sql.NullBool
	err := row.Scan(&v.ID, &v.ConversationID, &v.DebtorID, &v.AccountID, &v.Reason, &v.Summary, &v.State, &v.Priority,
		&v.AssigneeID, &amount, &cur, &v.PaymentMethod, &v.Comments, &useful, &v.CreatedAt, &v.UpdatedAt, &v.ClosedAt,
		&v.ClaimedAt, &v.Outcome, &v.CallbackAt, &v.CallbackPhone, &v.Phone, &v.Channel, &v.Name, &v.AccountRef, &v.AssigneeName, &v.Paused, &v.LastInboundAt, &v.TimeZone)
	if amount.Valid {
		v.Amount = &acuerdo.Money{Amount: amount.Int64, Currency: cur}
	}
	if useful.Valid {
		b := useful.Bool
		v.Useful = &b
	}
	return v, err
}

// Cases returns the cases the filter selects, most urgent first: higher
// priority, then the one closest to its SLA: the oldest, or for a call back
// the earliest slot.
func (db *DB) Cases(ctx context.Context, f CaseFilter) ([]CaseView, error) {
	states := f.States
	if len(states) == 0 {
		states = OpenStates
	}
	q := caseViewSelect + ` WHERE k.state IN (?` + strings.Repeat(",?", len(states)-1) + `)`
	var args []any
	for _, s := range states {
		args = append(args, s)
	}
	if f.Reason != "" {
		q += ` AND k.reason = ?`
		args = append(args, f.Reason)
	}
	if f.Assignee != 0 {
		q += ` AND k.assignee_id = ?`
		args = append(args, f.Assignee)
	}
	if f.Label != "" {
		q += ` AND EXISTS (SELECT 1 FROM case_labels l WHERE l.case_id = k.id AND l.label = ?)`
		args = append(args, f.Label)
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		like, folded := "%"+escapeLike(s)+"%", db.containsFoldedArg(s)
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		// Names and references are compared folded (db.containsFolded):
		// case and accents ignored alike on both backends.
		cond := `c.phone LIKE ? ESCAPE '\' OR ` + db.containsFolded("d.name") + ` OR ` + db.containsFolded("a.ref") + `
			OR EXISTS (SELECT 1 FROM accounts x WHERE x.debtor_id = k.debtor_id AND ` + db.containsFolded("x.ref") + `)`
		args = append(args, like, folded, folded, folded)
		if digits != "" && len(digits) >= 4 {
			cond += ` OR c.phone LIKE ?`
			args = append(args, "%"+digits+"%")
		}
		if id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64); err == nil {
			cond += ` OR k.id = ?`
			args = append(args, id)
		}
		q += ` AND (` + cond + `)`
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	q += ` ORDER BY CASE WHEN k.state IN (?,?,?,?) THEN 1 ELSE 0 END, k.priority DESC, COALESCE(k.callback_at, k.created_at), k.id LIMIT ? OFFSET ?`
	args = append(args, acuerdo.CaseResolved, acuerdo.CaseBilled, acuerdo.CaseCancelled, acuerdo.CaseNoAnswer, limit, max(f.Offset, 0))
	return db.queryCaseViews(ctx, q, args...)
}

// queryCaseViews runs a caseViewSelect query and scans its rows.
func (db *DB) queryCaseViews(ctx context.Context, query string, args ...any) ([]CaseView, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	defer rows.Close()
	var out []CaseView
	for rows.Next() {
		v, err := scanCaseView(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// escapeLike makes the user's text match literally inside a LIKE pattern.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// CaseByID returns one case, or ENOTFOUND.
func (db *DB) CaseByID(ctx context.Context, id int64) (CaseView, error) {
	v, err := scanCaseView(db.read.QueryRowContext(ctx, caseViewSelect+` WHERE k.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return v, acuerdo.Errorf(acuerdo.ENOTFOUND, "no case %d", id)
	}
	return v, err
}

// caseState reads a case's state and assignee inside a transaction.
func caseState(ctx context.Context, tx *sql.Tx, id int64) (state string, assignee, conv int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT state, COALESCE(assignee_id, 0), conversation_id FROM cases WHERE id = ? FOR UPDATE`, id).Scan(&state, &assignee, &conv)
	if errors.Is(err, sql.ErrNoRows) {
		err = acuerdo.Errorf(acuerdo.ENOTFOUND, "no case %d", id)
	}
	return
}

// ClaimCase gives an open case to a user: it goes EN PROCESO and the bot stays
// quiet in its conversation until the user hands it back or closes the case.
// A case another user holds is an ECONFLICT unless takeOver is set (an admin
// reassigning work); claiming one's own case again pauses the bot again.
func (db *DB) ClaimCase(ctx context.Context, id, userID int64, takeOver bool, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		state, assignee, conv, err := caseState(ctx, tx, id)
		if err != nil {
			return err
		}
		if acuerdo.CaseClosed(state) {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "case %d is closed (%s)", id, state)
		}
		if state == acuerdo.CaseInProgress && assignee != 0 && assignee != userID && !takeOver {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "case %d is already being handled by someone else", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = ?, assignee_id = ?, claimed_at = CASE WHEN assignee_id = ? THEN COALESCE(claimed_at, ?) ELSE ? END, updated_at = ? WHERE id = ?`,
			acuerdo.CaseInProgress, userID, userID, now, now, now, id); err != nil {
			return fmt.Errorf("claim case %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET paused = TRUE, updated_at = ? WHERE id = ?`, now, conv); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// HandBack lets the bot talk again in the case's conversation. The case stays
// with its operator (waiting for a payment, say) until they close it.
func (db *DB) HandBack(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		state, _, conv, err := caseState(ctx, tx, id)
		if err != nil {
			return err
		}
		if acuerdo.CaseClosed(state) {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "case %d is closed (%s)", id, state)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET paused = FALSE, third_party_at = NULL, updated_at = ? WHERE id = ?`, now, conv); err != nil {
			return fmt.Errorf("hand back case %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET updated_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// CloseCase ends a case with one of the closed states, the operator's verdict
// on whether the escalation was useful (nil for none) and a note. When no other
// open case holds the conversation, the bot answers it again.
func (db *DB) CloseCase(ctx context.Context, id int64, state string, useful *bool, outcome string, audit ...acuerdo.AuditEntry) error {
	if !acuerdo.CaseClosed(state) {
		return acuerdo.Errorf(acuerdo.EINVALID, "%q does not close a case: use one of %s", state, strings.Join(ClosedStates, ", "))
	}
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		return closeCase(ctx, tx, id, state, useful, outcome, now, audit)
	})
}

func closeCase(ctx context.Context, tx *sql.Tx, id int64, state string, useful *bool, outcome string, now time.Time, audit []acuerdo.AuditEntry) error {
	cur, _, conv, err := caseState(ctx, tx, id)
	if err != nil {
		return err
	}
	if acuerdo.CaseClosed(cur) {
		return acuerdo.Errorf(acuerdo.ECONFLICT, "case %d is already closed (%s)", id, cur)
	}
	var u any
	if useful != nil {
		u = *useful
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = ?, useful = ?, outcome = ?, closed_at = ?, updated_at = ? WHERE id = ?`,
		state, u, strings.TrimSpace(outcome), now, now, id); err != nil {
		return fmt.Errorf("close case %d: %w", id, err)
	}
	// The creditor's systems hear of it (case.closed) in the same transaction.
	if err := CaseClosedEvent(ctx, tx, id, now); err != nil {
		return err
	}
	// Another escalation of the same conversation still needs the bot quiet.
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET paused = FALSE, updated_at = ? WHERE id = ? AND NOT EXISTS (
		SELECT 1 FROM cases WHERE conversation_id = ? AND id <> ? AND reason NOT IN (?,?) AND state IN (?,?,?))`,
		now, conv, conv, id, acuerdo.ReasonPaymentReport, acuerdo.ReasonCallback, acuerdo.CaseComplete, acuerdo.CaseInProgress, acuerdo.CaseExpired); err != nil {
		return err
	}
	return appendAll(ctx, tx, audit, now)
}

// CaseEdit is what an operator may change on a case's form.
type CaseEdit struct {
	Amount        *acuerdo.Money // nil clears it
	PaymentMethod string
	Comments      string
}

// EditCase saves the case's amount, payment method and comments.
func (db *DB) EditCase(ctx context.Context, id int64, e CaseEdit, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	var amount any
	var cur string
	if e.Amount != nil {
		amount, cur = e.Amount.Amount, e.Amount.Currency
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases SET amount = ?, currency = ?, payment_method = ?, comments = ?, updated_at = ? WHERE id = ?`,
			amount, cur, strings.TrimSpace(e.PaymentMethod), strings.TrimSpace(e.Comments), now, id)
		if err != nil {
			return fmt.Errorf("edit case %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no case %d", id)
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// CaseExpiry is how long a case may wait for a person before it is VENCIDO.
const CaseExpiry = 48 * time.Hour

// ExpireCases marks VENCIDO the cases nobody took that were opened before
// the given time, and returns how many. The bot stays paused in those
// conversations: the debtor still needs a person, now overdue.
func (db *DB) ExpireCases(ctx context.Context, before time.Time) (int, error) {
	now := db.now()
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// A call back's clock starts at its slot, not when it was asked for.
		rows, err := tx.QueryContext(ctx, `SELECT id, conversation_id FROM cases WHERE state IN (?,?) AND COALESCE(callback_at, created_at) < ? FOR UPDATE`,
			acuerdo.CaseIncomplete, acuerdo.CaseComplete, before.UTC())
		if err != nil {
			return err
		}
		type exp struct{ id, conv int64 }
		var xs []exp
		for rows.Next() {
			var x exp
			if err := rows.Scan(&x.id, &x.conv); err != nil {
				rows.Close()
				return err
			}
			xs = append(xs, x)
		}
		rows.Close()
		for _, x := range xs {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = ?, updated_at = ? WHERE id = ?`, acuerdo.CaseExpired, now, x.id); err != nil {
				return err
			}
			if err := appendAudit(ctx, tx, acuerdo.AuditEntry{ConversationID: x.conv, Kind: acuerdo.AuditGuard, Name: "case_expired",
				Outcome: acuerdo.Allowed, Rule: "case_sla_48h", Detail: fmt.Sprintf("case %d", x.id)}, now); err != nil {
				return err
			}
		}
		n = len(xs)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire cases: %w", err)
	}
	return n, nil
}

// ConfirmPayment records the payment a payment report claims, after an
// operator checked the receipt, and closes the report as FACTURADO, in one
// transaction. The payment's id is derived from the case, so confirming twice
// cannot record it twice; promises the payment keeps are marked kept.
func (db *DB) ConfirmPayment(ctx context.Context, caseID, accountID int64, amount acuerdo.Money, paidAt time.Time, method string, audit ...acuerdo.AuditEntry) (acuerdo.Payment, error) {
	now := db.now()
	p := acuerdo.Payment{AccountID: accountID, Amount: amount, PaidAt: paidAt.UTC(), Method: method,
		ExternalID: fmt.Sprintf("case-%d", caseID), Source: "operator", CreatedAt: now}
	if amount.Amount <= 0 {
		return p, acuerdo.Errorf(acuerdo.EINVALID, "the amount must be more than zero")
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var reason string
		var debtor sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT reason, debtor_id FROM cases WHERE id = ? FOR UPDATE`, caseID).Scan(&reason, &debtor); errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no case %d", caseID)
		} else if err != nil {
			return err
		}
		if reason != acuerdo.ReasonPaymentReport {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "case %d is not a payment report", caseID)
		}
		var owner int64
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT debtor_id, currency FROM accounts WHERE id = ?`, accountID).Scan(&owner, &cur); errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.EINVALID, "no account %d: choose one of the debtor's accounts", accountID)
		} else if err != nil {
			return err
		}
		if !debtor.Valid || owner != debtor.Int64 {
			return acuerdo.Errorf(acuerdo.EINVALID, "account %d is not this debtor's: choose one of the debtor's accounts", accountID)
		}
		if cur != amount.Currency {
			return acuerdo.Errorf(acuerdo.EINVALID, "the account is in %s, not %s", cur, amount.Currency)
		}
		// The account and amount first, so the case.closed event reports them.
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET account_id = ?, amount = ?, currency = ? WHERE id = ?`, accountID, amount.Amount, amount.Currency, caseID); err != nil {
			return err
		}
		if err := closeCase(ctx, tx, caseID, acuerdo.CaseBilled, nil, "", now, nil); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO payments (account_id, amount, currency, paid_at, method, external_id, source, created_at)
			VALUES (?,?,?,?,?,?,?,?) RETURNING id`, accountID, amount.Amount, amount.Currency, p.PaidAt, method, p.ExternalID, p.Source, now).Scan(&p.ID)
		if err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		if err := insertEvent(ctx, tx, EventPaymentRegistered, EventSubject{AccountID: accountID}, map[string]any{
			"external_id": p.ExternalID, "amount": amount.Decimal(), "currency": amount.Currency,
			"paid_at": p.PaidAt.Format(time.RFC3339), "method": method, "source": p.Source}, now); err != nil {
			return err
		}
		// The same rules as any other recorded payment: promises it covers are
		// kept, due installments it covers are paid.
		if err := keepPromises(ctx, tx, accountID, now); err != nil {
			return err
		}
		if _, err := payInstallments(ctx, tx, accountID, amount.Amount); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
	return p, err
}

// RejectPayment closes a payment report the receipt does not support as
// CANCELADO, with the reason, and queues the message that tells the debtor
// why, in one transaction.
func (db *DB) RejectPayment(ctx context.Context, caseID int64, reason string, msg Outgoing, audit ...acuerdo.AuditEntry) error {
	if strings.TrimSpace(reason) == "" {
		return acuerdo.Errorf(acuerdo.EINVALID, "say why the payment is rejected: the debtor will read it")
	}
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var r, phone, channel string
		var conv int64
		err := tx.QueryRowContext(ctx, `SELECT k.reason, k.conversation_id, c.phone, c.channel FROM cases k JOIN conversations c ON c.id = k.conversation_id WHERE k.id = ? FOR UPDATE OF k`, caseID).
			Scan(&r, &conv, &phone, &channel)
		if errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no case %d", caseID)
		} else if err != nil {
			return err
		}
		if r != acuerdo.ReasonPaymentReport {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "case %d is not a payment report", caseID)
		}
		if err := closeCase(ctx, tx, caseID, acuerdo.CaseCancelled, nil, reason, now, nil); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, conv, phone, channel, []Outgoing{msg}, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}
