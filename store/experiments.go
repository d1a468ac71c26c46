package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/experiments"
)

// Filter is one eligibility condition of an experiment, such as SEGMENT=libranza,
// COUNTRY=CO, CURRENCY=COP, DPD>30 or BALANCE>=500000 (whole currency units).
type Filter struct {
	Field string // SEGMENT, COUNTRY, CURRENCY, DPD, BALANCE
	Op    string // = != > >= < <=; text fields take only = and !=
	Value string
}

func (f Filter) String() string { return f.Field + f.Op + f.Value }

// ParseFilter parses FIELD OP VALUE; text fields (SEGMENT, COUNTRY, CURRENCY)
// take = or !=, numbers (DPD, BALANCE) any comparison.
func ParseFilter(s string) (Filter, error) {
	i := strings.IndexAny(s, "=!<>")
	f := Filter{Field: strings.ToUpper(strings.TrimSpace(s[:max(i, 0)]))}
	if i > 0 {
		f.Op = s[i : i+1]
		if i+1 < len(s) && s[i+1] == '=' {
			f.Op += "="
		}
		f.Value = strings.TrimSpace(s[i+len(f.Op):])
	}
	_, numErr := strconv.ParseFloat(f.Value, 64)
	switch {
	case i <= 0 || f.Op == "!":
		return Filter{}, acuerdo.Errorf(acuerdo.EINVALID, "filter %q: write FIELD=VALUE or FIELD>NUMBER, e.g. SEGMENT=libranza or DPD>30", s)
	case f.Field == "SEGMENT" || f.Field == "COUNTRY" || f.Field == "CURRENCY":
		if f.Op != "=" && f.Op != "!=" {
			return Filter{}, acuerdo.Errorf(acuerdo.EINVALID, "filter %q: %s takes = or !=", s, f.Field)
		}
	case f.Field == "DPD" || f.Field == "BALANCE":
		if numErr != nil {
			return Filter{}, acuerdo.Errorf(acuerdo.EINVALID, "filter %q: %s needs a number", s, f.Field)
		}
	default:
		return Filter{}, acuerdo.Errorf(acuerdo.EINVALID, "filter %q: unknown field %s (SEGMENT, COUNTRY, CURRENCY, DPD, BALANCE)", s, f.Field)
	}
	return f, nil
}

func (f Filter) matchText(v string) bool { return strings.EqualFold(v, f.Value) == (f.Op == "=") }

func (f Filter) matchNum(v float64) bool {
	x, _ := strconv.ParseFloat(f.Value, 64)
	c := cmp.Compare(v, x)
	return map[string]bool{"=": c == 0, "!=": c != 0, ">": c > 0, ">=": c >= 0, "<": c < 0, "<=": c <= 0}[f.Op]
}

// NewExperiment is what creating an experiment needs.
type NewExperiment struct {
	Name      string
	Salt      string
	Treatment float64 // planned share of the treatment arm (when Arms is nil)
	// Arms are the planned arms, control first, with their variants; nil
	// means control and treatment with Treatment's share.
	Arms []acuerdo.Arm
	// Primary is the metric the pilot is decided on; Guardrails the metrics
	// that must not get worse.
	Primary     string
	Guardrails  []string
	Stratify    []string
	Filters     []Filter
	HorizonDays int
}

// Candidate is an eligible debtor as assignment sees it: days past due is the
// worst of their open accounts, balance the sum (minor units, −1 when unknown).
type Candidate struct {
	DebtorID    int64
	DaysPastDue int
	Balance     int64
}

// Created says what CreateExperiment did.
type Created struct {
	Experiment acuerdo.Experiment
	Currency   string
	Arms       map[string]int // debtors per arm
	Busy       int            // matched the filters but are in another running experiment
}

// running reports whether an experiment still observes its debtors: follow-up
// ends horizon days after assignment, and until then its debtors are not free
// for another experiment (two treatments at once would confound both).
func running(created time.Time, horizon int, now time.Time) bool {
	return now.Before(created.AddDate(0, 0, horizon))
}

