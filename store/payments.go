package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"acuerdo"
)

// PaymentImport records payments in one transaction, idempotently on their
// external id: a file imported twice records each payment once.
type PaymentImport struct {
	db      *DB
	tx      *sql.Tx
	ctx     context.Context
	now     time.Time
	source  string
	counts  ImportCounts
	insert  *sql.Stmt
	lookup  *sql.Stmt
	touched map[int64]bool
}

// BeginPaymentImport starts recording payments from source (import, api, ...).
func (db *DB) BeginPaymentImport(ctx context.Context, source string) (*PaymentImport, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin payments: %w", err)
	}
	pi := &PaymentImport{db: db, tx: tx, ctx: ctx, now: db.now(), source: source, touched: map[int64]bool{}}
	pi.insert, err = tx.PrepareContext(ctx, `INSERT INTO payments (account_id, amount, currency, paid_at, method, external_id, source, created_at)
		VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (external_id) DO NOTHING`)
	if err == nil {
		pi.lookup, err = tx.PrepareContext(ctx, `SELECT id, currency FROM accounts WHERE ref = ?`)
	}
	if err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("begin payments: %w", err)
	}
	return pi, nil
}

// Account finds an account by the creditor's reference, inside the import's
// transaction. It returns an ENOTFOUND error when there is none.
func (pi *PaymentImport) Account(ref string) (id int64, currency string, err error) {
	err = pi.lookup.QueryRowContext(pi.ctx, ref).Scan(&id, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", acuerdo.Errorf(acuerdo.ENOTFOUND, "no account %q: import the portfolio that contains it first", ref)
	}
	return id, currency, err
}

// Add records p unless a payment with its external id exists. Re-recording the
// same payment is skipped; a different payment under a used id is an EINVALID
// error, because one of the two is wrong and a person must say which.
func (pi *PaymentImport) Add(p acuerdo.Payment) error {
	res, err := pi.insert.ExecContext(pi.ctx, p.AccountID, p.Amount.Amount, p.Amount.Currency, p.PaidAt.UTC(), p.Method, p.ExternalID, pi.source, pi.now)
	if err != nil {
		return fmt.Errorf("record payment %s: %w", p.ExternalID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		pi.counts.Inserted++
		pi.touched[p.AccountID] = true
		if pi.source == "import" {
			// A file is often a backfill of history the creditor already has;
			// a webhook per row of it would only flood their system.
			return nil
		}
		return insertEvent(pi.ctx, pi.tx, EventPaymentRegistered, EventSubject{AccountID: p.AccountID}, map[string]any{
			"external_id": p.ExternalID, "amount": p.Amount.Decimal(), "currency": p.Amount.Currency,
			"paid_at": p.PaidAt.UTC().Format(time.RFC3339), "method": p.Method, "source": pi.source}, pi.now)
	}
	var acct, amount int64
	if err := pi.tx.QueryRowContext(pi.ctx, `SELECT account_id, amount FROM payments WHERE external_id = ?`, p.ExternalID).Scan(&acct, &amount); err != nil {
		return fmt.Errorf("record payment %s: %w", p.ExternalID, err)
	}
	if acct != p.AccountID || amount != p.Amount.Amount {
		return acuerdo.Errorf(acuerdo.EINVALID, "payment id %q is already recorded for another account or amount", p.ExternalID)
	}
	pi.counts.Skipped++
	return nil
}

// Commit marks the promises the new payments keep, then commits. A promise is kept
// when the payments made since it was given add up to its amount by its date.
func (pi *PaymentImport) Commit() (ImportCounts, error) {
	for id := range pi.touched {
		if _, err := pi.tx.ExecContext(pi.ctx, `UPDATE promises SET status = ?, resolved_at = ?
			WHERE account_id = ? AND status = ? AND amount <= (
				SELECT COALESCE(SUM(p.amount), 0) FROM payments p
				WHERE p.account_id = promises.account_id AND p.paid_at >= promises.created_at)`,
			acuerdo.PromiseKept, pi.now, id, acuerdo.PromisePending); err != nil {
			pi.Rollback()
			return ImportCounts{}, fmt.Errorf("update promises: %w", err)
		}
	}
	if err := pi.tx.Commit(); err != nil {
		return ImportCounts{}, fmt.Errorf("commit payments: %w", err)
	}
	return pi.counts, nil
}

// Counts returns what the import has recorded and skipped so far, so that a
// caller can tell, payment by payment, which were new.
func (pi *PaymentImport) Counts() ImportCounts { return pi.counts }

// Rollback abandons the import.
func (pi *PaymentImport) Rollback() { _ = pi.tx.Rollback() }
