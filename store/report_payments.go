package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// cohortPayments reads the payments of a report's cohort: those on the
// debtors' accounts in the experiment's currency that existed at assignment,
// paid before the report's instant. Prior ones (in the PriorWindow up to
// assignment) are summed into the row; the rest are the outcomes.
//
// A pilot usually covers most of the portfolio. Then the accounts and the
// payments are read with one plain scan each and matched here through an
// array indexed by account id: joining each debtor to its accounts and
// payments in SQL seeks three B-trees per row and cost four times the scans
// (docs/ARCHITECTURE.md, Speed). A small pilot in a large portfolio keeps the
// join, which only touches its own debtors.
type cohortPayments struct {
	rows    []CohortRow // in debtor order, once the cohort is read (finish)
	strs    interner
	out     []cohortPayment
	refs    []string // account references, by cohortPayment.acct
	methods []string // payment methods, by cohortPayment.method
	method  map[string]uint32

	// The plain scans (scanAccounts, scanPayments) run beside the cohort's
	// read, so they keep what they read until finish matches it to the cohort.
	scan     bool          // read by the plain scans; otherwise by the join
	first    int64         // the lowest account id
	acct     []int32       // acct[id-first]: the index into refs of an account in the currency, or -1
	accounts []scanned     // by index into refs
	found    chan struct{} // closed once scanAccounts decided scan and sized acct
	// chunks hold the payments as scanPayments reads them, before finish
	// keeps the outcomes in out: one slice grown by append would copy and
	// leave behind five times its size at three million payments.
	chunks [][]cohortPayment
}

const chunkSize = 1 << 16

// scanned is an account as the scan read it, before it is matched to its debtor.
type scanned struct {
	debtor  int64
	created int64 // µs since the epoch, UTC
}

// cohortPayment is a payment while it is read: 40 bytes instead of
// CohortPayment's 72, until it has its place. Until finish, row is unknown
// and acct is the account's id less first.
type cohortPayment struct {
	row    int32
	acct   int32 // index into refs
	id     int64
	amount int64
	paidAt int64 // µs since the epoch, UTC
	method uint32
}

// joinBelow: the scans read every account and payment of the portfolio, the
// join only the cohort's but at about four times the cost per row, so the
// scans win once the cohort is at least a quarter of the accounts.
const joinBelow = 4

// forceReportJoin makes every read take the join, for the tests of both paths.
var forceReportJoin atomic.Bool

