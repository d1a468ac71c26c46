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
	Media         []ExportedMedia        `json:"media"`
	Negotiations  []ExportedNegotiation  `json:"negotiations"`
	Satisfaction  []ExportedRating       `json:"satisfaction"`
	Assignments   []ExportedAssignment   `json:"assignments"`
}

// ExportedMedia is a file the debtor sent (a receipt), with its content.
type ExportedMedia struct {
	ID          int64     `json:"id"`
	MessageID   int64     `json:"message_id"`
	CaseID      int64     `json:"case_id,omitempty"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	Data        []byte    `json:"data,omitempty"` // base64 in JSON
	CreatedAt   time.Time `json:"created_at"`
}

// ExportedNegotiation is a date change or pause agreed on an account.
type ExportedNegotiation struct {
	AccountID int64     `json:"account_id"`
	Kind      string    `json:"kind"`
	OldValue  string    `json:"old_value,omitempty"`
	NewValue  string    `json:"new_value"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportedRating is an answer to the satisfaction question.
type ExportedRating struct {
	ConversationID int64     `json:"conversation_id"`
	Rating         int       `json:"rating"`
	CreatedAt      time.Time `json:"created_at"`
}

// ExportedAssignment is the debtor's arm in a pilot.
type ExportedAssignment struct {
	Experiment string    `json:"experiment"`
	Arm        string    `json:"arm"`
	AssignedAt time.Time `json:"assigned_at"`
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
		Promises: []acuerdo.Promise{}, Plans: []acuerdo.Plan{}, Cases: []acuerdo.Case{}, Payments: []acuerdo.Payment{}, Audit: []acuerdo.AuditEntry{}, Events: []EventDelivery{},
		Media: []ExportedMedia{}, Negotiations: []ExportedNegotiation{}, Satisfaction: []ExportedRating{}, Assignments: []ExportedAssignment{}}
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
	each("media", `SELECT md.id, md.message_id, COALESCE(md.case_id, 0), md.content_type, md.data, md.created_at
		FROM media md JOIN messages m ON m.id = md.message_id JOIN conversations c ON c.id = m.conversation_id WHERE c.debtor_id = ? ORDER BY md.id`, func(scan func(...any) error) error {
		var m ExportedMedia
		err := scan(&m.ID, &m.MessageID, &m.CaseID, &m.ContentType, &m.Data, &m.CreatedAt)
		m.Size = len(m.Data)
		out.Media = append(out.Media, m)
		return err
	}, id)
	each("negotiations", `SELECT n.account_id, n.kind, n.old_value, n.new_value, n.created_at
		FROM negotiations n JOIN accounts a ON a.id = n.account_id WHERE a.debtor_id = ? ORDER BY n.id`, func(scan func(...any) error) error {
		var n ExportedNegotiation
		err := scan(&n.AccountID, &n.Kind, &n.OldValue, &n.NewValue, &n.CreatedAt)
		out.Negotiations = append(out.Negotiations, n)
		return err
	}, id)
	each("satisfaction", `SELECT conversation_id, rating, created_at FROM satisfaction WHERE debtor_id = ? ORDER BY id`, func(scan func(...any) error) error {
		var r ExportedRating
		err := scan(&r.ConversationID, &r.Rating, &r.CreatedAt)
		out.Satisfaction = append(out.Satisfaction, r)
		return err
	}, id)
	each("assignments", `SELECT x.name, a.arm, a.assigned_at FROM assignments a JOIN experiments x ON x.id = a.experiment_id WHERE a.debtor_id = ? ORDER BY x.id`, func(scan func(...any) error) error {
		var a ExportedAssignment
		err := scan(&a.Experiment, &a.Arm, &a.AssignedAt)
		out.Assignments = append(out.Assignments, a)
		return err
	}, id)
	return out, err
}

// scanner adapts a Scan method value to the row interface the scan helpers take.
type scanner func(...any) error

func (s scanner) Scan(dest ...any) error { return s(dest...) }
