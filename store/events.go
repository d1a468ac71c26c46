package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"acuerdo"
)

// Event types sent to the creditor's webhooks. They are part of the API
// contract (web/openapi.json lists them): never rename one.
const (
	EventPromiseCreated    = "promise.created"
	EventPlanAccepted      = "plan.accepted"
	EventPaymentLinkSent   = "payment_link.sent"
	EventPaymentRegistered = "payment.registered"
	EventCaseOpened        = "case.opened"
	EventCaseClosed        = "case.closed"
	EventOptedOut          = "debtor.opted_out"
	EventWrongNumber       = "contact.wrong_number" // the number is no longer the debtor's
	EventDueDateChanged    = "due_date.changed"
	EventCollectionPaused  = "collection.paused"
	EventCallbackRequested = "callback.requested" // the debtor asked a person to call at a slot
)

// Event delivery states.
const (
	EventPending   = "pending"
	EventDelivered = "delivered"
	EventFailed    = "failed" // gave up after the last attempt; see last_error
)

// EventSubject says whom an event is about. Any of the three may be zero;
// insertEvent fills the debtor from the account or the conversation, so
// callers pass what they have at hand.
type EventSubject struct {
	DebtorID       int64
	AccountID      int64
	ConversationID int64
}

// insertEvent adds an event to the outbox inside tx, the transaction of the
// change it reports, so that the event is sent if and only if the change
// happened. data is the event's own fields; the debtor, the account reference
// and the conversation are added here. Other store files call this with one
// line next to the change they make (store/cases.go for EventCaseClosed).
func insertEvent(ctx context.Context, tx *sql.Tx, typ string, sub EventSubject, data map[string]any, now time.Time) error {
	if data == nil {
		data = map[string]any{}
	}
	if sub.AccountID != 0 {
		var ref string
		var debtor int64
		if err := tx.QueryRowContext(ctx, `SELECT ref, debtor_id FROM accounts WHERE id = ?`, sub.AccountID).Scan(&ref, &debtor); err != nil {
			return fmt.Errorf("event %s: %w", typ, notFound(err, "no account %d", sub.AccountID))
		}
		data["account_ref"] = ref
		if sub.DebtorID == 0 {
			sub.DebtorID = debtor
		}
	}
	var convPhone string
	if sub.ConversationID != 0 {
		var debtor int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(debtor_id, 0), phone FROM conversations WHERE id = ?`, sub.ConversationID).Scan(&debtor, &convPhone); err != nil {
			return fmt.Errorf("event %s: %w", typ, notFound(err, "no conversation %d", sub.ConversationID))
		}
		data["conversation_id"] = sub.ConversationID
		if sub.DebtorID == 0 {
			sub.DebtorID = debtor
		}
	}
	stream := fmt.Sprintf("c%d", sub.ConversationID)
	var debtorID any
	if sub.DebtorID != 0 {
		var phone string
		if err := tx.QueryRowContext(ctx, `SELECT phone FROM debtors WHERE id = ?`, sub.DebtorID).Scan(&phone); err != nil {
			return fmt.Errorf("event %s: %w", typ, notFound(err, "no debtor %d", sub.DebtorID))
		}
		data["debtor"] = map[string]any{"id": sub.DebtorID, "phone": phone}
		stream, debtorID = fmt.Sprintf("d%d", sub.DebtorID), sub.DebtorID
	} else if convPhone != "" {
		// A number outside the portfolio: the creditor may still know it.
		data["debtor"] = map[string]any{"id": nil, "phone": convPhone}
	}
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	id := "evt_" + hex.EncodeToString(rnd[:])
	body, err := json.Marshal(map[string]any{"id": id, "type": typ, "created_at": now.UTC().Format(time.RFC3339Nano), "data": data})
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events (event_id, type, stream, debtor_id, payload, state, next_at, created_at) VALUES (?,?,?,?,?,?,?,?)`,
		id, typ, stream, debtorID, string(body), EventPending, now, now)
	if err != nil {
		return fmt.Errorf("event %s: %w", typ, err)
	}
	return nil
}

// PendingEvent is one claimed event to deliver.
type PendingEvent struct {
	ID          int64
	EventID     string
	Type        string
	Payload     []byte
	Attempts    int      // this attempt included
	DeliveredTo []string // receivers that already acknowledged it
	CreatedAt   time.Time
}