// CreateExperiment selects the eligible debtors, has assign place them in arms
// and stores the experiment, its arms and every assignment in one transaction, so
// a debtor is assigned once and two creations cannot take the same debtor.
//
// Eligible: a debtor (not erased) with an open account in the experiment's
// currency, matching every filter, and in no running experiment. The experiment
// compares one currency: when eligible accounts span several, add a CURRENCY
// filter. A name already used is an ECONFLICT error.
func (db *DB) CreateExperiment(ctx context.Context, x NewExperiment, assign func([]Candidate) []acuerdo.Assignment) (Created, error) {
	now := db.now()
	out := Created{Arms: map[string]int{}}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// Who is busy in a running experiment is read, then assigned: two
		// experiments created at once on PostgreSQL take turns, so no debtor
		// lands in both.
		if err := db.txLock(ctx, tx, "experiments"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM experiments WHERE name = ?`, x.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return acuerdo.Errorf(acuerdo.ECONFLICT, "experiment %q exists: choose another name", x.Name)
		}
		busy, err := busyDebtors(ctx, tx, now)
		if err != nil {
			return err
		}
		cands, cur, nbusy, err := candidates(ctx, tx, x.Filters, busy)
		if err != nil {
			return err
		}
		out.Busy, out.Currency = nbusy, cur
		if len(cands) == 0 {
			return acuerdo.Errorf(acuerdo.EINVALID, "no eligible debtors (%d are in a running experiment): import a portfolio or relax the filters", nbusy)
		}
		filters := make([]string, len(x.Filters))
		for i, f := range x.Filters {
			filters[i] = f.String()
		}
		arms := x.Arms
		if arms == nil {
			arms = []acuerdo.Arm{{Name: acuerdo.ArmControl, Share: 1 - x.Treatment}, {Name: acuerdo.ArmTreatment, Share: x.Treatment}}
		}
		treated := 0.0
		for _, a := range arms {
			if a.Name != acuerdo.ArmControl {
				treated += a.Share
			}
		}
		e := acuerdo.Experiment{Name: x.Name, Salt: x.Salt, Treatment: treated, Stratify: x.Stratify, Filter: strings.Join(filters, " AND "),
			HorizonDays: x.HorizonDays, CreatedAt: now, Arms: arms, Primary: x.Primary, Guardrails: x.Guardrails}
		if err := tx.QueryRowContext(ctx, `INSERT INTO experiments (name, salt, treatment, stratify, filter, horizon_days, currency, created_at, primary_metric, guardrails)
			VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id`, e.Name, e.Salt, e.Treatment, strings.Join(e.Stratify, ","), e.Filter, e.HorizonDays, cur, now,
			e.Primary, strings.Join(e.Guardrails, ",")).Scan(&e.ID); err != nil {
			return fmt.Errorf("create experiment: %w", err)
		}
		for i, a := range e.Arms {
			variant := ""
			if !a.Variant.IsZero() {
				b, err := json.Marshal(a.Variant)
				if err != nil {
					return err
				}
				variant = string(b)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO experiment_arms (experiment_id, name, share, variant, position) VALUES (?,?,?,?,?)`,
				e.ID, a.Name, a.Share, variant, i); err != nil {
				return err
			}
		}
		byID := make(map[int64]Candidate, len(cands))
		for _, c := range cands {
			byID[c.DebtorID] = c
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO assignments (experiment_id, debtor_id, arm, bucket, stratum, assigned_at, placed, days_past_due) VALUES (?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, a := range assign(cands) {
			c, ok := byID[a.DebtorID]
			if !ok {
				return fmt.Errorf("create experiment: debtor %d was assigned but is not eligible", a.DebtorID)
			}
			var placed any
			if c.Balance >= 0 {
				placed = c.Balance
			}
			if _, err := ins.ExecContext(ctx, e.ID, a.DebtorID, a.Arm, a.Bucket, a.Stratum, now, placed, c.DaysPastDue); err != nil {
				return fmt.Errorf("assign debtor %d: %w", a.DebtorID, err)
			}
			out.Arms[a.Arm]++
		}
		out.Experiment = e
		return appendAudit(ctx, tx, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "experiment_create", Outcome: acuerdo.Allowed,
			Rule: "analyst_request", Detail: fmt.Sprintf("experiment %s: %d debtors", e.Name, len(cands))}, now)
	})
	return out, err
}

