package store

import (
	"cmp"
	"context"
	"database/sql"
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
	rows    []CohortRow // in debtor order
	strs    interner
	out     []cohortPayment
	refs    []string // account references, by cohortPayment.acct
	methods []string // payment methods, by cohortPayment.method
	method  map[string]uint32
}

// cohortPayment is a payment while it is read: 40 bytes instead of
// CohortPayment's 72, until it has its place.
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

func (cp *cohortPayments) read(ctx context.Context, db *DB, x ExperimentInfo, asOf time.Time) error {
	if len(cp.rows) == 0 {
		return nil
	}
	var lo, hi sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM accounts`).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	if span := hi.Int64 - lo.Int64 + 1; span <= joinBelow*int64(len(cp.rows))+1024 && !forceReportJoin.Load() {
		return cp.scan(ctx, db, x, asOf, lo.Int64, span)
	}
	return cp.join(ctx, db, x, asOf)
}

// forceReportJoin makes every read take the join, for the tests of both paths.
var forceReportJoin atomic.Bool

// add files one payment of row under account index acct.
func (cp *cohortPayments) add(row int, acct int32, id, amount int64, paidAt time.Time, method []byte) {
	c := &cp.rows[row]
	switch {
	case paidAt.After(c.AssignedAt):
		m, ok := cp.method[string(method)]
		if !ok {
			if cp.method == nil {
				cp.method = map[string]uint32{}
			}
			m = uint32(len(cp.methods))
			cp.methods = append(cp.methods, cp.strs.get(method))
			cp.method[cp.methods[m]] = m
		}
		cp.out = append(cp.out, cohortPayment{row: int32(row), acct: acct, id: id, amount: amount, paidAt: paidAt.UnixMicro(), method: m})
	case paidAt.After(c.AssignedAt.Add(-PriorWindow)):
		c.Prior += amount
	}
}

func (cp *cohortPayments) scan(ctx context.Context, db *DB, x ExperimentInfo, asOf time.Time, first, span int64) error {
	// acct[id-first] is the index into refs of an account of the cohort, or -1.
	acct := make([]int32, span)
	for i := range acct {
		acct[i] = -1
	}
	ix := cohortIndex{rows: cp.rows}
	var owner []int32 // the row of each account index
	var ref sql.RawBytes
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id, debtor int64
		var created time.Time
		if err := r.Scan(&id, &debtor, &ref, &created); err != nil {
			return err
		}
		row, ok := ix.find(debtor)
		if !ok || created.After(cp.rows[row].AssignedAt) || id < first || id-first >= span {
			return nil
		}
		acct[id-first] = int32(len(cp.refs))
		cp.refs = append(cp.refs, string(ref))
		owner = append(owner, int32(row))
		return nil
	}, `SELECT id, debtor_id, ref, created_at FROM accounts WHERE currency = ?`, x.Currency)
	if err != nil {
		return err
	}
	var method sql.RawBytes
	return scanRows(ctx, db.read, func(r *sql.Rows) error {
		var account, id, amount int64
		var paid time.Time
		if err := r.Scan(&account, &id, &amount, &paid, &method); err != nil {
			return err
		}
		if account < first || account-first >= span {
			return nil
		}
		k := acct[account-first]
		if k < 0 {
			return nil
		}
		cp.add(int(owner[k]), k, id, amount, paid, method)
		return nil
	}, `SELECT account_id, id, amount, paid_at, COALESCE(method, '') FROM payments WHERE currency = ? AND paid_at < ?`, x.Currency, asOf)
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
		cp.add(row, int32(len(cp.refs)-1), id, amount, paid, method)
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