// scanAccounts chooses between the scans and the join for a cohort of size
// debtors and, for the scans, reads every account in the experiment's currency.
func (cp *cohortPayments) scanAccounts(ctx context.Context, db *DB, x ExperimentInfo, size int) error {
	defer cp.decided()
	if size == 0 {
		return nil
	}
	var lo, hi sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM accounts`).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	span := hi.Int64 - lo.Int64 + 1
	if span > joinBelow*int64(size)+1024 || span > math.MaxInt32 || forceReportJoin.Load() {
		return nil
	}
	cp.scan, cp.first = true, lo.Int64
	cp.acct = make([]int32, span)
	// At most span accounts, and no more than joinBelow times the cohort's.
	cp.refs, cp.accounts = make([]string, 0, span), make([]scanned, 0, span)
	for i := range cp.acct {
		cp.acct[i] = -1
	}
	cp.decided()
	var r values
	return scanValues(ctx, db.read, func(v []driver.Value) error {
		id := r.int(v[0])
		if id < cp.first || id-cp.first >= span {
			return r.err // created after MIN(id), MAX(id) were read
		}
		cp.acct[id-cp.first] = int32(len(cp.refs))
		cp.refs = append(cp.refs, r.text(v[2]))
		cp.accounts = append(cp.accounts, scanned{debtor: r.int(v[1]), created: r.micros(v[3])})
		return r.err
	}, `SELECT id, debtor_id, ref, created_at FROM accounts WHERE currency = ?`, x.Currency)
}

// decided tells scanPayments whether to scan, once.
func (cp *cohortPayments) decided() {
	select {
	case <-cp.found:
	default:
		close(cp.found)
	}
}

// scanPayments reads, for the scans, every payment in the experiment's
// currency before asOf on an account scanAccounts will read.
func (cp *cohortPayments) scanPayments(ctx context.Context, db *DB, x ExperimentInfo, asOf time.Time) error {
	select {
	case <-cp.found:
	case <-ctx.Done():
		return ctx.Err()
	}
	if !cp.scan {
		return nil
	}
	span := int64(len(cp.acct))
	var r values
	return scanValues(ctx, db.read, func(v []driver.Value) error {
		account := r.int(v[0])
		if account < cp.first || account-cp.first >= span {
			return r.err
		}
		if n := len(cp.chunks); n == 0 || len(cp.chunks[n-1]) == chunkSize {
			cp.chunks = append(cp.chunks, make([]cohortPayment, 0, chunkSize))
		}
		c := &cp.chunks[len(cp.chunks)-1]
		*c = append(*c, cohortPayment{acct: int32(account - cp.first), id: r.int(v[1]), amount: r.int(v[2]), paidAt: r.micros(v[3]), method: cp.methodOf(r.text(v[4]))})
		return r.err
	}, `SELECT account_id, id, amount, paid_at, COALESCE(method, '') FROM payments WHERE currency = ? AND paid_at < ?`, x.Currency, asOf)
}

// methodOf is the index of a payment method in methods.
func (cp *cohortPayments) methodOf(method string) uint32 {
	m, ok := cp.method[method]
	if !ok {
		if cp.method == nil {
			cp.method = map[string]uint32{}
		}
		m = uint32(len(cp.methods))
		cp.methods = append(cp.methods, cp.strs.str(method))
		cp.method[cp.methods[m]] = m
	}
	return m
}

// finish matches what the scans read to the cohort, or reads the payments by
// the join when the cohort is small beside the portfolio.
func (cp *cohortPayments) finish(ctx context.Context, db *DB, x ExperimentInfo, asOf time.Time) error {
	if len(cp.rows) == 0 {
		cp.out, cp.chunks = nil, nil
		return nil
	}
	if !cp.scan {
		return cp.join(ctx, db, x, asOf)
	}
	// owner[k] is the row of the account at index k of refs, or -1 when it is
	// not the cohort's or was created after its debtor's assignment.
	ix := cohortIndex{rows: cp.rows}
	owner := make([]int32, len(cp.accounts))
	for k, a := range cp.accounts {
		owner[k] = -1
		if row, ok := ix.find(a.debtor); ok && a.created <= cp.rows[row].AssignedAt.UnixMicro() {
			owner[k] = int32(row)
		}
	}
	cp.accounts = nil
	// Twice over the chunks: to sum the prior payments and count the outcomes,
	// then to place the outcomes in a slice of their size, letting each chunk
	// go once copied.
	n := 0
	for _, c := range cp.chunks {
		for i := range c {
			p := &c[i]
			p.row = -1
			if k := cp.acct[p.acct]; k >= 0 && owner[k] >= 0 {
				p.row, p.acct = owner[k], k
				if cp.file(*p) {
					n++
				} else {
					p.row = -1
				}
			}
		}
	}
	cp.out, cp.acct = make([]cohortPayment, 0, n), nil
	for i, c := range cp.chunks {
		for _, p := range c {
			if p.row >= 0 {
				cp.out = append(cp.out, p)
			}
		}
		cp.chunks[i] = nil
	}
	cp.chunks = nil
	return nil
}

// file sums a prior payment (in the PriorWindow up to assignment) into its
// row, and tells whether p is an outcome (after assignment).
func (cp *cohortPayments) file(p cohortPayment) bool {
	c := &cp.rows[p.row]
	at := c.AssignedAt.UnixMicro()
	switch {
	case p.paidAt > at:
		return true
	case p.paidAt > at-PriorWindow.Microseconds():
		c.Prior += p.amount
	}
	return false
}

func (cp *cohortPayments) join(ctx context.Context, db *DB, x ExperimentInfo, asOf time.Time) error {
	ix := cohortIndex{rows: cp.rows}
	var lastAcct int64
	var method, ref sql.RawBytes
	return scanRows(ctx, db.read, func(r *sql.Rows) error {
		var debtor, account, id, amount int64
		var paid time.Time
		if err := r.Scan(&debtor, &account, &ref, &amount, &paid, &method, &id); err != nil {
			return err
		}
		row, ok := ix.find(debtor)
		if !ok {
			return nil // assigned after the cohort was read
		}
		if account != lastAcct || len(cp.refs) == 0 {
			lastAcct = account
			cp.refs = append(cp.refs, string(ref))
		}
		p := cohortPayment{row: int32(row), acct: int32(len(cp.refs) - 1), id: id, amount: amount, paidAt: paid.UnixMicro(), method: cp.methodOf(string(method))}
		if cp.file(p) {
			cp.out = append(cp.out, p)
		}
		return nil
	}, `SELECT s.debtor_id, a.id, a.ref, p.amount, p.paid_at, COALESCE(p.method, ''), p.id FROM assignments s
		JOIN accounts a ON a.debtor_id = s.debtor_id AND a.currency = ? AND a.created_at <= s.assigned_at
		JOIN payments p ON p.account_id = a.id AND p.currency = a.currency
		WHERE s.experiment_id = ? AND p.paid_at < ? ORDER BY s.debtor_id`, x.Currency, x.ID, asOf)
}

// sorted returns the outcome payments by debtor, then time, then id: placed
// by debtor in one pass (a counting sort), then each debtor's few sorted.
func (cp *cohortPayments) sorted() []CohortPayment {
	if len(cp.out) == 0 {
		return nil
	}
	start := make([]int32, len(cp.rows)+1)
	for _, p := range cp.out {
		start[p.row+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	next := slices.Clone(start[:len(cp.rows)])
	order := make([]int32, len(cp.out))
	for i, p := range cp.out {
		order[next[p.row]] = int32(i)
		next[p.row]++
	}
	next = nil
	for r := range cp.rows {
		g := order[start[r]:start[r+1]]
		if len(g) > 1 {
			slices.SortFunc(g, func(a, b int32) int {
				pa, pb := &cp.out[a], &cp.out[b]
				if c := cmp.Compare(pa.paidAt, pb.paidAt); c != 0 {
					return c
				}
				return cmp.Compare(pa.id, pb.id)
			})
		}
	}
	res := make([]CohortPayment, len(cp.out))
	for i, k := range order {
		p := &cp.out[k]
		res[i] = CohortPayment{Row: int(p.row), AccountRef: cp.refs[p.acct], PaidAt: time.UnixMicro(p.paidAt).UTC(), Amount: p.amount, Method: cp.methods[p.method]}
	}
	cp.out = nil
	return res
}