// busyDebtors are the debtors of running experiments.
func busyDebtors(ctx context.Context, tx *sql.Tx, now time.Time) (map[int64]bool, error) {
	busy := map[int64]bool{}
	return busy, scanRows(ctx, tx, func(r *sql.Rows) error {
		var id int64
		var created time.Time
		var h int
		err := r.Scan(&id, &created, &h)
		busy[id] = busy[id] || running(created, h, now)
		return err
	}, `SELECT s.debtor_id, e.created_at, e.horizon_days FROM assignments s JOIN experiments e ON e.id = s.experiment_id`)
}

// candidates applies the filters to every open account and sums each debtor's.
func candidates(ctx context.Context, tx *sql.Tx, filters []Filter, busy map[int64]bool) ([]Candidate, string, int, error) {
	type agg struct {
		Candidate
		cur   string
		known bool
	}
	var all []agg
	err := scanRows(ctx, tx, func(r *sql.Rows) error {
		var id int64
		var seg, country, cur string
		var bal, dpd sql.NullInt64
		if err := r.Scan(&id, &seg, &country, &cur, &bal, &dpd); err != nil {
			return err
		}
		for _, f := range filters {
			if v, ok := map[string]string{"SEGMENT": seg, "COUNTRY": country, "CURRENCY": cur}[f.Field]; ok && !f.matchText(v) {
				return nil
			}
		}
		if len(all) == 0 || all[len(all)-1].DebtorID != id {
			all = append(all, agg{Candidate: Candidate{DebtorID: id}, cur: cur})
		}
		a := &all[len(all)-1]
		if a.cur != cur {
			a.cur = "" // several currencies: resolved by a CURRENCY filter only
		}
		a.Balance, a.known = a.Balance+bal.Int64, a.known || bal.Valid
		a.DaysPastDue = max(a.DaysPastDue, int(dpd.Int64))
		return nil
	}, `SELECT d.id, d.segment, d.country, a.currency, a.balance, a.days_past_due
		FROM debtors d JOIN accounts a ON a.debtor_id = d.id
		WHERE a.status = ? AND d.phone NOT LIKE 'erased:%' ORDER BY d.id, a.id`, acuerdo.AccountOpen)
	if err != nil {
		return nil, "", 0, err
	}
	currencies := map[string]int{}
	var out []Candidate
	nbusy := 0
	for _, a := range all {
		if !a.known {
			a.Balance = -1
		}
		ok := true
		for _, f := range filters {
			switch f.Field {
			case "DPD":
				ok = ok && f.matchNum(float64(a.DaysPastDue))
			case "BALANCE":
				ok = ok && a.known && f.matchNum(float64(a.Balance)/math.Pow10(acuerdo.MinorDigits(a.cur)))
			}
		}
		switch {
		case !ok:
		case busy[a.DebtorID]:
			nbusy++
		default:
			currencies[a.cur]++
			out = append(out, a.Candidate)
		}
	}
	if len(currencies) > 1 || currencies[""] > 0 {
		names := slices.Sorted(maps.Keys(currencies))
		if names[0] == "" {
			names[0] = "(mixed)"
		}
		return nil, "", 0, acuerdo.Errorf(acuerdo.EINVALID, "eligible debtors owe in %s: an experiment compares one currency, add --filter CURRENCY=%s",
			strings.Join(names, ", "), names[len(names)-1])
	}
	for c := range currencies {
		return out, c, nbusy, nil
	}
	return out, "", nbusy, nil
}

// ExperimentInfo is an experiment with its arm counts.
type ExperimentInfo struct {
	acuerdo.Experiment
	Currency string
	Counts   map[string]int // debtors per arm
	Queued   int            // treatment debtors whose first contact was queued
	Skipped  int            // treatment debtors the last launch skipped (no consent, opted out)
}

// Running reports whether the experiment's follow-up is still going on at now.
func (x ExperimentInfo) Running(now time.Time) bool { return running(x.CreatedAt, x.HorizonDays, now) }

const experimentCols = `id, name, salt, treatment, stratify, filter, horizon_days, currency, created_at, launched_at, primary_metric, guardrails`

// Experiments returns every experiment, oldest first.
func (db *DB) Experiments(ctx context.Context) ([]ExperimentInfo, error) {
	return db.experiments(ctx, `SELECT `+experimentCols+` FROM experiments ORDER BY id`)
}

