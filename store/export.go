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

// DebtorExport is everything acuerdo holds about one debtor: the answer to a
// data subject's access request, and what `acuerdo export` prints.
type DebtorExport struct {
	ExportedAt    time.Time              `json:"exported_at"`
	Debtor        acuerdo.Debtor         `json:"debtor"`
	Accounts      []acuerdo.Account      `json:"accounts"`
	Consents      []acuerdo.Consent      `json:"consents"`
	Conversations []ExportedConversation `json:"conversations"`
	Promises      []acuerdo.Promise      `json:"promises"`
	Plans         []acuerdo.Plan         `json:"plans"`
	Cases         []acuerdo.Case         `json:"cases"`
	Payments      []acuerdo.Payment      `json:"payments"`
	Audit         []acuerdo.AuditEntry   `json:"audit"`
	Events        []EventDelivery        `json:"events"`
}

// ExportedConversation is a conversation with all its messages.
type ExportedConversation struct {
	acuerdo.Conversation
	Messages []acuerdo.Message `json:"messages"`
}

// ExportDebtor gathers a debtor's data in one read transaction, so the parts
// agree with each other even while the service runs.
func (db *DB) ExportDebtor(ctx context.Context, debtorID int64) (DebtorExport, error) {
	// Empty lists are [], not null: a reader of the JSON need not tell the two apart.
	out := DebtorExport{ExportedAt: db.now(), Accounts: []acuerdo.Account{}, Consents: []acuerdo.Consent{}, Conversations: []ExportedConversation{},
		Promises: []acuerdo.Promise{}, Plans: []acuerdo.Plan{}, Cases: []acuerdo.Case{}, Payments: []acuerdo.Payment{}, Audit: []acuerdo.AuditEntry{}, Events: []EventDelivery{}}
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	out.Debtor, err = scanDebtor(tx.QueryRowContext(ctx, `SELECT `+debtorCols+` FROM debtors WHERE id = ?`, debtorID))
	if errors.Is(err, sql.ErrNoRows) {
		return out, acuerdo.Errorf(acuerdo.ENOTFOUND, "no debtor %d", debtorID)
	} else if err != nil {
		return out, err
	}
	each := func(what, q string, scan func(func(...any) error) error, args ...any) {
		if err != nil {
			return
		}
		var rows *sql.Rows
		if rows, err = tx.QueryContext(ctx, q, args...); err != nil {
			err = fmt.Errorf("export %s: %w", what, err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			if err = scan(rows.Scan); err != nil {
				err = fmt.Errorf("export %s: %w", what, err)
				return
			}
		}
		if err = rows.Err(); err != nil {
			err = fmt.Errorf("export %s: %w", what, err)
		}
	}
	id := debtorID
	each("accounts", `SELECT `+accountCols+` FROM accounts WHERE debtor_id = ? ORDER BY id`, func(scan func(...any) error) error {
		a, err := scanAccount(scanner(scan))
		out.Accounts = append(out.Accounts, a)
		return err
	}, id)
	each("consents", `SELECT channel, source, scope, granted_at, revoked_at FROM consents WHERE debtor_id = ? ORDER BY channel, scope`, func(scan func(...any) error) error {
		c := acuerdo.Consent{DebtorID: id}
		err := scan(&c.Channel, &c.Source, &c.Scope, &c.GrantedAt, &c.RevokedAt)
		out.Consents = append(out.Consents, c)
		return err
	}, id)
	each("conversations", `SELECT `+convCols+` FROM conversations WHERE debtor_id = ? ORDER BY id`, func(scan func(...any) error) error {
		c, err := scanConversation(scanner(scan))
		out.Conversations = append(out.Conversations, ExportedConversation{Conversation: c, Messages: []acuerdo.Message{}})
		return err
	}, id)
	for i := range out.Conversations {
		c := &out.Conversations[i]
		each("messages", `SELECT id, conversation_id, direction, author, body, COALESCE(provider_id, ''), template_id, status, error_code, created_at
			FROM messages WHERE conversation_id = ? ORDER BY id`, func(scan func(...any) error) error {
			var m acuerdo.Message
			err := scan(&m.ID, &m.ConversationID, &m.Direction, &m.Author, &m.Body, &m.ProviderID, &m.TemplateID, &m.Status, &m.ErrorCode, &m.CreatedAt)
			c.Messages = append(c.Messages, m)
			return err
		}, c.ID)
	}
	each("promises", `SELECT p.id, p.account_id, COALESCE(p.conversation_id, 0), p.amount, p.currency, p.due_date, p.status, p.created_at, p.resolved_at
		FROM promises p JOIN accounts a ON a.id = p.account_id WHERE a.debtor_id = ? ORDER BY p.id`, func(scan func(...any) error) error {
		var p acuerdo.Promise
		err := scan(&p.ID, &p.AccountID, &p.ConversationID, &p.Amount.Amount, &p.Amount.Currency, &p.DueDate, &p.Status, &p.CreatedAt, &p.ResolvedAt)
		out.Promises = append(out.Promises, p)
		return err
	}, id)
	each("plans", `SELECT p.id, p.account_id, COALESCE(p.conversation_id, 0), p.total, p.currency, p.status, p.created_at, p.accepted_at, p.schedule
		FROM plans p JOIN accounts a ON a.id = p.account_id WHERE a.debtor_id = ? ORDER BY p.id`, func(scan func(...any) error) error {
		var p acuerdo.Plan
		var sched string
		if err := scan(&p.ID, &p.AccountID, &p.ConversationID, &p.Total.Amount, &p.Total.Currency, &p.Status, &p.CreatedAt, &p.AcceptedAt, &sched); err != nil {
			return err
		}
		if sched != "" {
			if err := json.Unmarshal([]byte(sched), &p.Installments); err != nil {
				return fmt.Errorf("plan %d schedule: %w", p.ID, err)
			}
		}
		out.Plans = append(out.Plans, p)
		return nil
	}, id)
	each("cases", `SELECT id, conversation_id, COALESCE(debtor_id, 0), COALESCE(account_id, 0), reason, summary, state, priority, COALESCE(assignee_id, 0),
		amount, currency, payment_method, comments, useful, created_at, updated_at, closed_at
		FROM cases WHERE debtor_id = ? OR conversation_id IN (SELECT id FROM conversations WHERE debtor_id = ?) ORDER BY id`, func(scan func(...any) error) error {
		var c acuerdo.Case
		var amount sql.NullInt64
		var cur string
		if err := scan(&c.ID, &c.ConversationID, &c.DebtorID, &c.AccountID, &c.Reason, &c.Summary, &c.State, &c.Priority, &c.AssigneeID,
			&amount, &cur, &c.PaymentMethod, &c.Comments, &c.Useful, &c.CreatedAt, &c.UpdatedAt, &c.ClosedAt); err != nil {
			return err
		}
		if amount.Valid {
			c.Amount = &acuerdo.Money{Amount: amount.Int64, Currency: cur}
		}
		out.Cases = append(out.Cases, c)
		return nil
	}, id, id)
	each("payments", `SELECT p.id, p.account_id, p.amount, p.currency, p.paid_at, p.method, p.external_id, p.source, p.created_at
		FROM payments p JOIN accounts a ON a.id = p.account_id WHERE a.debtor_id = ? ORDER BY p.paid_at, p.id`, func(scan func(...any) error) error {
		var p acuerdo.Payment
		err := scan(&p.ID, &p.AccountID, &p.Amount.Amount, &p.Amount.Currency, &p.PaidAt, &p.Method, &p.ExternalID, &p.Source, &p.CreatedAt)
		out.Payments = append(out.Payments, p)
		return err
	}, id)
	each("audit", `SELECT a.id, a.time, COALESCE(a.conversation_id, 0), c.phone, a.kind, a.name, a.outcome, a.rule, a.args, a.detail
		FROM audit a JOIN conversations c ON c.id = a.conversation_id WHERE c.debtor_id = ? ORDER BY a.id`, func(scan func(...any) error) error {
		var e acuerdo.AuditEntry
		var args string
		if err := scan(&e.ID, &e.Time, &e.ConversationID, &e.Phone, &e.Kind, &e.Name, &e.Outcome, &e.Rule, &args, &e.Detail); err != nil {
			return err
		}
		if args != "" && json.Valid([]byte(args)) {
			e.Args = json.RawMessage(args)
		}
		out.Audit = append(out.Audit, e)
		return nil
	}, id)
	each("events", `SELECT id, event_id, type, COALESCE(debtor_id, 0), state, attempts, last_attempt_at, last_status, last_error, delivered_at, created_at
		FROM events WHERE debtor_id = ? ORDER BY id`, func(scan func(...any) error) error {
		var e EventDelivery
		err := scan(&e.ID, &e.EventID, &e.Type, &e.DebtorID, &e.State, &e.Attempts, &e.LastAttemptAt, &e.LastStatus, &e.LastError, &e.DeliveredAt, &e.CreatedAt)
		out.Events = append(out.Events, e)
		return err
	}, id)
	return out, err
}

// scanner adapts a Scan method value to the row interface the scan helpers take.
type scanner func(...any) error

func (s scanner) Scan(dest ...any) error { return s(dest...) }
