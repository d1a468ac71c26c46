package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// On PostgreSQL a portfolio import streams its rows with COPY into a temporary
// table, then writes debtors, accounts and consents with one INSERT … SELECT
// each, all in one transaction: a million rows cost a few statements instead
// of thousands of multi-row upserts. The rules are those of the SQLite path
// (imports.go): the last row about a phone or an account wins, a value the file
// leaves empty keeps the stored one, consent is granted only where none was
// ever recorded and never re-granted after a withdrawal; new rows get their ids
// in the file's order, as on SQLite.

// copyBatch is how many rows one COPY carries.
const copyBatch = 10000

var importColumns = []string{"seq", "phone", "name", "document_id", "email", "country", "time_zone", "locale", "segment",
	"ref", "currency", "balance", "installment_amount", "next_due_date", "days_past_due", "consent"}

type pgImport struct {
	conn *sql.Conn
	rows [][]any
	seq  int64
	done bool
}

func (db *DB) beginPGImport(ctx context.Context, im *PortfolioImport) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	im.pg = &pgImport{conn: conn}
	for _, q := range []string{`BEGIN`, `CREATE TEMP TABLE import_rows (
		seq BIGINT NOT NULL, phone TEXT NOT NULL, name TEXT NOT NULL, document_id TEXT NOT NULL, email TEXT NOT NULL,
		country TEXT NOT NULL, time_zone TEXT NOT NULL, locale TEXT NOT NULL, segment TEXT NOT NULL,
		ref TEXT NOT NULL, currency TEXT NOT NULL, balance BIGINT, installment_amount BIGINT, next_due_date TEXT,
		days_past_due BIGINT, consent BOOLEAN) ON COMMIT DROP`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			im.pg.abort()
			return err
		}
	}
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&im.before); err != nil {
		im.pg.abort()
		return err
	}
	return nil
}

// abort rolls back and gives the connection back (or drops it when even the
// rollback failed, so no half transaction goes back to the pool).
func (p *pgImport) abort() {
	if p.done {
		return
	}
	p.done = true
	if _, err := p.conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		_ = p.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	p.conn.Close()
}

func (p *pgImport) add(r PortfolioRow) {
	p.seq++
	d, a := r.Debtor, r.Account
	var bal, inst, dpd, due, consent any
	if a.Balance != nil {
		bal = a.Balance.Amount
	}
	if a.InstallmentAmount.Amount > 0 {
		inst = a.InstallmentAmount.Amount
	}
	if r.KnownDaysPastDue {
		dpd = int64(a.DaysPastDue)
	}
	if !a.NextDueDate.IsZero() {
		due = a.NextDueDate.String()
	}
	if r.Consent != nil {
		consent = *r.Consent
	}
	p.rows = append(p.rows, []any{p.seq, d.Phone, d.Name, d.DocumentID, d.Email, d.Country, d.TimeZone, d.Locale, d.Segment,
		a.Ref, currencyOf(a), bal, inst, due, dpd, consent})
}

func (p *pgImport) flush(ctx context.Context) error {
	if len(p.rows) == 0 {
		return nil
	}
	err := p.conn.Raw(func(dc any) error {
		c, ok := dc.(*pgConn)
		if !ok {
			return fmt.Errorf("import: not a PostgreSQL connection (%T)", dc)
		}
		_, err := c.Conn.Conn().CopyFrom(ctx, pgx.Identifier{"import_rows"}, importColumns, pgx.CopyFromRows(p.rows))
		return err
	})
	p.rows = p.rows[:0]
	if err != nil {
		return fmt.Errorf("import (COPY): %w", err)
	}
	return nil
}

// commit writes the copied rows into the tables and commits; it returns the
// number of accounts after the import.
func (p *pgImport) commit(ctx context.Context, now any, source string, synthetic bool) (int, error) {
	if err := p.flush(ctx); err != nil {
		return 0, err
	}
	// Temporary tables get no automatic statistics: without them the planner
	// guesses a few rows and picks nested loops. The sorts that pick the last
	// row per phone and per account get memory enough not to spill to disk.
	for _, q := range []string{`ANALYZE import_rows`, `SET LOCAL work_mem = '256MB'`} {
		if _, err := p.conn.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("import: %w", err)
		}
	}
	stmts := []struct {
		what, q string
		args    []any
	}{
		{"debtors", `INSERT INTO debtors (phone, name, document_id, email, country, time_zone, locale, segment, synthetic, created_at, updated_at)
			SELECT phone, name, document_id, email, country, time_zone, locale, segment, CAST(? AS BOOLEAN), CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ)
			FROM (SELECT DISTINCT ON (phone) * FROM import_rows ORDER BY phone, seq DESC) r ORDER BY seq` + debtorUpsert, []any{synthetic, now, now}},
		{"accounts", `INSERT INTO accounts (debtor_id, ref, currency, balance, balance_as_of, installment_amount, next_due_date, days_past_due, status, created_at, updated_at)
			SELECT d.id, r.ref, r.currency, r.balance, CAST(? AS TIMESTAMPTZ), r.installment_amount, r.next_due_date, r.days_past_due, 'open', CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ)
			FROM (SELECT DISTINCT ON (ref) * FROM import_rows ORDER BY ref, seq DESC) r JOIN debtors d ON d.phone = r.phone ORDER BY r.seq` + accountTail, []any{now, now, now}},
		// The last row about a phone that says anything about consent decides.
		{"consent", `INSERT INTO consents (debtor_id, channel, source, scope, granted_at)
			SELECT d.id, 'whatsapp', ?, 'collections', CAST(? AS TIMESTAMPTZ)
			FROM (SELECT DISTINCT ON (phone) phone, consent FROM import_rows WHERE consent IS NOT NULL ORDER BY phone, seq DESC) c
			JOIN debtors d ON d.phone = c.phone WHERE c.consent` + consentTail, []any{source, now}},
		{"consent", `UPDATE consents SET revoked_at = CAST(? AS TIMESTAMPTZ)
			FROM (SELECT DISTINCT ON (phone) phone, consent FROM import_rows WHERE consent IS NOT NULL ORDER BY phone, seq DESC) c
			JOIN debtors d ON d.phone = c.phone
			WHERE NOT c.consent AND consents.debtor_id = d.id AND consents.revoked_at IS NULL AND consents.channel = 'whatsapp'`, []any{now}},
	}
	for _, s := range stmts {
		if _, err := p.conn.ExecContext(ctx, s.q, s.args...); err != nil {
			return 0, fmt.Errorf("import %s: %w", s.what, err)
		}
	}
	var after int
	if err := p.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&after); err != nil {
		return 0, err
	}
	if _, err := p.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return 0, fmt.Errorf("commit import: %w", err)
	}
	p.done = true
	p.conn.Close()
	return after, nil
}
