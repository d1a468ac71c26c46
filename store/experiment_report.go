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
	Country     string  // the debtor's, for the template price table
	Segment     string  // the debtor's portfolio segment, for per-segment lifts
	// OperatorCases counts the debtor's cases since assignment that a person
	// took (claimed or closed by an operator), for operator handling cost.
	OperatorCases int
}

// CohortMessage is one message of an assigned debtor's conversations after
// assignment: the messages export, template costs and operator work read it.
// The text itself stays out (it is personal data); Chars says how long it was.
type CohortMessage struct {
	Row        int
	ID         int64
	At         time.Time
	Direction  string
	Author     string
	Status     string
	ErrorCode  string
	Template   string // the catalogue name when the engine meant to send a template
	TemplateID string // the provider's template (ContentSid) when one was sent
	Chars      int
}

// CohortLLMCall is one model call in an assigned debtor's conversations after
// assignment, from the audit log's model entries.
type CohortLLMCall struct {
	Row              int
	At               time.Time
	Model            string
	Provider         string
	Outcome          string
	PromptTokens     int
	CompletionTokens int
	CachedTokens     int
	LatencyMS        int
	CostUSD          float64
	Priced           bool // the price table knew the model that day
}

// CohortPayment is a payment after assignment on an account of the experiment.
type CohortPayment struct {
	Row        int // index into ExperimentData.Rows
	AccountRef string
	PaidAt     time.Time
	Amount     int64
	Method     string // as imported or reported; "" when unknown
}

// ExperimentData is what a report of an experiment reads, as of an instant.
type ExperimentData struct {
	ExperimentInfo
	Rows     []CohortRow // by debtor id
	Payments []CohortPayment
	Messages []CohortMessage // by debtor, then message id
	LLMCalls []CohortLLMCall
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
		if err := r.Scan(&c.DebtorID, &c.Arm, &c.Bucket, &c.Stratum, &c.AssignedAt, &c.LaunchedAt, &placed, &dpd, &c.Country, &c.Segment); err != nil {
			return err
		}
		c.Placed, c.DaysPastDue = -1, int(dpd.Int64)
		if placed.Valid {
			c.Placed = placed.Int64
		}
		index[c.DebtorID] = len(out.Rows)
		out.Rows = append(out.Rows, c)
		return nil
	}, `SELECT s.debtor_id, s.arm, s.bucket, s.stratum, s.assigned_at, s.launched_at, s.placed, s.days_past_due, COALESCE(d.country, ''), COALESCE(d.segment, '')
		FROM assignments s LEFT JOIN debtors d ON d.id = s.debtor_id WHERE s.experiment_id = ? ORDER BY s.debtor_id`, x.ID)
	if err != nil {
		return out, fmt.Errorf("report %s: %w", name, err)
	}
	asOf = asOf.UTC()
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var p CohortPayment
		var id int64
		if err := r.Scan(&id, &p.AccountRef, &p.Amount, &p.PaidAt, &p.Method); err != nil {
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
	}, `SELECT s.debtor_id, a.ref, p.amount, p.paid_at, COALESCE(p.method, '') FROM assignments s
		JOIN accounts a ON a.debtor_id = s.debtor_id AND a.currency = ? AND a.created_at <= s.assigned_at
		JOIN payments p ON p.account_id = a.id AND p.currency = a.currency
		WHERE s.experiment_id = ? AND p.paid_at < ? ORDER BY s.debtor_id, p.paid_at, p.id`, x.Currency, x.ID, asOf)
	if err != nil {
		return out, fmt.Errorf("report %s: payments: %w", name, err)
	}
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var c CohortLLMCall
		var detail string
		if err := r.Scan(&id, &c.At, &c.Model, &c.Outcome, &detail); err != nil {
			return err
		}
		c.Row = index[id]
		parseModelDetail(detail, &c)
		out.Rows[c.Row].CostUSD += c.CostUSD
		out.LLMCalls = append(out.LLMCalls, c)
		return nil
	}, `SELECT s.debtor_id, a.time, a.name, a.outcome, a.detail FROM assignments s
		JOIN conversations c ON c.debtor_id = s.debtor_id
		JOIN audit a ON a.conversation_id = c.id
		WHERE s.experiment_id = ? AND a.kind = ? AND a.time >= s.assigned_at AND a.time < ? ORDER BY s.debtor_id, a.id`, x.ID, acuerdo.AuditModel, asOf)
	if err != nil {
		return out, fmt.Errorf("report %s: model calls: %w", name, err)
	}
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var m CohortMessage
		if err := r.Scan(&id, &m.ID, &m.At, &m.Direction, &m.Author, &m.Status, &m.ErrorCode, &m.Template, &m.TemplateID, &m.Chars); err != nil {
			return err
		}
		m.Row = index[id]
		out.Messages = append(out.Messages, m)
		return nil
	}, `SELECT s.debtor_id, m.id, m.created_at, m.direction, m.author, m.status, m.error_code, COALESCE(o.template, ''), m.template_id, LENGTH(m.body)
		FROM assignments s
		JOIN conversations c ON c.debtor_id = s.debtor_id
		JOIN messages m ON m.conversation_id = c.id
		LEFT JOIN outbox o ON o.message_id = m.id
		WHERE s.experiment_id = ? AND m.created_at >= s.assigned_at AND m.created_at < ? ORDER BY s.debtor_id, m.id`, x.ID, asOf)
	if err != nil {
		return out, fmt.Errorf("report %s: messages: %w", name, err)
	}
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var n int
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		out.Rows[index[id]].OperatorCases = n
		return nil
	}, `SELECT s.debtor_id, COUNT(*) FROM assignments s
		JOIN cases k ON k.debtor_id = s.debtor_id
		WHERE s.experiment_id = ? AND k.assignee_id IS NOT NULL AND k.created_at >= s.assigned_at AND k.created_at < ?
		GROUP BY s.debtor_id`, x.ID, asOf)
	if err != nil {
		return out, fmt.Errorf("report %s: operator cases: %w", name, err)
	}
	return out, nil
}

// parseModelDetail reads a model audit line's detail (written by the agent:
// provider, token counts, latency, cost_usd when the price table knew the model).
func parseModelDetail(detail string, c *CohortLLMCall) {
	var d struct {
		Provider         string   `json:"provider"`
		PromptTokens     int      `json:"prompt_tokens"`
		CompletionTokens int      `json:"completion_tokens"`
		CachedTokens     int      `json:"cached_tokens"`
		LatencyMS        int      `json:"latency_ms"`
		CostUSD          *float64 `json:"cost_usd"`
	}
	if json.Unmarshal([]byte(detail), &d) != nil {
		return
	}
	c.Provider, c.PromptTokens, c.CompletionTokens, c.CachedTokens, c.LatencyMS = d.Provider, d.PromptTokens, d.CompletionTokens, d.CachedTokens, d.LatencyMS
	if d.CostUSD != nil {
		c.CostUSD, c.Priced = *d.CostUSD, true
	}
}
