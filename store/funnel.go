package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"acuerdo"
)

// Funnel counts, for one arm of an experiment, how far its debtors got with the
// agent between their assignment and asOf. Each count is of debtors, not events.
type Funnel struct {
	Arm        string
	Assigned   int
	Reached    int // a message was delivered or read
	Verified   int // identity confirmed (right-party contact)
	Promised   int // made a promise to pay
	Kept       int // kept a promise
	OptedOut   int // asked for no more messages
	Escalated  int // handed to a person
	Useful     int // escalations an operator marked useful
	Judged     int // escalations an operator judged at all
	Rated      int // answered the satisfaction question
	RatingMean float64
}

// ExperimentFunnel returns the funnel of every arm of an experiment as of asOf.
// Control debtors are never contacted by acuerdo, so their funnel shows what
// they did on their own (a debtor of control may still write first).
func (db *DB) ExperimentFunnel(ctx context.Context, name string, asOf time.Time) ([]Funnel, error) {
	var expID int64
	if err := db.read.QueryRowContext(ctx, `SELECT id FROM experiments WHERE name = ?`, name).Scan(&expID); err != nil {
		if err == sql.ErrNoRows {
			return nil, acuerdo.Errorf(acuerdo.ENOTFOUND, "no experiment %q", name)
		}
		return nil, err
	}
	at := asOf.UTC()
	// Each count is a debtor-level EXISTS over what happened after assignment.
	q := `SELECT a.arm, COUNT(*),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM conversations c JOIN messages m ON m.conversation_id = c.id
			WHERE c.debtor_id = a.debtor_id AND m.direction = ? AND m.status IN (?, ?) AND m.created_at >= a.assigned_at AND m.created_at <= ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM audit au JOIN conversations c ON c.id = au.conversation_id WHERE c.debtor_id = a.debtor_id
			AND au.kind = 'tool' AND au.name = 'verify_identity' AND au.rule = 'identity_verified' AND au.time >= a.assigned_at AND au.time <= ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM promises p JOIN accounts ac ON ac.id = p.account_id
			WHERE ac.debtor_id = a.debtor_id AND p.created_at >= a.assigned_at AND p.created_at <= ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM promises p JOIN accounts ac ON ac.id = p.account_id
			WHERE ac.debtor_id = a.debtor_id AND p.status = ? AND p.created_at >= a.assigned_at AND p.resolved_at <= ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM audit au JOIN conversations c ON c.id = au.conversation_id WHERE c.debtor_id = a.debtor_id
			AND au.kind = 'tool' AND au.name = 'opt_out' AND au.outcome = 'allowed' AND au.time >= a.assigned_at AND au.time <= ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM cases k WHERE k.debtor_id = a.debtor_id AND k.reason <> ? AND k.created_at >= a.assigned_at AND k.created_at <= ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM cases k WHERE k.debtor_id = a.debtor_id AND k.reason <> ? AND k.useful = TRUE AND k.created_at >= a.assigned_at AND k.created_at <= ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM cases k WHERE k.debtor_id = a.debtor_id AND k.reason <> ? AND k.useful IS NOT NULL AND k.created_at >= a.assigned_at AND k.created_at <= ?) THEN 1 ELSE 0 END)
		FROM assignments a WHERE a.experiment_id = ? GROUP BY a.arm ORDER BY a.arm`
	rows, err := db.read.QueryContext(ctx, q,
		acuerdo.Outbound, acuerdo.MessageDelivered, acuerdo.MessageRead, at,
		at, at, acuerdo.PromiseKept, at, at, acuerdo.ReasonPaymentReport, at, acuerdo.ReasonPaymentReport, at, acuerdo.ReasonPaymentReport, at, expID)
	if err != nil {
		return nil, fmt.Errorf("funnel: %w", err)
	}
	var out []Funnel
	for rows.Next() {
		var f Funnel
		if err := rows.Scan(&f.Arm, &f.Assigned, &f.Reached, &f.Verified, &f.Promised, &f.Kept, &f.OptedOut, &f.Escalated, &f.Useful, &f.Judged); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		var n int
		var mean sql.NullFloat64
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(DISTINCT s.debtor_id), AVG(s.rating) FROM satisfaction s
			JOIN assignments a ON a.debtor_id = s.debtor_id AND a.experiment_id = ? AND a.arm = ?
			WHERE s.created_at >= a.assigned_at AND s.created_at <= ?`, expID, out[i].Arm, at).Scan(&n, &mean); err != nil {
			return nil, err
		}
		out[i].Rated, out[i].RatingMean = n, mean.Float64
	}
	return out, nil
}
