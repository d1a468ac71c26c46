package experiments

import (
	"encoding/json"

	"acuerdo"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Result is one row of the report's results table (DESIGN §3). Per metric there is
// a row per arm ("control", "treatment": the arm's estimate and its interval) and
// comparison rows: "difference" (treatment − control, its interval and p-value) and
// "relative" (treatment / control − 1). LiftAbs and LiftRel are repeated on the
// treatment and comparison rows. NaN means not defined; Method says why.
type Result struct {
	Experiment string    `json:"experiment"`
	Metric     string    `json:"metric"`
	Arm        string    `json:"arm"`
	N          int       `json:"n"`
	Estimate   float64   `json:"estimate"`
	LiftAbs    float64   `json:"lift_abs"`
	LiftRel    float64   `json:"lift_rel"`
	CILow      float64   `json:"ci_low"`
	CIHigh     float64   `json:"ci_high"`
	PValue     float64   `json:"p_value"`
	Method     string    `json:"method"`
	CUPED      bool      `json:"cuped"`
	SRMP       float64   `json:"srm_p"`
	AsOf       time.Time `json:"as_of"`
	// Currency is set on rows whose estimate and interval are money in minor
	// units of it (recovery per debtor); the CSV then also gives them in major
	// units, labelled, so nobody reads centavos as pesos.
	Currency string `json:"currency,omitempty"`
	// PAdjusted is the p-value adjusted for every comparison of its family
	// (Holm: the arms against control, and the segments of a segment row).
	PAdjusted float64 `json:"p_adjusted"`
	// Segment is "" for the whole pilot, or the segment a row is restricted
	// to (dpd_031_060, bal_q2, country_CO, segment_libranza): exploratory.
	Segment string `json:"segment,omitempty"`
}

// MoneyMetrics are the metrics whose arm and difference rows are money in minor
// units; their relative rows are ratios.
var MoneyMetrics = map[string]bool{"recovery_per_debtor": true, "net_recovery_per_debtor": true}

// Comparison-row arm labels.
const (
	ArmDifference = "difference"
	ArmRelative   = "relative"
	ArmAll        = "all"
)

// Columns is the header of the results table, in order.
// Columns added after the first release go at the end, so readers by position
// keep working.
var Columns = []string{"experiment", "metric", "arm", "n", "estimate", "lift_abs", "lift_rel", "ci_low", "ci_high", "p_value", "method", "cuped", "srm_p", "as_of",
	"unit", "estimate_major", "ci_low_major", "ci_high_major", "p_adjusted", "segment"}

func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', 10, 64)
}

func jnum(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return f
}

// Record renders the row as CSV cells in Columns order: NaN is an empty cell, the
// as-of time RFC 3339 in UTC.
func (r Result) Record() []string {
	unit, est, lo, hi := r.major()
	return []string{r.Experiment, r.Metric, r.Arm, strconv.Itoa(r.N), num(r.Estimate), num(r.LiftAbs), num(r.LiftRel),
		num(r.CILow), num(r.CIHigh), num(r.PValue), r.Method, strconv.FormatBool(r.CUPED), num(r.SRMP), r.AsOf.UTC().Format(time.RFC3339),
		unit, num(est), num(lo), num(hi), num(r.PAdjusted), r.Segment}
}

// major is the row's unit label and its estimate and interval in major units of
// the currency ("COP" for pesos, not centavos); NaN and "" when the row is not
// money.
func (r Result) major() (unit string, est, lo, hi float64) {
	if r.Currency == "" {
		return "", math.NaN(), math.NaN(), math.NaN()
	}
	d := math.Pow10(acuerdo.MinorDigits(r.Currency))
	return r.Currency, r.Estimate / d, r.CILow / d, r.CIHigh / d
}

// MarshalJSON writes NaN as null, which encoding/json cannot do by itself.
func (r Result) MarshalJSON() ([]byte, error) {
	unit, est, lo, hi := r.major()
	return json.Marshal(map[string]any{
		"experiment": r.Experiment, "metric": r.Metric, "arm": r.Arm, "n": r.N,
		"estimate": jnum(r.Estimate), "lift_abs": jnum(r.LiftAbs), "lift_rel": jnum(r.LiftRel),
		"ci_low": jnum(r.CILow), "ci_high": jnum(r.CIHigh), "p_value": jnum(r.PValue),
		"method": r.Method, "cuped": r.CUPED, "srm_p": jnum(r.SRMP), "as_of": r.AsOf.UTC(),
		"unit": unit, "estimate_major": jnum(est), "ci_low_major": jnum(lo), "ci_high_major": jnum(hi),
		"p_adjusted": jnum(r.PAdjusted), "segment": r.Segment,
	})
}

