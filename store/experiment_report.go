package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
//
// It streams every query into the result row by row, on the read pool, and
// keeps what it holds small, because a pilot has a million debtors and three
// million payments (docs/ARCHITECTURE.md, Speed): the cohort is allocated once
// at its known size, rows of other queries find their debtor by walking the
// cohort in debtor order (no map of a million entries), repeated strings (arm,
// stratum, country, segment, method) are shared, and the payments are read
// by plain scans where that reads less (cohortPayments).
//
// The cohort, the accounts and the payments are read side by side (two cores
// at once), each on its own connection of the read pool, so each sees the
// database as of its own start, not one snapshot. That is what the report
// needs: every row it counts is chosen by the times stored in it (assigned,
// created and paid before asOf), not by when the read ran, so a write landing
// during the read (a late payment imported, a debtor assigned) is either in
// or out exactly as in a read a moment earlier or later. A row whose debtor
// or account the other scan did not see is left out, as one written after
// the read would be (an account created after its debtor's assignment never
// counts). The counts of the arms (ExperimentInfo.Counts, Queued) are those
// of Rows; Skipped is read beside them.
func (db *DB) ExperimentData(ctx context.Context, name string, asOf time.Time) (ExperimentData, error) {
	x, err := db.experimentByName(ctx, name)
	if err != nil {
		return ExperimentData{}, err
	}
	var size int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM assignments WHERE experiment_id = ?`, x.ID).Scan(&size); err != nil {
		return ExperimentData{}, fmt.Errorf("report %s: %w", name, err)
	}
	var debtors cohortDebtors
	if err := debtors.choose(ctx, db, size); err != nil {
		return ExperimentData{}, fmt.Errorf("report %s: %w", name, err)
	}
	out := ExperimentData{ExperimentInfo: x}
	asOf = asOf.UTC()
	strs := interner{}
	pays := cohortPayments{strs: interner{}, found: make(chan struct{})}
	err = together(ctx,
		func(ctx context.Context) error {
			return db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM assignments WHERE experiment_id = ? AND launch_note <> ''`, x.ID).Scan(&out.Skipped)
		},
		func(ctx context.Context) (err error) {
			out.Rows, err = db.cohortRows(ctx, x.ID, size, !debtors.scan, strs)
			return err
		},
		func(ctx context.Context) error { return debtors.read(ctx, db) },
		func(ctx context.Context) error { return pays.scanAccounts(ctx, db, x, size) },
		func(ctx context.Context) error { return pays.scanPayments(ctx, db, x, asOf) },
	)
	if err != nil {
		return out, fmt.Errorf("report %s: %w", name, err)
	}
	debtors.fill(out.Rows)
	// The counts of the arms are the cohort's, not a query's of their own
	// (countArms, which sorts every assignment by arm).
	for _, r := range out.Rows {
		out.Counts[r.Arm]++
		if r.LaunchedAt != nil {
			out.Queued++
		}
	}
	pays.rows = out.Rows
	if err := pays.finish(ctx, db, x, asOf); err != nil {
		return out, fmt.Errorf("report %s: payments: %w", name, err)
	}
	out.Payments = pays.sorted()

	rows := cohortIndex{rows: out.Rows}
	var model, outcome sql.RawBytes
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var c CohortLLMCall
		var detail sql.RawBytes
		if err := r.Scan(&id, &c.At, &model, &outcome, &detail); err != nil {
			return err
		}
		row, ok := rows.find(id)
		if !ok {
			return nil // assigned after the cohort was read
		}
		c.Row, c.Model, c.Outcome = row, strs.get(model), strs.get(outcome)
		parseModelDetail(detail, &c)
		c.Provider = strs.get([]byte(c.Provider))
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
	rows = cohortIndex{rows: out.Rows}
	var dir, author, status, code, tmpl, tmplID sql.RawBytes
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var m CohortMessage
		if err := r.Scan(&id, &m.ID, &m.At, &dir, &author, &status, &code, &tmpl, &tmplID, &m.Chars); err != nil {
			return err
		}
		row, ok := rows.find(id)
		if !ok {
			return nil // assigned after the cohort was read
		}
		m.Row = row
		m.Direction, m.Author, m.Status, m.ErrorCode = strs.get(dir), strs.get(author), strs.get(status), strs.get(code)
		m.Template, m.TemplateID = strs.get(tmpl), strs.get(tmplID)
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
	rows = cohortIndex{rows: out.Rows}
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var n int
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		row, ok := rows.find(id)
		if !ok {
			return nil // assigned after the cohort was read
		}
		out.Rows[row].OperatorCases = n
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

