// Package pilot builds a pilot's report from the store: it reads an
// experiment's cohort and payments (store.ExperimentData), turns them into the
// experiments package's columns and runs its statistics. It exists so that the
// command line ("acuerdo report") and the analyst dashboard compute exactly the
// same numbers and write exactly the same exports.
package pilot

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/store"
)

// Options are the report's knobs.
type Options struct {
	// FX is experiment-currency units per USD, to count LLM cost in net
	// recovery and cost to collect; 0 leaves cost in USD only.
	FX float64
	// Resamples is the bootstrap's; below 100 uses experiments.DefaultBootstrap.
	Resamples int
	// Level is the confidence level of the Kaplan–Meier bands (default 0.95).
	Level float64
	// Prices price template messages and operator time; nil is DefaultPrices.
	Prices *Prices
}

// Report is one computed report and what it was computed from.
type Report struct {
	Data     store.ExperimentData
	AsOf     time.Time
	Cohort   *experiments.Cohort
	Payments *experiments.Payments
	SRM      experiments.SRMResult
	Results  []experiments.Result
	// Curves are time to first payment per arm, indexed by experiments.Control
	// and experiments.Treatment.
	Curves [2]*experiments.KMCurve
	// Funnel is how far each arm's debtors got with the agent.
	Funnel []store.Funnel
	// CostCounted says whether cost entered net recovery and cost to collect
	// (an exchange rate was given); without it those metrics count no cost.
	CostCounted bool
	// Costs are each debtor's costs in USD, by component, parallel to Data.Rows.
	Costs []DebtorCost
	// Unpriced counts template messages no price row covered (priced at 0).
	Unpriced int
}

const day = 24 * time.Hour

// ErrEmpty is Build's answer for an experiment nobody was assigned to: there
// is nothing to report.
var ErrEmpty = errors.New("no assigned debtors")

// Source is what Build reads of the database (*store.DB on either backend).
type Source interface {
	ExperimentData(ctx context.Context, name string, asOf time.Time) (store.ExperimentData, error)
	ExperimentFunnel(ctx context.Context, name string, asOf time.Time) ([]store.Funnel, error)
}

var _ Source = (*store.DB)(nil)

// Build reads the experiment as of asOf and runs experiments.Report on it. An
// unknown experiment is acuerdo.ENOTFOUND.
func Build(ctx context.Context, db Source, name string, asOf time.Time, o Options) (*Report, error) {
	data, err := db.ExperimentData(ctx, name, asOf)
	if err != nil {
		return nil, err
	}
	r, err := Compute(data, asOf, o)
	if err != nil {
		return nil, err
	}
	if r.Funnel, err = db.ExperimentFunnel(ctx, name, asOf); err != nil {
		return nil, err
	}
	rc := experiments.RowContext{Experiment: name, AsOf: asOf, SRMP: r.SRM.P}
	r.Results = append(r.Results, FunnelRows(rc, r.Funnel)...)
	return r, nil
}