// ClaimEvents leases up to n due events, only the oldest undelivered one of
// each stream, so that one debtor's events reach the creditor in the order they
// happened. A lease that runs out (the worker died mid-delivery) makes the
// event claimable again: delivery is at least once, with a stable event id.
func (db *DB) ClaimEvents(ctx context.Context, n int, lease time.Duration) ([]PendingEvent, error) {
	now := db.now()
	var out []PendingEvent
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT e.id, e.event_id, e.type, e.payload, e.attempts, e.delivered_to, e.created_at FROM events e
			WHERE e.state = ? AND e.next_at <= ? AND (e.lease_until IS NULL OR e.lease_until < ?)
			  AND NOT EXISTS (SELECT 1 FROM events p WHERE p.stream = e.stream AND p.id < e.id AND p.state = ?)
			ORDER BY e.id LIMIT ? FOR UPDATE OF e SKIP LOCKED`, EventPending, now, now, EventPending, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e PendingEvent
			var payload, to string
			if err := rows.Scan(&e.ID, &e.EventID, &e.Type, &payload, &e.Attempts, &to, &e.CreatedAt); err != nil {
				rows.Close()
				return err
			}
			e.Payload, e.DeliveredTo = []byte(payload), splitLines(to)
			e.Attempts++
			out = append(out, e)
		}
		rows.Close()
		for _, e := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE events SET lease_until = ?, attempts = ? WHERE id = ?`, now.Add(lease), e.Attempts, e.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim events: %w", err)
	}
	return out, nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// EventAttempt is the outcome of one delivery attempt of an event.
type EventAttempt struct {
	// DeliveredTo lists every receiver that has acknowledged the event so far.
	DeliveredTo []string
	Status      int    // the last failing receiver's HTTP status, 0 when none answered
	Error       string // "" when every receiver acknowledged
	// Done: delivered to all (Error empty) or given up (Error set).
	Done bool
	// NextAt is when to try again when not Done.
	NextAt time.Time
}

// RecordEventAttempt stores an attempt's outcome and releases the lease.
func (db *DB) RecordEventAttempt(ctx context.Context, id int64, a EventAttempt) error {
	now := db.now()
	state, next := EventPending, a.NextAt.UTC()
	var delivered any
	switch {
	case a.Done && a.Error == "":
		state, delivered = EventDelivered, now
	case a.Done:
		state = EventFailed
	}
	if next.IsZero() {
		next = now
	}
	_, err := db.write.ExecContext(ctx, `UPDATE events SET state = ?, next_at = ?, lease_until = NULL, last_attempt_at = ?, last_status = ?, last_error = ?,
		delivered_to = ?, delivered_at = ? WHERE id = ?`, state, next, now, a.Status, a.Error, strings.Join(a.DeliveredTo, "\n"), delivered, id)
	if err != nil {
		return fmt.Errorf("record event attempt: %w", err)
	}
	return nil
}

