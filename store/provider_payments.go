package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/paylink"
)

var _ paylink.Ledger = (*DB)(nil)

// RecordLink remembers a link a payment provider made. The same reference
// twice (the provider answered an idempotent retry with its first link) keeps
// the first row: the amount of a reference never changes.
func (db *DB) RecordLink(ctx context.Context, l paylink.Issued) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE ref = ?`, l.AccountRef).Scan(&accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "no account %q: a payment link needs an account of the portfolio", l.AccountRef)
		} else if err != nil {
			return fmt.Errorf("record link: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO provider_links (provider, reference, provider_id, account_id, debtor_id, amount, currency, scope, url, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (provider, reference) DO NOTHING`,
			l.Provider, l.Reference, l.ProviderID, accountID, nullID(l.DebtorID), l.Amount.Amount, l.Amount.Currency, l.Scope, l.URL, now)
		if err != nil {
			return fmt.Errorf("record link: %w", err)
		}
		return nil
	})
}

// ProviderEventSeen reports whether a webhook event was already acted on, so
// a redelivery is answered without asking the provider again.
func (db *DB) ProviderEventSeen(ctx context.Context, provider, eventID string) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM provider_events WHERE provider = ? AND event_id = ?`, provider, eventID).Scan(&n)
	return n > 0, err
}

// ProviderPayment is a payment a provider confirmed over its API.
type ProviderPayment struct {
	Provider   string
	EventID    string // the webhook event that announced it
	Reference  string // the link's reference
	ExternalID string // the provider's payment id
	Amount     acuerdo.Money
	PaidAt     time.Time
	Method     string
}

// ThankYou is what the thank-you message is built from.
type ThankYou struct {
	Locale string
	Name   string // the debtor's first name
	Amount acuerdo.Money
	// LastInbound is when the debtor last wrote in that conversation: the
	// 24-hour window decides whether the thanks is a reply or business-initiated.
	LastInbound *time.Time
}

// ProviderOutcome says what RecordProviderPayment did.
type ProviderOutcome struct {
	// Outcome is one of the Provider* outcomes below.
	Outcome string
	// Rule explains a refusal (amount_mismatch, unknown_reference, ...).
	Rule           string
	PaymentID      int64
	AccountID      int64
	ConversationID int64 // where the thank-you was queued; 0 when none was
}

// RecordProviderPayment outcomes.
const (
	ProviderRecorded  = "recorded"  // a new payment, with all its consequences
	ProviderDuplicate = "duplicate" // this event was already acted on
	ProviderKnown     = "known"     // the payment was already recorded (another event, an import)
	ProviderRefused   = "refused"   // nothing changed; see Rule
)

// Refusal rules of provider payments.
const (
	RuleUnknownReference = "unknown_reference"
	RuleAmountMismatch   = "amount_mismatch"
	RulePaymentConflict  = "payment_conflict"
)

// RecordProviderPayment registers a confirmed provider payment in one
// transaction: it marks the event seen, checks the payment against the link it
// pays (same amount and currency, or it is refused), records the payment under
// the provider's id (so the same payment in a later CSV import is skipped),
// keeps the promises it covers, marks covered plan installments paid, closes
// open payment-report cases as billed and queues a thank-you to the debtor's
// latest conversation. thanks builds that message; it runs inside the
// transaction and must not touch the database. Every outcome is audited;
// a refusal changes nothing but the audit log.
func (db *DB) RecordProviderPayment(ctx context.Context, p ProviderPayment, thanks func(ThankYou) Outgoing) (ProviderOutcome, error) {
	now := db.now()
	name := p.Provider + "_webhook"
	var out ProviderOutcome
	var refusal *acuerdo.AuditEntry
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO provider_events (provider, event_id, received_at) VALUES (?,?,?) ON CONFLICT (provider, event_id) DO NOTHING`,
			p.Provider, p.EventID, now)
		if err != nil {
			return fmt.Errorf("record event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			out.Outcome = ProviderDuplicate
			return nil
		}
		var link struct {
			account, amount int64
			currency        string
		}
		err = tx.QueryRowContext(ctx, `SELECT account_id, amount, currency FROM provider_links WHERE provider = ? AND reference = ?`, p.Provider, p.Reference).
			Scan(&link.account, &link.amount, &link.currency)
		if errors.Is(err, sql.ErrNoRows) {
			refusal = refuse(&out, RuleUnknownReference, fmt.Sprintf("payment %s pays reference %q, which acuerdo never issued", p.ExternalID, p.Reference))
			return errRefused
		} else if err != nil {
			return err
		}
		out.AccountID = link.account
		if link.amount != p.Amount.Amount || link.currency != p.Amount.Currency {
			offered := acuerdo.Money{Amount: link.amount, Currency: link.currency}
			refusal = refuse(&out, RuleAmountMismatch, fmt.Sprintf("payment %s is %s but its link was for %s", p.ExternalID, p.Amount, offered))
			return errRefused
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO payments (account_id, amount, currency, paid_at, method, external_id, source, created_at)
			VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (external_id) DO NOTHING`,
			link.account, p.Amount.Amount, p.Amount.Currency, p.PaidAt.UTC(), p.Method, p.ExternalID, p.Provider, now)
		if err != nil {
			return fmt.Errorf("record payment %s: %w", p.ExternalID, err)
		}
		inserted, _ := res.RowsAffected()
		var acct, amount int64
		if err := tx.QueryRowContext(ctx, `SELECT id, account_id, amount FROM payments WHERE external_id = ? FOR UPDATE`, p.ExternalID).Scan(&out.PaymentID, &acct, &amount); err != nil {
			return fmt.Errorf("record payment %s: %w", p.ExternalID, err)
		}
		if inserted == 0 && (acct != link.account || amount != p.Amount.Amount) {
			refusal = refuse(&out, RulePaymentConflict, fmt.Sprintf("payment id %s is already recorded for another account or amount", p.ExternalID))
			return errRefused
		}
		if _, err := tx.ExecContext(ctx, `UPDATE provider_events SET payment_id = ? WHERE provider = ? AND event_id = ?`, out.PaymentID, p.Provider, p.EventID); err != nil {
			return err
		}
		if inserted == 0 {
			out.Outcome = ProviderKnown
			return appendAudit(ctx, tx, acuerdo.AuditEntry{Time: now, Kind: acuerdo.AuditGuard, Name: name, Outcome: acuerdo.Allowed, Rule: "already_recorded",
				Detail: fmt.Sprintf("payment %s was already recorded", p.ExternalID)}, now)
		}
		out.Outcome = ProviderRecorded
		// The creditor's core system hears of it like of any other payment.
		if err := insertEvent(ctx, tx, EventPaymentRegistered, EventSubject{AccountID: link.account}, map[string]any{
			"external_id": p.ExternalID, "amount": p.Amount.Decimal(), "currency": p.Amount.Currency,
			"paid_at": p.PaidAt.UTC().Format(time.RFC3339), "method": p.Method, "source": p.Provider}, now); err != nil {
			return err
		}
		if err := keepPromises(ctx, tx, link.account, now); err != nil {
			return err
		}
		paid, err := payInstallments(ctx, tx, link.account, p.Amount.Amount)
		if err != nil {
			return err
		}
		closed, err := closePaymentReports(ctx, tx, link.account, now)
		if err != nil {
			return err
		}
		conv, err := thank(ctx, tx, link.account, p.Amount, thanks, now)
		if err != nil {
			return err
		}
		out.ConversationID = conv
		return appendAudit(ctx, tx, acuerdo.AuditEntry{Time: now, ConversationID: conv, Kind: acuerdo.AuditGuard, Name: name, Outcome: acuerdo.Allowed, Rule: "payment_confirmed",
			Detail: fmt.Sprintf("payment %s of %s recorded; %d installment(s) paid, %d payment report(s) closed", p.ExternalID, p.Amount, paid, closed)}, now)
	})
	if errors.Is(err, errRefused) {
		refusal.Time, refusal.Name = now, name
		return out, db.AppendAudit(ctx, *refusal)
	}
	if err != nil {
		return ProviderOutcome{}, err
	}
	return out, nil
}

// errRefused rolls a refused payment's transaction back.
var errRefused = errors.New("refused")

func refuse(out *ProviderOutcome, rule, detail string) *acuerdo.AuditEntry {
	out.Outcome, out.Rule = ProviderRefused, rule
	return &acuerdo.AuditEntry{Kind: acuerdo.AuditGuard, Outcome: acuerdo.Refused, Rule: rule, Detail: detail}
}

// AuditWebhook records a webhook refused before it reached a payment: a bad
// signature, a replay, a provider that disagrees with the event.
func (db *DB) AuditWebhook(ctx context.Context, provider, rule, detail string) error {
	return db.AppendAudit(ctx, acuerdo.AuditEntry{Time: db.now(), Kind: acuerdo.AuditGuard, Name: provider + "_webhook", Outcome: acuerdo.Refused, Rule: rule, Detail: detail})
}

// keepPromises marks kept the account's pending promises that the payments
// made since each was given now cover, the rule payment imports apply.
func keepPromises(ctx context.Context, tx *sql.Tx, accountID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE promises SET status = ?, resolved_at = ?
		WHERE account_id = ? AND status = ? AND amount <= (
			SELECT COALESCE(SUM(p.amount), 0) FROM payments p
			WHERE p.account_id = promises.account_id AND p.paid_at >= promises.created_at)`,
		acuerdo.PromiseKept, now, accountID, acuerdo.PromisePending)
	if err != nil {
		return fmt.Errorf("update promises: %w", err)
	}
	return nil
}