// Compute is the report of data as of asOf, everything but the funnel (which
// Build reads from the store): the statistics, costs and scenarios.
func Compute(data store.ExperimentData, asOf time.Time, o Options) (*Report, error) {
	if o.Resamples < 100 {
		o.Resamples = experiments.DefaultBootstrap.Resamples
	}
	if o.Level <= 0 || o.Level >= 1 {
		o.Level = 0.95
	}
	name := data.Name
	if len(data.Rows) == 0 {
		return nil, fmt.Errorf("experiment %s: %w", name, ErrEmpty)
	}
	var err error
	r := &Report{Data: data, AsOf: asOf, CostCounted: o.FX > 0}
	prices := DefaultPrices()
	if o.Prices != nil {
		prices = *o.Prices
	}
	r.Costs, r.Unpriced = costsOf(data, prices, templateCategory)
	r.Cohort, r.Payments = cohortOf(data, r.Costs, asOf, o.FX)
	in := experiments.ReportInput{Experiment: name, AsOf: asOf, TreatmentShare: data.Treatment, Shares: sharesOf(data.Arms), Cohort: r.Cohort, Payments: r.Payments,
		Days: ReportDays(data.HorizonDays), Bootstrap: experiments.BootstrapConfig{Resamples: o.Resamples, Seed: 1}}
	if r.Results, err = experiments.Report(in); err != nil {
		return nil, err
	}
	labelMoney(r.Results, data.Currency)
	r.SRM = SRMOf(data.Counts, data.Arms)

	// Costs in USD, whatever FX says: numbers that need no exchange rate.
	// They are arm means with normal intervals (a ratio of sums over x = 1 is
	// a mean, and its delta-method SE is sd/√n): with thousands of debtors per
	// arm the bootstrap adds nothing here but minutes on a million debtors.
	rc := experiments.RowContext{Experiment: name, AsOf: asOf, SRMP: r.SRM.P}
	pairs := experiments.Pairs(r.Cohort, r.Payments)
	var extra []experiments.Result
	for j, pr := range pairs {
		var rows []experiments.Result
		ones := make([]float64, len(pr.Rows))
		col := make([]float64, len(pr.Rows))
		for i := range ones {
			ones[i] = 1
		}
		for _, m := range []struct {
			metric string
			get    func(DebtorCost) float64
		}{
			{"llm_cost_usd_per_debtor", func(c DebtorCost) float64 { return c.LLMUSD }},
			{"template_cost_usd_per_debtor", func(c DebtorCost) float64 { return c.TemplateUSD }},
			{"operator_minutes_per_debtor", func(c DebtorCost) float64 { return c.OperatorMinutes }},
			{"operator_cost_usd_per_debtor", func(c DebtorCost) float64 { return c.OperatorUSD }},
			{"cost_usd_per_debtor", DebtorCost.Total},
		} {
			for i, row := range pr.Rows {
				col[i] = m.get(r.Costs[row])
			}
			cmp, _ := experiments.CompareRatio(pr.Cohort.Arm, col, ones, nil, nil, nil, 0.95)
			cmp.Method = "arm means, normal interval (delta method)"
			rows = append(rows, rc.ComparisonRows(m.metric, cmp)...)
		}
		rows = append(rows, ScenarioRows(rc, r.Cohort, r.Payments, data, pr.Index)...)
		extra = append(extra, experiments.RelabelPair(rows, pr.Name, j == 0)...)
	}
	extra = append(extra, segmentRows(rc, r.Cohort, r.Payments, data)...)
	experiments.AdjustHolm(extra)
	r.Results = append(r.Results, extra...)

	if len(pairs) > 0 {
		first, paid := experiments.TimeToFirstPayment(pairs[0].Cohort, pairs[0].Payments)
		r.Curves = experiments.KaplanMeierByArm(pairs[0].Cohort.Arm, first, paid, o.Level)
	}
	return r, nil
}

// FunnelRows are the funnel as results rows: each stage's share of the arm's
// assigned debtors with a Wilson 95 % interval (useful escalations as a share of
// the escalations operators judged; satisfaction as the mean rating).
func FunnelRows(rc experiments.RowContext, fs []store.Funnel) []experiments.Result {
	var out []experiments.Result
	nan := math.NaN()
	row := func(metric, arm string, n int, est, lo, hi float64, method string) {
		out = append(out, experiments.Result{Experiment: rc.Experiment, Metric: metric, Arm: arm, N: n, Estimate: est,
			LiftAbs: nan, LiftRel: nan, CILow: lo, CIHigh: hi, PValue: nan, PAdjusted: nan, Method: method, SRMP: rc.SRMP, AsOf: rc.AsOf})
	}
	for _, f := range fs {
		for _, st := range []struct {
			name   string
			k, n   int
			method string
		}{
			{"funnel_reached", f.Reached, f.Assigned, "share of assigned, Wilson"},
			{"funnel_verified", f.Verified, f.Assigned, "share of assigned, Wilson"},
			{"funnel_promised", f.Promised, f.Assigned, "share of assigned, Wilson"},
			{"funnel_kept", f.Kept, f.Assigned, "share of assigned, Wilson"},
			{"funnel_opted_out", f.OptedOut, f.Assigned, "share of assigned, Wilson"},
			{"funnel_escalated", f.Escalated, f.Assigned, "share of assigned, Wilson"},
			{"funnel_useful_escalations", f.Useful, f.Judged, "share of judged escalations, Wilson"},
		} {
			p, lo, hi := wilson(st.k, st.n)
			row(st.name, f.Arm, st.n, p, lo, hi, st.method)
		}
		mean := nan
		if f.Rated > 0 {
			mean = f.RatingMean
		}
		row("satisfaction_mean", f.Arm, f.Rated, mean, nan, nan, "mean rating 1-5")
	}
	return out
}

// wilson is a proportion with its Wilson score 95 % interval, which stays
// inside [0, 1] and behaves at 0 and n; NaN when there is no denominator.
func wilson(k, n int) (p, lo, hi float64) {
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	const z = 1.959963984540054
	nf := float64(n)
	p = float64(k) / nf
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return p, max(0, c-h), min(1, c+h)
}

// SRMOf is the sample-ratio check of an experiment's arm counts against its
// planned shares, over all arms (k − 1 degrees of freedom).
func SRMOf(counts map[string]int, arms []acuerdo.Arm) experiments.SRMResult {
	n := make([]int, len(arms))
	shares := make([]float64, len(arms))
	for i, a := range arms {
		n[i], shares[i] = counts[a.Name], a.Share
	}
	return experiments.SRM(n, shares)
}