// EventDelivery is an event's delivery record, for the console and the export.
type EventDelivery struct {
	ID            int64      `json:"-"`
	EventID       string     `json:"id"`
	Type          string     `json:"type"`
	DebtorID      int64      `json:"debtor_id,omitempty"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	LastStatus    int        `json:"last_status,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// EventFilter selects deliveries.
type EventFilter struct {
	State    string // "" for all; EventPending, EventDelivered or EventFailed
	Failing  bool   // only events whose last attempt failed (pending with an error, or failed)
	DebtorID int64  // 0 for all
	Limit    int    // default 50
}

// EventDeliveries returns recent events and how their delivery went, newest
// first: what the console shows as "last attempts and failures".
func (db *DB) EventDeliveries(ctx context.Context, f EventFilter) ([]EventDelivery, error) {
	q := `SELECT id, event_id, type, COALESCE(debtor_id, 0), state, attempts, last_attempt_at, last_status, last_error, delivered_at, created_at FROM events WHERE 1 = 1`
	var args []any
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.Failing {
		q += ` AND last_error <> ''`
	}
	if f.DebtorID != 0 {
		q += ` AND debtor_id = ?`
		args = append(args, f.DebtorID)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, f.Limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("event deliveries: %w", err)
	}
	defer rows.Close()
	var out []EventDelivery
	for rows.Next() {
		var e EventDelivery
		if err := rows.Scan(&e.ID, &e.EventID, &e.Type, &e.DebtorID, &e.State, &e.Attempts, &e.LastAttemptAt, &e.LastStatus, &e.LastError, &e.DeliveredAt, &e.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EventPayload returns the JSON body of an event by its event id, or ENOTFOUND.
func (db *DB) EventPayload(ctx context.Context, eventID string) ([]byte, error) {
	var p string
	err := db.read.QueryRowContext(ctx, `SELECT payload FROM events WHERE event_id = ?`, eventID).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, acuerdo.Errorf(acuerdo.ENOTFOUND, "no event %s", eventID)
	}
	return []byte(p), err
}

// EventBacklog counts events waiting for delivery and events given up on, for
// metrics.
func (db *DB) EventBacklog(ctx context.Context) (pending, failed int, err error) {
	err = db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM events WHERE state = ?), (SELECT COUNT(*) FROM events WHERE state = ?)`, EventPending, EventFailed).Scan(&pending, &failed)
	return pending, failed, err
}

// RecordPaymentLink reports that a payment link went to the debtor: an event
// for the creditor and the tool's audit line, in one transaction. The link
// itself is not stored; it is in the message that carries it.
func (db *DB) RecordPaymentLink(ctx context.Context, accountID, conversationID int64, amount acuerdo.Money, scope, url string, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		data := map[string]any{"amount": amount.Decimal(), "currency": amount.Currency, "scope": scope, "url": url}
		if err := insertEvent(ctx, tx, EventPaymentLinkSent, EventSubject{AccountID: accountID, ConversationID: conversationID}, data, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// eraseEvents removes the phone number from the events of a debtor and of
// their conversations: an erasure
// leaves no personal data behind, also not in webhooks still to be sent.
func eraseEvents(ctx context.Context, tx *sql.Tx, debtorID int64, convs []int64) error {
	q, args := `SELECT id, payload FROM events WHERE debtor_id = ?`, []any{debtorID}
	for _, c := range convs {
		q += ` OR stream = ?`
		args = append(args, fmt.Sprintf("c%d", c))
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	type ev struct {
		id      int64
		payload string
	}
	var evs []ev
	for rows.Next() {
		var e ev
		if err := rows.Scan(&e.id, &e.payload); err != nil {
			rows.Close()
			return err
		}
		evs = append(evs, e)
	}
	rows.Close()
	for _, e := range evs {
		var m map[string]any
		if err := json.Unmarshal([]byte(e.payload), &m); err != nil {
			return fmt.Errorf("erase event %d: %w", e.id, err)
		}
		if data, ok := m["data"].(map[string]any); ok {
			if d, ok := data["debtor"].(map[string]any); ok {
				d["phone"] = nil
			}
			delete(data, "url") // a payment link names the account
		}
		b, _ := json.Marshal(m)
		if _, err := tx.ExecContext(ctx, `UPDATE events SET payload = ? WHERE id = ?`, string(b), e.id); err != nil {
			return err
		}
	}
	return nil
}

func planEventData(p acuerdo.Plan) map[string]any {
	inst := make([]map[string]any, 0, len(p.Installments))
	for _, in := range p.Installments {
		inst = append(inst, map[string]any{"seq": in.Seq, "due_date": in.DueDate.String(), "amount": in.Amount.Decimal()})
	}
	return map[string]any{"plan_id": p.ID, "total": p.Total.Decimal(), "currency": p.Total.Currency, "installments": inst}
}

// RedeliverEvent puts an event that was given up on back in the outbox, for
// another full round of attempts, once its receiver is fixed. Only failed
// events can be: a pending one is already on its way, a delivered one done.
func (db *DB) RedeliverEvent(ctx context.Context, eventID string, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM events WHERE event_id = ? FOR UPDATE`, eventID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no event %s", eventID)
		} else if err != nil {
			return err
		}
		if state != EventFailed {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "event %s is %s: only failed events can be sent again", eventID, state)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET state = ?, attempts = 0, next_at = ?, lease_until = NULL WHERE event_id = ?`, EventPending, now, eventID); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// CaseClosedEvent adds the case.closed event of a case closed inside tx,
// reading what it reports (state, reason, the operator's verdict) from the
// case row as tx sees it: code that closes a case calls it with one line,
// after its UPDATE and before committing.
func CaseClosedEvent(ctx context.Context, tx *sql.Tx, caseID int64, now time.Time) error {
	var conv, debtor, account int64
	var reason, state string
	var useful sql.NullBool
	err := tx.QueryRowContext(ctx, `SELECT conversation_id, COALESCE(debtor_id, 0), COALESCE(account_id, 0), reason, state, useful FROM cases WHERE id = ?`, caseID).
		Scan(&conv, &debtor, &account, &reason, &state, &useful)
	if err != nil {
		return fmt.Errorf("event %s: case %d: %w", EventCaseClosed, caseID, err)
	}
	data := map[string]any{"case_id": caseID, "reason": reason, "state": state}
	if useful.Valid {
		data["useful"] = useful.Bool
	}
	return insertEvent(ctx, tx, EventCaseClosed, EventSubject{DebtorID: debtor, AccountID: account, ConversationID: conv}, data, now)
}
