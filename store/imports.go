package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"acuerdo"
)

// PortfolioRow is one validated line of a portfolio file: a debtor and one of
// their accounts. Empty optional fields mean "not in the file": on an update they
// keep the stored value instead of erasing it.
type PortfolioRow struct {
	Debtor  acuerdo.Debtor
	Account acuerdo.Account
	// Consent is the file's consent column: nil when absent, true grants
	// business-initiated WhatsApp contact, false revokes it.
	Consent *bool
	// KnownDaysPastDue says the file gave Account.DaysPastDue (0 is a real value).
	KnownDaysPastDue bool
}

// ImportCounts says what an import changed.
type ImportCounts struct {
	Inserted int // new accounts (or payments)
	Updated  int // accounts already known, updated in place
	Skipped  int // payments already recorded (same external id)
}

// importBatch is how many rows go into one multi-row statement: per-statement
// overhead dominates single-row inserts, and 200 rows × 11 columns stays far below
// every backend's parameter limit.
const importBatch = 200

// PortfolioImport writes a portfolio file in one transaction: all of it lands, or
// none of it does.
type PortfolioImport struct {
	db       *DB
	tx       *sql.Tx
	ctx      context.Context
	now      any // the import's time in stored form (µs on SQLite), converted once instead of per value
	before   int
	rows     []PortfolioRow
	stmts    map[string]*sql.Stmt
	accounts int
	source   string // recorded as the source of consents the rows grant
	pg       *pgImport
	// synthetic marks the debtors as made up (demo, simulation); a real
	// import of the same phone makes them real.
	synthetic bool
}

// ConsentSource names where the rows' consents come from (default "import");
// the API's batches record "api".
func (im *PortfolioImport) ConsentSource(s string) { im.source = s }

// Synthetic marks the import's debtors as made up by acuerdo (the demo
// portfolio, a simulated pilot), which serve --demo requires of every debtor.
func (im *PortfolioImport) Synthetic() { im.synthetic = true }

// BeginPortfolioImport starts an import. Call Add for each row, then Commit or
// Rollback.
func (db *DB) BeginPortfolioImport(ctx context.Context) (*PortfolioImport, error) {
	if db.pg {
		im := &PortfolioImport{db: db, ctx: ctx, now: db.now(), source: "import"}
		if err := db.beginPGImport(ctx, im); err != nil {
			return nil, fmt.Errorf("begin import: %w", err)
		}
		return im, nil
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	im := &PortfolioImport{db: db, tx: tx, ctx: ctx, now: db.now().UnixMicro(), stmts: map[string]*sql.Stmt{}, source: "import"}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&im.before); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("begin import: %w", err)
	}
	return im, nil
}

// Add queues one row; rows are written in batches.
func (im *PortfolioImport) Add(r PortfolioRow) error {
	im.accounts++
	if im.pg != nil {
		im.pg.add(r)
		if len(im.pg.rows) >= copyBatch {
			return im.pg.flush(im.ctx)
		}
		return nil
	}
	im.rows = append(im.rows, r)
	if len(im.rows) >= importBatch {
		return im.flush()
	}
	return nil
}

// Commit writes what is queued and commits.
func (im *PortfolioImport) Commit() (ImportCounts, error) {
	if im.pg != nil {
		after, err := im.pg.commit(im.ctx, im.now, im.source, im.synthetic)
		if err != nil {
			im.pg.abort()
			return ImportCounts{}, err
		}
		ins := after - im.before
		return ImportCounts{Inserted: ins, Updated: im.accounts - ins}, nil
	}
	if err := im.flush(); err != nil {
		im.Rollback()
		return ImportCounts{}, err
	}
	var after int
	if err := im.tx.QueryRowContext(im.ctx, `SELECT COUNT(*) FROM accounts`).Scan(&after); err != nil {
		im.Rollback()
		return ImportCounts{}, err
	}
	if err := im.tx.Commit(); err != nil {
		return ImportCounts{}, fmt.Errorf("commit import: %w", err)
	}
	ins := after - im.before
	return ImportCounts{Inserted: ins, Updated: im.accounts - ins}, nil
}

// Rollback abandons the import; nothing of it is written.
func (im *PortfolioImport) Rollback() {
	if im.pg != nil {
		im.pg.abort()
		return
	}
	_ = im.tx.Rollback()
}

// stmt prepares (once per size) a statement repeating the VALUES group n times.
func (im *PortfolioImport) stmt(kind, head, group, tail string, n int) (*sql.Stmt, error) {
	key := fmt.Sprintf("%s/%d", kind, n)
	if s, ok := im.stmts[key]; ok {
		return s, nil
	}
	var b strings.Builder
	b.WriteString(head)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	b.WriteString(tail)
	s, err := im.tx.PrepareContext(im.ctx, b.String())
	if err != nil {
		return nil, err
	}
	im.stmts[key] = s
	return s, nil
}