// payInstallments marks due installments paid, earliest first, while the
// payment covers them whole. A partial payment marks nothing: an operator or
// the next payment settles the rest.
func payInstallments(ctx context.Context, tx *sql.Tx, accountID, amount int64) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, amount FROM installments WHERE account_id = ? AND status = ? ORDER BY due_date, seq, id FOR UPDATE`, accountID, acuerdo.InstallmentDue)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id, a int64
		if err := rows.Scan(&id, &a); err != nil {
			rows.Close()
			return 0, err
		}
		if a > amount {
			break
		}
		amount -= a
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE installments SET status = ? WHERE id = ?`, acuerdo.InstallmentPaid, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// closePaymentReports closes as billed the open "I already paid" cases of the
// account (or of its debtor, when the case named no account): the provider has
// confirmed what the operator would have checked.
func closePaymentReports(ctx context.Context, tx *sql.Tx, accountID int64, now time.Time) (int, error) {
	closed := []string{acuerdo.CaseResolved, acuerdo.CaseBilled, acuerdo.CaseCancelled, acuerdo.CaseNoAnswer}
	rows, err := tx.QueryContext(ctx, `SELECT id, conversation_id FROM cases
		WHERE reason = ? AND state NOT IN (?,?,?,?)
		  AND (account_id = ? OR account_id IS NULL AND debtor_id = (SELECT debtor_id FROM accounts WHERE id = ?))`,
		acuerdo.ReasonPaymentReport, closed[0], closed[1], closed[2], closed[3], accountID, accountID)
	if err != nil {
		return 0, fmt.Errorf("close payment reports: %w", err)
	}
	type kase struct{ id, conv int64 }
	var cases []kase
	for rows.Next() {
		var k kase
		if err := rows.Scan(&k.id, &k.conv); err != nil {
			rows.Close()
			return 0, err
		}
		cases = append(cases, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, k := range cases {
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = ?, closed_at = ?, updated_at = ? WHERE id = ?`, acuerdo.CaseBilled, now, now, k.id); err != nil {
			return 0, fmt.Errorf("close payment report %d: %w", k.id, err)
		}
		if err := insertEvent(ctx, tx, EventCaseClosed, EventSubject{AccountID: accountID, ConversationID: k.conv},
			map[string]any{"case_id": k.id, "reason": acuerdo.ReasonPaymentReport, "state": acuerdo.CaseBilled}, now); err != nil {
			return 0, err
		}
	}
	return len(cases), nil
}

// thank queues the thank-you in the debtor's most recent conversation, unless
// there is none or they opted out. The message carries a template so that
// outside the 24-hour window the engine sends the approved one instead.
func thank(ctx context.Context, tx *sql.Tx, accountID int64, amount acuerdo.Money, thanks func(ThankYou) Outgoing, now time.Time) (int64, error) {
	if thanks == nil {
		return 0, nil
	}
	var convID int64
	var phone, channel, locale, name string
	var optedOut bool
	var last *time.Time
	err := tx.QueryRowContext(ctx, `SELECT c.id, c.phone, c.channel, COALESCE(NULLIF(c.locale, ''), d.locale), d.name, c.opted_out, c.last_inbound_at
		FROM accounts a JOIN debtors d ON d.id = a.debtor_id JOIN conversations c ON c.debtor_id = d.id
		WHERE a.id = ? ORDER BY COALESCE(c.last_inbound_at, c.created_at) DESC, c.id DESC LIMIT 1`, accountID).
		Scan(&convID, &phone, &channel, &locale, &name, &optedOut, &last)
	if errors.Is(err, sql.ErrNoRows) || err == nil && optedOut {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("thank: %w", err)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	if err := enqueue(ctx, tx, convID, phone, channel, []Outgoing{thanks(ThankYou{Locale: locale, Name: first, Amount: amount, LastInbound: last})}, now); err != nil {
		return 0, err
	}
	return convID, nil
}
