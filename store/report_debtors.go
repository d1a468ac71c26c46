package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"math"
)

// cohortDebtors reads the country and segment of a report's debtors. Like the
// accounts (cohortPayments), a pilot that covers most of the portfolio reads
// them with a plain scan of debtors beside the cohort's read, on the other
// core, instead of joining each assignment to its debtor: the join's seek per
// row cost more than the scan and ran on the cohort's core. A small pilot in
// a large portfolio keeps the join (cohortRows).
type cohortDebtors struct {
	scan     bool
	first    int64
	country  []int32  // country[id-first]: index into names
	segment  []int32  // segment[id-first]: index into names
	names    []string // names[0] is "", a debtor the scan did not see
	interned map[string]int32
}

// choose decides between the scan and the join for a cohort of size debtors.
func (cd *cohortDebtors) choose(ctx context.Context, db *DB, size int) error {
	var lo, hi sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM debtors`).Scan(&lo, &hi); err != nil {
		return err
	}
	if !lo.Valid {
		return nil
	}
	span := hi.Int64 - lo.Int64 + 1
	cd.scan = span <= joinBelow*int64(size)+1024 && span <= math.MaxInt32 && !forceReportJoin.Load()
	if cd.scan {
		cd.first, cd.country, cd.segment = lo.Int64, make([]int32, span), make([]int32, span)
		cd.names, cd.interned = []string{""}, map[string]int32{"": 0}
	}
	return nil
}

func (cd *cohortDebtors) read(ctx context.Context, db *DB) error {
	if !cd.scan {
		return nil
	}
	span := int64(len(cd.country))
	var r values
	return scanValues(ctx, db.read, func(v []driver.Value) error {
		id := r.int(v[0]) - cd.first
		if id < 0 || id >= span {
			return r.err // created after MIN(id), MAX(id) were read
		}
		cd.country[id], cd.segment[id] = cd.name(r.text(v[1])), cd.name(r.text(v[2]))
		return r.err
	}, `SELECT id, country, segment FROM debtors`)
}

// name is the index of s in names; past 10,000 distinct values they are not
// repeated ones after all, and are no longer looked up (interner).
func (cd *cohortDebtors) name(s string) int32 {
	if k, ok := cd.interned[s]; ok {
		return k
	}
	k := int32(len(cd.names))
	cd.names = append(cd.names, s)
	if len(cd.interned) <= 10_000 {
		cd.interned[s] = k
	}
	return k
}

// fill gives the cohort's rows their debtors' country and segment.
func (cd *cohortDebtors) fill(rows []CohortRow) {
	if !cd.scan {
		return
	}
	span := int64(len(cd.country))
	for i := range rows {
		if id := rows[i].DebtorID - cd.first; id >= 0 && id < span {
			rows[i].Country, rows[i].Segment = cd.names[cd.country[id]], cd.names[cd.segment[id]]
		}
	}
	cd.country, cd.segment = nil, nil
}