// RowContext is what every row of one report shares.
type RowContext struct {
	Experiment string
	AsOf       time.Time
	SRMP       float64
	ArmNames   []string // by arm index; nil: control, treatment
}

func (rc RowContext) row(metric, arm string, e Estimate, method string, cuped bool) Result {
	return Result{Experiment: rc.Experiment, Metric: metric, Arm: arm, N: e.N, Estimate: e.Value,
		LiftAbs: math.NaN(), LiftRel: math.NaN(), CILow: e.Low, CIHigh: e.High, PValue: math.NaN(), PAdjusted: math.NaN(),
		Method: method, CUPED: cuped, SRMP: rc.SRMP, AsOf: rc.AsOf}
}

// ComparisonRows renders a Comparison as control, treatment, difference and
// relative rows.
func (rc RowContext) ComparisonRows(metric string, c Comparison) []Result {
	method := c.Method
	if len(c.Covariates) > 0 {
		method += fmt.Sprintf(" covariates=%v", c.Covariates)
	}
	ctrl := rc.row(metric, "control", c.Control, method, c.CUPED)
	treat := rc.row(metric, "treatment", c.Treatment, method, c.CUPED)
	diff := rc.row(metric, ArmDifference, c.Diff, method, c.CUPED)
	rel := rc.row(metric, ArmRelative, c.Rel, method, c.CUPED)
	for _, r := range []*Result{&treat, &diff, &rel} {
		r.LiftAbs, r.LiftRel = c.Diff.Value, c.Rel.Value
	}
	diff.PValue, rel.PValue = c.P, c.P
	if !math.IsNaN(rel.CILow) || !math.IsNaN(rel.Estimate) {
		rel.Method += "; relative ci: fieller"
	}
	return []Result{ctrl, treat, diff, rel}
}

// SRMRows are one row per arm: the observed share of debtors against the plan, and
// the SRM p-value in both p_value and srm_p.
func (rc RowContext) SRMRows(s SRMResult) []Result {
	var out []Result
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	for a, c := range s.Counts {
		e := Estimate{N: c, Value: float64(c) / float64(n), Low: math.NaN(), High: math.NaN()}
		name := ArmName(uint8(a))
		if a < len(rc.ArmNames) {
			name = rc.ArmNames[a]
		}
		r := rc.row("sample_ratio", name, e, fmt.Sprintf("chi-square gof df=%d expected=%.1f", s.DF, s.Expected[a]), false)
		r.PValue = s.P
		if s.Flag {
			r.Method += " SRM: split differs from plan, distrust all metrics"
		}
		out = append(out, r)
	}
	return out
}

// SurvivalRows are the time-to-first-payment rows: share paid by each day, the
// restricted mean time to pay up to tau, the median per arm (NaN and "not reached"
// where S never reaches 0.5) and the log-rank test.
func (rc RowContext) SurvivalRows(km [2]*KMCurve, days []int, tau int, level float64) []Result {
	var out []Result
	for _, d := range days {
		c := compareEstimates(km[0].SharePaid(d), km[1].SharePaid(d), level,
			"kaplan-meier; arm ci: greenwood log-log; difference: greenwood normal")
		out = append(out, rc.ComparisonRows(fmt.Sprintf("share_paid_d%d", d), c)...)
	}
	c := compareEstimates(km[0].RMST(tau), km[1].RMST(tau), level, "kaplan-meier rmst; greenwood-type variance")
	out = append(out, rc.ComparisonRows(fmt.Sprintf("rmst_days_to_pay_tau%d", tau), c)...)
	for a := range 2 {
		e := Estimate{N: km[a].N, Value: math.NaN(), Low: math.NaN(), High: math.NaN()}
		method := "kaplan-meier median: not reached"
		if d, ok := km[a].Median(); ok {
			e.Value, method = float64(d), "kaplan-meier median"
		}
		out = append(out, rc.row("median_days_to_pay", ArmName(uint8(a)), e, method, false))
	}
	lr := LogRank(km[1], km[0])
	r := rc.row("logrank_time_to_pay", ArmDifference, Estimate{N: km[0].N + km[1].N, Value: lr.ChiSq, Low: math.NaN(), High: math.NaN()},
		fmt.Sprintf("log-rank chi-square df=1; treatment observed=%g expected=%.3f", lr.Observed, lr.Expected), false)
	r.PValue = lr.P
	return append(out, r)
}