// ExperimentByName returns one experiment, or ENOTFOUND.
func (db *DB) ExperimentByName(ctx context.Context, name string) (ExperimentInfo, error) {
	x, err := db.experimentByName(ctx, name)
	if err != nil {
		return ExperimentInfo{}, err
	}
	return x, db.countArms(ctx, &x)
}

// experimentByName is ExperimentByName without the counts of its arms, which
// read every assignment (a second at a million debtors).
func (db *DB) experimentByName(ctx context.Context, name string) (ExperimentInfo, error) {
	xs, err := db.experimentRows(ctx, `SELECT `+experimentCols+` FROM experiments WHERE name = ?`, name)
	if err != nil {
		return ExperimentInfo{}, err
	}
	if len(xs) == 0 {
		return ExperimentInfo{}, acuerdo.Errorf(acuerdo.ENOTFOUND, "no experiment %q: see acuerdo experiment list", name)
	}
	return xs[0], nil
}

func (db *DB) experiments(ctx context.Context, q string, args ...any) ([]ExperimentInfo, error) {
	out, err := db.experimentRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := db.countArms(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// experimentRows reads experiments and their arms, without counts.
func (db *DB) experimentRows(ctx context.Context, q string, args ...any) ([]ExperimentInfo, error) {
	var out []ExperimentInfo
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		x := ExperimentInfo{Counts: map[string]int{}}
		var strat, guard string
		err := r.Scan(&x.ID, &x.Name, &x.Salt, &x.Treatment, &strat, &x.Filter, &x.HorizonDays, &x.Currency, &x.CreatedAt, &x.LaunchedAt, &x.Primary, &guard)
		if strat != "" {
			x.Stratify = strings.Split(strat, ",")
		}
		if guard != "" {
			x.Guardrails = strings.Split(guard, ",")
		}
		out = append(out, x)
		return err
	}, q, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		x := &out[i]
		if err := scanRows(ctx, db.read, func(r *sql.Rows) error {
			var a acuerdo.Arm
			var variant string
			if err := r.Scan(&a.Name, &a.Share, &variant); err != nil {
				return err
			}
			if variant != "" {
				if err := json.Unmarshal([]byte(variant), &a.Variant); err != nil {
					return fmt.Errorf("experiment %s arm %s: variant: %w", x.Name, a.Name, err)
				}
			}
			x.Arms = append(x.Arms, a)
			return nil
		}, `SELECT name, share, variant FROM experiment_arms WHERE experiment_id = ? ORDER BY position, name`, x.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// countArms fills x's debtors per arm, queued and skipped.
func (db *DB) countArms(ctx context.Context, x *ExperimentInfo) error {
	return scanRows(ctx, db.read, func(r *sql.Rows) error {
		var arm string
		var n, queued, skipped int
		err := r.Scan(&arm, &n, &queued, &skipped)
		x.Counts[arm], x.Queued, x.Skipped = n, x.Queued+queued, x.Skipped+skipped
		return err
	}, `SELECT arm, COUNT(*), COUNT(launched_at), SUM(CASE WHEN launch_note <> '' THEN 1 ELSE 0 END)
			FROM assignments WHERE experiment_id = ? GROUP BY arm`, x.ID)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanRows calls scan for each row of the query.
func scanRows(ctx context.Context, q querier, scan func(*sql.Rows) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LaunchTarget is a debtor of a contacted arm whose first contact is not
// queued yet, with the arm's variant (its first-contact template).
type LaunchTarget struct {
	DebtorID            int64
	Phone, Name, Locale string
	Arm                 string
	Variant             acuerdo.Variant
}

// Launched says what LaunchExperiment did.
type Launched struct {
	Queued  int            // first contacts queued by this launch
	Already int            // queued by an earlier launch
	Skipped map[string]int // not contacted, by reason: opted_out, no_consent
}

// launchBatch bounds one launch transaction: short enough not to hold the write
// lock from the engine for long, long enough that commits do not dominate.
const launchBatch = 500

// LaunchExperiment queues, for every treatment debtor not yet contacted, the
// message first(target) on their WhatsApp conversation (created if needed), and
// marks the assignment launched in the same transaction: a second launch, or
// two at once, never queues a debtor twice. The control arm is never read.
//
// Debtors who opted out or have no active consent are skipped up front rather
// than queued for the outbox to hold forever; the reason is kept on the
// assignment, and a later launch tries them again (a consent may arrive). The
// outbox still applies the whole contact policy (hours, caps) when it sends.
func (db *DB) LaunchExperiment(ctx context.Context, name string, first func(LaunchTarget) Outgoing) (Launched, error) {
	out := Launched{Skipped: map[string]int{}}
	x, err := db.ExperimentByName(ctx, name)
	if err != nil {
		return out, err
	}
	type target struct {
		LaunchTarget
		note string
	}
	variants := map[string]acuerdo.Variant{}
	for _, a := range x.Arms {
		variants[a.Name] = a.Variant
	}
	var ts []target
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var t target
		var consent, smsConsent, optedOut, launched bool
		if err := r.Scan(&t.DebtorID, &t.Phone, &t.Name, &t.Locale, &t.Arm, &consent, &smsConsent, &optedOut, &launched); err != nil {
			return err
		}
		t.Variant = variants[t.Arm]
		if t.Variant.Channel == acuerdo.ChannelSMS {
			consent = smsConsent // an SMS-first arm texts only those who agreed to SMS
		}
		switch {
		case launched:
			out.Already++
			return nil
		case optedOut:
			t.note = "opted_out"
		case !consent:
			t.note = "no_consent"
		}
		ts = append(ts, t)
		return nil
	}, `SELECT s.debtor_id, d.phone, d.name, d.locale, s.arm,
			EXISTS (SELECT 1 FROM consents c WHERE c.debtor_id = d.id AND c.channel = 'whatsapp' AND c.scope = 'collections' AND c.revoked_at IS NULL),
			EXISTS (SELECT 1 FROM consents c WHERE c.debtor_id = d.id AND c.channel = 'sms' AND c.scope = 'collections' AND c.revoked_at IS NULL),
			EXISTS (SELECT 1 FROM conversations v WHERE v.phone = d.phone AND v.opted_out),
			s.launched_at IS NOT NULL
		FROM assignments s JOIN debtors d ON d.id = s.debtor_id
		WHERE s.experiment_id = ? AND s.arm <> ? ORDER BY s.debtor_id`, x.ID, acuerdo.ArmControl)
	if err != nil {
		return out, fmt.Errorf("launch %s: %w", name, err)
	}
	now := db.now()
	for batch := range slices.Chunk(ts, launchBatch) {
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			for _, t := range batch {
				if t.note != "" {
					if _, err := tx.ExecContext(ctx, `UPDATE assignments SET launch_note = ? WHERE experiment_id = ? AND debtor_id = ? AND launched_at IS NULL`, t.note, x.ID, t.DebtorID); err != nil {
						return err
					}
					out.Skipped[t.note]++
					continue
				}
				res, err := tx.ExecContext(ctx, `UPDATE assignments SET launched_at = ?, launch_note = '' WHERE experiment_id = ? AND debtor_id = ? AND arm <> ? AND launched_at IS NULL`,
					now, x.ID, t.DebtorID, acuerdo.ArmControl)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					out.Already++ // a concurrent launch got there first
					continue
				}
				channel := acuerdo.ChannelWhatsApp
				if t.Variant.Channel == acuerdo.ChannelSMS {
					channel = acuerdo.ChannelSMS
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO conversations (debtor_id, phone, channel, locale, created_at, updated_at)
					VALUES (?,?,?,?,?,?) ON CONFLICT (channel, phone) DO NOTHING`, t.DebtorID, t.Phone, channel, t.Locale, now, now); err != nil {
					return err
				}
				var conv int64
				if err := tx.QueryRowContext(ctx, `SELECT id FROM conversations WHERE channel = ? AND phone = ?`, channel, t.Phone).Scan(&conv); err != nil {
					return err
				}
				if err := enqueue(ctx, tx, conv, t.Phone, channel, []Outgoing{first(t.LaunchTarget)}, now); err != nil {
					return err
				}
				out.Queued++
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("launch %s: %w", name, err)
		}
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE experiments SET launched_at = COALESCE(launched_at, ?) WHERE id = ?`, now, x.ID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "experiment_launch", Outcome: acuerdo.Allowed, Rule: "analyst_request",
			Detail: fmt.Sprintf("experiment %s: %d queued, %d already, %d skipped", name, out.Queued, out.Already, out.Skipped["opted_out"]+out.Skipped["no_consent"])}, now)
	})
	return out, err
}

// Rollout makes an arm of an experiment the default for a segment, keeping a
// randomised holdout.
type Rollout struct {
	Experiment string
	Salt       string
	Segment    string // a days-past-due band such as dpd_031_060, or "" for every debtor
	Arm        string
	Variant    acuerdo.Variant
	Holdout    float64
	CreatedAt  time.Time
}

// AddRollout records a rollout of arm for segment (replacing an earlier one
// of the same segment), after checking the arm exists and is not control.
func (db *DB) AddRollout(ctx context.Context, name, arm, segment string, holdout float64) (Rollout, error) {
	x, err := db.ExperimentByName(ctx, name)
	if err != nil {
		return Rollout{}, err
	}
	r := Rollout{Experiment: name, Salt: x.Salt, Segment: segment, Arm: arm, Holdout: holdout, CreatedAt: db.now()}
	found := false
	var names []string
	for _, a := range x.Arms {
		names = append(names, a.Name)
		if a.Name == arm {
			found, r.Variant = true, a.Variant
		}
	}
	switch {
	case !found:
		return r, acuerdo.Errorf(acuerdo.EINVALID, "experiment %s has no arm %q (arms: %s)", name, arm, strings.Join(names, ", "))
	case arm == acuerdo.ArmControl:
		return r, acuerdo.Errorf(acuerdo.EINVALID, "control is business as usual: roll out one of the other arms")
	case !(holdout > 0 && holdout < 1):
		return r, acuerdo.Errorf(acuerdo.EINVALID, "holdout %g must be between 0 and 1 (e.g. 0.1), so measurement continues", holdout)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO experiment_rollouts (experiment_id, segment, arm, holdout, created_at) VALUES (?,?,?,?,?)`,
			x.ID, segment, arm, holdout, r.CreatedAt); err != nil {
			return err
		}
		return appendAudit(ctx, tx, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "experiment_rollout", Outcome: acuerdo.Allowed, Rule: "analyst_request",
			Detail: fmt.Sprintf("experiment %s: arm %s is the default for %s, holdout %.0f%%", name, arm, orAll(segment), 100*holdout)}, r.CreatedAt)
	})
	return r, err
}

func orAll(segment string) string {
	if segment == "" {
		return "every debtor"
	}
	return segment
}

// Rollouts are the rollouts in force, newest first.
func (db *DB) Rollouts(ctx context.Context) ([]Rollout, error) {
	var out []Rollout
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		var ro Rollout
		var variant string
		var at scanTime
		if err := r.Scan(&ro.Experiment, &ro.Salt, &ro.Segment, &ro.Arm, &ro.Holdout, &at, &variant); err != nil {
			return err
		}
		ro.CreatedAt = at.Time
		if variant != "" {
			if err := json.Unmarshal([]byte(variant), &ro.Variant); err != nil {
				return err
			}
		}
		out = append(out, ro)
		return nil
	}, `SELECT x.name, x.salt, r.segment, r.arm, r.holdout, r.created_at, COALESCE(a.variant, '') FROM experiment_rollouts r
		JOIN experiments x ON x.id = r.experiment_id
		LEFT JOIN experiment_arms a ON a.experiment_id = r.experiment_id AND a.name = r.arm
		ORDER BY r.id DESC`)
	return out, err
}

// DebtorVariant is how acuerdo should contact a debtor: the variant of their
// arm in the most recent experiment that still follows them (control and the
// classic treatment change nothing); otherwise, what the newest rollout for
// the debtor's days-past-due band (or for everyone) made the default, unless
// the debtor falls in that rollout's holdout (arm "holdout", no variant). The
// engine, the scheduler and the agent ask before every contact, so a variant
// is applied wherever the debtor is reached, not only at launch.
func (db *DB) DebtorVariant(ctx context.Context, debtorID int64) (acuerdo.Variant, string, error) {
	now := db.now()
	var v acuerdo.Variant
	arm := ""
	found := false
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		if found {
			return nil
		}
		var created time.Time
		var horizon int
		var a, variant string
		if err := r.Scan(&created, &horizon, &a, &variant); err != nil {
			return err
		}
		if !running(created, horizon, now) {
			return nil
		}
		found, arm = true, a
		if variant != "" {
			return json.Unmarshal([]byte(variant), &v)
		}
		return nil
	}, `SELECT x.created_at, x.horizon_days, s.arm, COALESCE(ea.variant, '') FROM assignments s
		JOIN experiments x ON x.id = s.experiment_id
		LEFT JOIN experiment_arms ea ON ea.experiment_id = s.experiment_id AND ea.name = s.arm
		WHERE s.debtor_id = ? ORDER BY x.id DESC`, debtorID)
	if err != nil || found {
		return v, arm, err
	}
	ros, err := db.Rollouts(ctx)
	if err != nil || len(ros) == 0 {
		return v, arm, err
	}
	var dpd sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MAX(days_past_due) FROM accounts WHERE debtor_id = ? AND status = ?`, debtorID, acuerdo.AccountOpen).Scan(&dpd); err != nil {
		return v, arm, err
	}
	v, arm = rolloutVariant(ros, int(dpd.Int64), debtorID)
	return v, arm, nil
}

// rolloutVariant is what the newest of the rollouts (newest first) for a
// debtor's days-past-due band, or for everyone, makes their default: its
// arm's variant, or the holdout's nothing; no arm when none applies.
func rolloutVariant(ros []Rollout, daysPastDue int, debtorID int64) (acuerdo.Variant, string) {
	band := experiments.DPDBand(daysPastDue)
	for _, ro := range ros {
		if ro.Segment != "" && ro.Segment != band {
			continue
		}
		if a := experiments.RolloutArm(ro.Salt, ro.Segment, ro.Holdout, ro.Arm, debtorID); a != ro.Arm {
			return acuerdo.Variant{}, a
		}
		return ro.Variant, ro.Arm
	}
	return acuerdo.Variant{}, ""
}

// ArmVariant is a debtor's arm and the variant it contacts them with, as
// DebtorVariant returns them.
type ArmVariant struct {
	Variant acuerdo.Variant
	Arm     string
}

// DebtorVariants is DebtorVariant for many debtors, for a round of
// business-initiated sends: one query for their assignments and, for those no
// running experiment follows, when rollouts are in force, one for the
// rollouts and one for their days past due. A debtor with neither has the
// zero ArmVariant (and may be missing from the map).
func (db *DB) DebtorVariants(ctx context.Context, debtorIDs []int64) (map[int64]ArmVariant, error) {
	out := make(map[int64]ArmVariant, len(debtorIDs))
	if len(debtorIDs) == 0 {
		return out, nil
	}
	now := db.now()
	found := map[int64]bool{}
	in, args := inList(debtorIDs)
	// Each debtor's rows come newest experiment first; the first running one is theirs.
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var created time.Time
		var horizon int
		var a, variant string
		if err := r.Scan(&id, &created, &horizon, &a, &variant); err != nil {
			return err
		}
		if found[id] || !running(created, horizon, now) {
			return nil
		}
		found[id] = true
		av := ArmVariant{Arm: a}
		if variant != "" {
			if err := json.Unmarshal([]byte(variant), &av.Variant); err != nil {
				return err
			}
		}
		out[id] = av
		return nil
	}, `SELECT s.debtor_id, x.created_at, x.horizon_days, s.arm, COALESCE(ea.variant, '') FROM assignments s
		JOIN experiments x ON x.id = s.experiment_id
		LEFT JOIN experiment_arms ea ON ea.experiment_id = s.experiment_id AND ea.name = s.arm
		WHERE s.debtor_id IN `+in+` ORDER BY s.debtor_id, x.id DESC`, args...)
	if err != nil {
		return out, err
	}
	var rest []int64
	for _, id := range debtorIDs {
		if !found[id] {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return out, nil
	}
	ros, err := db.Rollouts(ctx)
	if err != nil || len(ros) == 0 {
		return out, err
	}
	dpd := map[int64]int{}
	in, args = inList(rest, acuerdo.AccountOpen)
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var n sql.NullInt64
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		dpd[id] = int(n.Int64)
		return nil
	}, `SELECT debtor_id, MAX(days_past_due) FROM accounts WHERE status = ? AND debtor_id IN `+in+` GROUP BY debtor_id`, args...)
	if err != nil {
		return out, err
	}
	for _, id := range rest {
		v, arm := rolloutVariant(ros, dpd[id], id)
		out[id] = ArmVariant{Variant: v, Arm: arm}
	}
	return out, nil
}