// cohortRows reads the experiment's assigned debtors in debtor order, into a
// slice of size (the count of its assignments, read before) that grows only
// by those assigned meanwhile; with their debtors' country and segment when
// joined (otherwise cohortDebtors fills them in).
func (db *DB) cohortRows(ctx context.Context, experiment int64, size int, joined bool, strs interner) ([]CohortRow, error) {
	rows := make([]CohortRow, 0, size)
	var r values
	q := `SELECT s.debtor_id, s.arm, s.bucket, s.stratum, s.assigned_at, s.launched_at, s.placed, s.days_past_due FROM assignments s
		WHERE s.experiment_id = ? ORDER BY s.debtor_id`
	if joined {
		q = `SELECT s.debtor_id, s.arm, s.bucket, s.stratum, s.assigned_at, s.launched_at, s.placed, s.days_past_due, d.country, d.segment
			FROM assignments s LEFT JOIN debtors d ON d.id = s.debtor_id WHERE s.experiment_id = ? ORDER BY s.debtor_id`
	}
	err := scanValues(ctx, db.read, func(v []driver.Value) error {
		c := CohortRow{DebtorID: r.int(v[0]), Arm: strs.str(r.text(v[1])), Bucket: int(r.int(v[2])), Stratum: strs.str(r.text(v[3])),
			Placed: -1, DaysPastDue: int(r.int(v[7]))}
		if joined {
			c.Country, c.Segment = strs.str(r.text(v[8])), strs.str(r.text(v[9]))
		}
		c.AssignedAt, _ = r.time(v[4])
		if t, ok := r.time(v[5]); ok {
			c.LaunchedAt = &t
		}
		if v[6] != nil {
			c.Placed = r.int(v[6])
		}
		rows = append(rows, c)
		return r.err
	}, q, experiment)
	return rows, err
}

// together runs each of fns in its own goroutine and returns the first error;
// the first to fail cancels the context of the others. The report's scans
// use it to read on two cores at once.
func together(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(fns))
	for _, f := range fns {
		go func() {
			err := f(ctx)
			if err != nil {
				cancel()
			}
			errs <- err
		}()
	}
	var first error
	for range fns {
		if err := <-errs; err != nil && (first == nil || errors.Is(first, context.Canceled)) {
			first = err
		}
	}
	return first
}

// cohortIndex finds a debtor's row in the cohort, which is in debtor order.
// Queries that also come in debtor order find each row next to the last one
// found; anything else is a binary search.
type cohortIndex struct {
	rows []CohortRow
	next int
}

func (ix *cohortIndex) find(debtor int64) (int, bool) {
	for i := ix.next; i < len(ix.rows) && i <= ix.next+1; i++ {
		if ix.rows[i].DebtorID == debtor {
			ix.next = i
			return i, true
		}
	}
	i, ok := slices.BinarySearchFunc(ix.rows, debtor, func(r CohortRow, id int64) int { return cmp.Compare(r.DebtorID, id) })
	if ok {
		ix.next = i
	}
	return i, ok
}

// interner shares the few distinct values of a text column (arms, strata,
// countries, methods) instead of allocating one string per row.
type interner map[string]string

// str is get for a string the caller already has.
func (m interner) str(s string) string {
	if v, ok := m[s]; ok {
		return v
	}
	if len(m) <= 10_000 {
		m[s] = s
	}
	return s
}

func (m interner) get(b []byte) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	if len(m) > 10_000 { // not a repeated value after all: stop remembering
		return string(b)
	}
	s := string(b)
	m[s] = s
	return s
}

// parseModelDetail reads a model audit line's detail (written by the agent:
// provider, token counts, latency, cost_usd when the price table knew the model).
func parseModelDetail(detail []byte, c *CohortLLMCall) {
	var d struct {
		Provider         string   `json:"provider"`
		PromptTokens     int      `json:"prompt_tokens"`
		CompletionTokens int      `json:"completion_tokens"`
		CachedTokens     int      `json:"cached_tokens"`
		LatencyMS        int      `json:"latency_ms"`
		CostUSD          *float64 `json:"cost_usd"`
	}
	if json.Unmarshal(detail, &d) != nil {
		return
	}
	c.Provider, c.PromptTokens, c.CompletionTokens, c.CachedTokens, c.LatencyMS = d.Provider, d.PromptTokens, d.CompletionTokens, d.CachedTokens, d.LatencyMS
	if d.CostUSD != nil {
		c.CostUSD, c.Priced = *d.CostUSD, true
	}
}
