package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"acuerdo"
)

// CohortRow is one assigned debtor as a report reads it.
type CohortRow struct {
	DebtorID    int64
	Arm         string
	Bucket      int
	Stratum     string
	AssignedAt  time.Time
	LaunchedAt  *time.Time
	Placed      int64 // minor units at assignment; −1 when unknown
	DaysPastDue int
	Prior       int64   // payments in the 90 days up to assignment, minor units
	CostUSD     float64 // model cost (audit cost_usd) of the debtor's conversations since assignment
}

// CohortPayment is a payment after assignment on an account of the experiment.
type CohortPayment struct {
	Row        int // index into ExperimentData.Rows
	AccountRef string
	PaidAt     time.Time
	Amount     int64
}

// ExperimentData is what a report of an experiment reads, as of an instant.
type ExperimentData struct {
	ExperimentInfo
	Rows     []CohortRow // by debtor id
	Payments []CohortPayment
}

// PriorWindow is how far before assignment payments count as the CUPED covariate.
const PriorWindow = 90 * 24 * time.Hour

// ExperimentData reads an experiment's cohort and the payments on its accounts
// (those in its currency that existed at assignment) before asOf. Payments up to
// the instant of assignment are prior; later ones are outcomes.
func (db *DB) ExperimentData(ctx context.Context, name string, asOf time.Time) (ExperimentData, error) {
	x, err := db.ExperimentByName(ctx, name)
	if err != nil {
		return ExperimentData{}, err
	}
	out := ExperimentData{ExperimentInfo: x}
	index := map[int64]int{}
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var c CohortRow
		var placed, dpd sql.NullInt64
		if err := r.Scan(&c.DebtorID, &c.Arm, &c.Bucket, &c.Stratum, &c.AssignedAt, &c.LaunchedAt, &placed, &dpd); err != nil {
			return err
		}
		c.Placed, c.DaysPastDue = -1, int(dpd.Int64)
		if placed.Valid {
			c.Placed = placed.Int64
		}
		index[c.DebtorID] = len(out.Rows)
		out.Rows = append(out.Rows, c)
		return nil
	}, `SELECT debtor_id, arm, bucket, stratum, assigned_at, launched_at, placed, days_past_due FROM assignments WHERE experiment_id = ? ORDER BY debtor_id`, x.ID)
	if err != nil {
		return out, fmt.Errorf("report %s: %w", name, err)
	}
	asOf = asOf.UTC()
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var p CohortPayment
		var id int64
		if err := r.Scan(&id, &p.AccountRef, &p.Amount, &p.PaidAt); err != nil {
			return err
		}
		p.Row = index[id]
		c := &out.Rows[p.Row]
		switch {
		case p.PaidAt.After(c.AssignedAt):
			out.Payments = append(out.Payments, p)
		case p.PaidAt.After(c.AssignedAt.Add(-PriorWindow)):
			c.Prior += p.Amount
		}
		return nil
	}, `SELECT s.debtor_id, a.ref, p.amount, p.paid_at FROM assignments s
		JOIN accounts a ON a.debtor_id = s.debtor_id AND a.currency = ? AND a.created_at <= s.assigned_at
		JOIN payments p ON p.account_id = a.id AND p.currency = a.currency
		WHERE s.experiment_id = ? AND p.paid_at < ? ORDER BY s.debtor_id, p.paid_at, p.id`, x.Currency, x.ID, asOf)
	if err != nil {
		return out, fmt.Errorf("report %s: payments: %w", name, err)
	}
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var detail string
		if err := r.Scan(&id, &detail); err != nil {
			return err
		}
		if usd, ok := costUSD(detail); ok {
			out.Rows[index[id]].CostUSD += usd
		}
		return nil
	}, `SELECT s.debtor_id, a.detail FROM assignments s
		JOIN conversations c ON c.debtor_id = s.debtor_id
		JOIN audit a ON a.conversation_id = c.id
		WHERE s.experiment_id = ? AND a.kind = ? AND a.time >= s.assigned_at AND a.time < ?`, x.ID, acuerdo.AuditModel, asOf)
	if err != nil {
		return out, fmt.Errorf("report %s: costs: %w", name, err)
	}
	return out, nil
}

// costUSD reads cost_usd from a model audit line's detail.
func costUSD(detail string) (float64, bool) {
	var d struct {
		CostUSD *float64 `json:"cost_usd"`
	}
	if json.Unmarshal([]byte(detail), &d) != nil || d.CostUSD == nil {
		return 0, false
	}
	return *d.CostUSD, true
}