// ReportDays are the days liquidation and share paid are read at: 30, 60 and
// 90 as DESIGN §5 says, but none past the horizon (never observed) and the
// horizon itself, which is also the RMST's.
func ReportDays(horizon int) []int {
	var days []int
	for _, d := range []int{30, 60, 90} {
		if d < horizon {
			days = append(days, d)
		}
	}
	return append(days, horizon)
}

// wholeDays is the number of whole days from a to b, never negative.
func wholeDays(a, b time.Time) int { return max(0, int(b.Sub(a)/day)) }

// cohortOf turns the store's rows into the experiments package's columns.
func cohortOf(data store.ExperimentData, costs []DebtorCost, asOf time.Time, fx float64) (*experiments.Cohort, *experiments.Payments) {
	n := len(data.Rows)
	c := &experiments.Cohort{Arm: make([]uint8, n), Stratum: make([]int32, n), Placed: make([]float64, n), Cost: make([]float64, n),
		FollowUp: make([]int32, n), CovariateNames: []string{"balance", "prior_payments"}}
	bal, prior := make([]float64, n), make([]float64, n)
	c.Covariates = [][]float64{bal, prior}
	strata := map[string]int32{}
	minor := math.Pow10(acuerdo.MinorDigits(data.Currency))
	index := map[string]uint8{}
	arms := data.Arms
	if len(arms) == 0 {
		arms = []acuerdo.Arm{{Name: acuerdo.ArmControl}, {Name: acuerdo.ArmTreatment}}
	}
	for i, a := range arms {
		index[a.Name] = uint8(i)
		c.ArmNames = append(c.ArmNames, a.Name)
	}
	for i, row := range data.Rows {
		c.Arm[i] = index[row.Arm]
		s, ok := strata[row.Stratum]
		if !ok {
			s = int32(len(c.Strata))
			strata[row.Stratum] = s
			c.Strata = append(c.Strata, row.Stratum)
		}
		c.Stratum[i] = s
		// An unknown balance places nothing; its covariate is missing, not zero.
		bal[i] = math.NaN()
		if row.Placed >= 0 {
			c.Placed[i], bal[i] = float64(row.Placed), float64(row.Placed)
		}
		prior[i] = float64(row.Prior)
		c.Cost[i] = math.Round(costs[i].Total() * fx * minor)
		c.FollowUp[i] = int32(min(data.HorizonDays, wholeDays(row.AssignedAt, asOf)))
	}
	p := &experiments.Payments{}
	for _, pay := range data.Payments {
		p.Unit = append(p.Unit, int32(pay.Row))
		p.Day = append(p.Day, int32(paymentDay(data.Rows[pay.Row].AssignedAt, pay.PaidAt)))
		p.Amount = append(p.Amount, float64(pay.Amount))
	}
	return c, p
}

// paymentDay is the 1-based day since assignment: the first 24 hours are day 1.
func paymentDay(assigned, paid time.Time) int { return wholeDays(assigned, paid) + 1 }

// sharesOf is the planned shares of the arms, in their order.
func sharesOf(arms []acuerdo.Arm) []float64 {
	out := make([]float64, len(arms))
	for i, a := range arms {
		out[i] = a.Share
	}
	return out
}

// labelMoney marks the rows that are money in minor units of the experiment's
// currency, so results.csv also writes them in major units with their label.
func labelMoney(rs []experiments.Result, currency string) {
	for i := range rs {
		if experiments.MoneyMetrics[rs[i].Metric] && rs[i].Arm != experiments.ArmRelative {
			rs[i].Currency = currency
		}
	}
}

// segmentRows are the exploratory per-segment lifts of liquidation at the
// last report day everyone has reached: by days-past-due band, balance
// tercile, country and portfolio segment.
func segmentRows(rc experiments.RowContext, c *experiments.Cohort, p *experiments.Payments, data store.ExperimentData) []experiments.Result {
	day := 0
	for _, f := range c.FollowUp {
		day = max(day, int(f))
	}
	day = min(day, data.HorizonDays)
	if day < 1 {
		return nil
	}
	n := len(data.Rows)
	dpd, bal, country, segment := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	placed := make([]int64, n)
	for i, row := range data.Rows {
		placed[i] = row.Placed
	}
	cuts := experiments.BalanceCuts(placed, 3)
	// One label per distinct country and segment, not one string per debtor.
	labels := map[string]string{"": ""}
	label := func(prefix, v string) string {
		if v == "" {
			return ""
		}
		l, ok := labels[prefix+v]
		if !ok {
			l = prefix + v
			labels[l] = l
		}
		return l
	}
	for i, row := range data.Rows {
		dpd[i] = experiments.DPDBand(row.DaysPastDue)
		bal[i] = experiments.BalanceBand(row.Placed, cuts)
		country[i], segment[i] = label("country_", row.Country), label("segment_", row.Segment)
	}
	var out []experiments.Result
	for _, labels := range [][]string{dpd, bal, country, segment} {
		out = append(out, experiments.SegmentRows(rc, c, p, day, labels, 0.95)...)
	}
	return out
}