const (
	debtorHead = `INSERT INTO debtors (phone, name, document_id, email, country, time_zone, locale, segment, synthetic, created_at, updated_at) VALUES `
	debtorRow  = `(?,?,?,?,?,?,?,?,?,?,?)`
	// A value the file leaves empty keeps what the database knows.
	debtorTail   = debtorUpsert + ` RETURNING phone, id`
	debtorUpsert = ` ON CONFLICT (phone) DO UPDATE SET
		name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE debtors.name END,
		document_id = CASE WHEN excluded.document_id <> '' THEN excluded.document_id ELSE debtors.document_id END,
		email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE debtors.email END,
		country = CASE WHEN excluded.country <> '' THEN excluded.country ELSE debtors.country END,
		time_zone = CASE WHEN excluded.time_zone <> '' THEN excluded.time_zone ELSE debtors.time_zone END,
		locale = CASE WHEN excluded.locale <> '' THEN excluded.locale ELSE debtors.locale END,
		segment = CASE WHEN excluded.segment <> '' THEN excluded.segment ELSE debtors.segment END,
		synthetic = debtors.synthetic AND excluded.synthetic,
		updated_at = excluded.updated_at`

	accountHead = `INSERT INTO accounts (debtor_id, ref, currency, balance, balance_as_of, installment_amount, next_due_date, days_past_due, status, created_at, updated_at) VALUES `
	accountRow  = `(?,?,?,?,?,?,?,?,'open',?,?)`
	accountTail = ` ON CONFLICT (ref) DO UPDATE SET
		debtor_id = excluded.debtor_id,
		currency = excluded.currency,
		balance = COALESCE(excluded.balance, accounts.balance),
		balance_as_of = CASE WHEN excluded.balance IS NOT NULL THEN excluded.balance_as_of ELSE accounts.balance_as_of END,
		installment_amount = COALESCE(excluded.installment_amount, accounts.installment_amount),
		next_due_date = COALESCE(excluded.next_due_date, accounts.next_due_date),
		days_past_due = COALESCE(excluded.days_past_due, accounts.days_past_due),
		updated_at = excluded.updated_at`

	// An import may grant consent only where none was ever recorded, and never
	// re-grant one the debtor withdrew (an opt-out on WhatsApp wins over a file).
	consentHead = `INSERT INTO consents (debtor_id, channel, source, scope, granted_at) VALUES `
	consentRow  = `(?,'whatsapp',?,'collections',?)`
	consentTail = ` ON CONFLICT (debtor_id, channel, scope) DO NOTHING`
	revokeHead  = `UPDATE consents SET revoked_at = ? WHERE revoked_at IS NULL AND channel = 'whatsapp' AND debtor_id IN (`
	revokeTail  = `)`
)

func (im *PortfolioImport) flush() error {
	if len(im.rows) == 0 {
		return nil
	}
	rows := im.rows
	im.rows = im.rows[:0]

	// One debtor may own several accounts of the batch; the last row about them
	// wins, and each phone appears once per statement (PostgreSQL refuses an
	// ON CONFLICT that touches one row twice).
	last := make(map[string]int, len(rows))
	for i, r := range rows {
		last[r.Debtor.Phone] = i
	}
	dargs := make([]any, 0, len(last)*11)
	for i, r := range rows {
		if last[r.Debtor.Phone] != i {
			continue
		}
		d := r.Debtor
		dargs = append(dargs, d.Phone, d.Name, d.DocumentID, d.Email, d.Country, d.TimeZone, d.Locale, d.Segment, im.synthetic, im.now, im.now)
	}
	s, err := im.stmt("debtor", debtorHead, debtorRow, debtorTail, len(last))
	if err != nil {
		return fmt.Errorf("import debtors: %w", err)
	}
	ids := make(map[string]int64, len(last))
	res, err := s.QueryContext(im.ctx, dargs...)
	if err != nil {
		return fmt.Errorf("import debtors: %w", err)
	}
	for res.Next() {
		var phone string
		var id int64
		if err := res.Scan(&phone, &id); err != nil {
			res.Close()
			return fmt.Errorf("import debtors: %w", err)
		}
		ids[phone] = id
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("import debtors: %w", err)
	}

	aargs := make([]any, 0, len(rows)*10)
	for _, r := range rows {
		a := r.Account
		var bal, inst, dpd, due any
		if a.Balance != nil {
			bal = a.Balance.Amount
		}
		if a.InstallmentAmount.Amount > 0 {
			inst = a.InstallmentAmount.Amount
		}
		if r.KnownDaysPastDue {
			dpd = a.DaysPastDue
		}
		if !a.NextDueDate.IsZero() {
			due = a.NextDueDate.String()
		}
		aargs = append(aargs, ids[r.Debtor.Phone], a.Ref, currencyOf(a), bal, im.now, inst, due, dpd, im.now, im.now)
	}
	s, err = im.stmt("account", accountHead, accountRow, accountTail, len(rows))
	if err != nil {
		return fmt.Errorf("import accounts: %w", err)
	}
	if _, err := s.ExecContext(im.ctx, aargs...); err != nil {
		return fmt.Errorf("import accounts: %w", err)
	}

	var grant, revoke []any
	for i, r := range rows {
		if r.Consent == nil || last[r.Debtor.Phone] != i {
			continue
		}
		if id := ids[r.Debtor.Phone]; *r.Consent {
			grant = append(grant, id, im.source, im.now)
		} else {
			revoke = append(revoke, id)
		}
	}
	if len(grant) > 0 {
		s, err := im.stmt("grant", consentHead, consentRow, consentTail, len(grant)/3)
		if err == nil {
			_, err = s.ExecContext(im.ctx, grant...)
		}
		if err != nil {
			return fmt.Errorf("import consent: %w", err)
		}
	}
	if len(revoke) > 0 {
		s, err := im.stmt("revoke", revokeHead, "?", revokeTail, len(revoke))
		if err == nil {
			_, err = s.ExecContext(im.ctx, append([]any{im.now}, revoke...)...)
		}
		if err != nil {
			return fmt.Errorf("import consent: %w", err)
		}
	}
	return nil
}

func currencyOf(a acuerdo.Account) string {
	if a.Balance != nil && a.Balance.Currency != "" {
		return a.Balance.Currency
	}
	return a.InstallmentAmount.Currency
}
