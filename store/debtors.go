package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"acuerdo"
)

const debtorCols = `id, phone, name, document_id, email, country, time_zone, locale, segment, unreachable_reason, unreachable_detail, unreachable_at, created_at, updated_at`

func scanDebtor(row interface{ Scan(...any) error }) (acuerdo.Debtor, error) {
	var d acuerdo.Debtor
	var unreachableAt scanTime
	err := row.Scan(&d.ID, &d.Phone, &d.Name, &d.DocumentID, &d.Email, &d.Country, &d.TimeZone, &d.Locale, &d.Segment,
		&d.Unreachable, &d.UnreachableDetail, &unreachableAt, &d.CreatedAt, &d.UpdatedAt)
	d.UnreachableAt = unreachableAt.ptr()
	return d, err
}

// DebtorByPhone returns the debtor with the E.164 phone number, or ENOTFOUND.
func (db *DB) DebtorByPhone(ctx context.Context, phone string) (acuerdo.Debtor, error) {
	d, err := scanDebtor(db.read.QueryRowContext(ctx, `SELECT `+debtorCols+` FROM debtors WHERE phone = ?`, phone))
	if errors.Is(err, sql.ErrNoRows) {
		return d, acuerdo.Errorf(acuerdo.ENOTFOUND, "no debtor with phone %s", phone)
	}
	return d, err
}

// DebtorByID returns a debtor, or ENOTFOUND.
func (db *DB) DebtorByID(ctx context.Context, id int64) (acuerdo.Debtor, error) {
	d, err := scanDebtor(db.read.QueryRowContext(ctx, `SELECT `+debtorCols+` FROM debtors WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, acuerdo.Errorf(acuerdo.ENOTFOUND, "no debtor %d", id)
	}
	return d, err
}

const accountCols = `id, debtor_id, ref, currency, balance, balance_as_of, installment_amount, next_due_date, days_past_due, status, created_at, updated_at`

func scanAccount(row interface{ Scan(...any) error }) (acuerdo.Account, error) {
	var a acuerdo.Account
	var cur string
	var bal, inst sql.NullInt64
	var dpd sql.NullInt64
	err := row.Scan(&a.ID, &a.DebtorID, &a.Ref, &cur, &bal, &a.BalanceAsOf, &inst, &a.NextDueDate, &dpd, &a.Status, &a.CreatedAt, &a.UpdatedAt)
	if bal.Valid {
		a.Balance = &acuerdo.Money{Amount: bal.Int64, Currency: cur}
	}
	a.InstallmentAmount = acuerdo.Money{Amount: inst.Int64, Currency: cur}
	a.DaysPastDue = int(dpd.Int64)
	return a, err
}

// Accounts returns a debtor's accounts, in the order they were placed.
func (db *DB) Accounts(ctx context.Context, debtorID int64) ([]acuerdo.Account, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE debtor_id = ? ORDER BY id`, debtorID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []acuerdo.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AccountByRef returns the account with the creditor's reference, or ENOTFOUND.
func (db *DB) AccountByRef(ctx context.Context, ref string) (acuerdo.Account, error) {
	a, err := scanAccount(db.read.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE ref = ?`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return a, acuerdo.Errorf(acuerdo.ENOTFOUND, "no account %q", ref)
	}
	return a, err
}

// Consent returns the debtor's WhatsApp consent for collections, or ENOTFOUND when
// none was ever recorded.
func (db *DB) Consent(ctx context.Context, debtorID int64) (acuerdo.Consent, error) {
	return db.ConsentOn(ctx, debtorID, acuerdo.ChannelWhatsApp)
}

// ConsentOn returns the debtor's consent for collections on a channel
// (whatsapp or sms: each needs its own), or ENOTFOUND.
func (db *DB) ConsentOn(ctx context.Context, debtorID int64, channel string) (acuerdo.Consent, error) {
	c := acuerdo.Consent{DebtorID: debtorID}
	err := db.read.QueryRowContext(ctx, `SELECT channel, source, scope, granted_at, revoked_at FROM consents
		WHERE debtor_id = ? AND channel = ? AND scope = 'collections'`, debtorID, channel).
		Scan(&c.Channel, &c.Source, &c.Scope, &c.GrantedAt, &c.RevokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, acuerdo.Errorf(acuerdo.ENOTFOUND, "no consent recorded for debtor %d", debtorID)
	}
	return c, err
}

// Payments returns an account's payments, oldest first.
func (db *DB) Payments(ctx context.Context, accountID int64) ([]acuerdo.Payment, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, account_id, amount, currency, paid_at, method, external_id, source, created_at
		FROM payments WHERE account_id = ? ORDER BY paid_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []acuerdo.Payment
	for rows.Next() {
		var p acuerdo.Payment
		if err := rows.Scan(&p.ID, &p.AccountID, &p.Amount.Amount, &p.Amount.Currency, &p.PaidAt, &p.Method, &p.ExternalID, &p.Source, &p.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Counts are the sizes of the main tables, for summaries and tests.
type Counts struct {
	Debtors, Accounts, Payments, Consents int
}

// RealDebtors counts the debtors that are not synthetic: imported from a
// creditor's file, posted through the API or written by the engine for a
// number outside any demo.
func (db *DB) RealDebtors(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM debtors WHERE NOT synthetic`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count real debtors: %w", err)
	}
	return n, nil
}

// Count returns the table sizes, read in one consistent snapshot.
func (db *DB) Count(ctx context.Context) (Counts, error) {
	var c Counts
	err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM debtors), (SELECT COUNT(*) FROM accounts),
		(SELECT COUNT(*) FROM payments), (SELECT COUNT(*) FROM consents)`).
		Scan(&c.Debtors, &c.Accounts, &c.Payments, &c.Consents)
	if err != nil {
		return c, fmt.Errorf("count: %w", err)
	}
	return c, nil
}
