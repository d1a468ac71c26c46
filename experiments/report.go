package experiments

import (
	"fmt"
	"time"
)

// ReportInput is everything one report needs; the store fills Cohort and Payments.
type ReportInput struct {
	Experiment     string
	AsOf           time.Time
	TreatmentShare float64 // planned share of treatment (two arms)
	// Shares are the planned shares by arm index when the cohort has more
	// than the two classic arms (Cohort.ArmNames); nil: TreatmentShare.
	Shares    []float64
	Cohort    *Cohort
	Payments  *Payments
	Days      []int // liquidation and share-paid days; nil: 30, 60, 90
	Tau       int   // RMST horizon in days; 0: the last of Days
	Level     float64
	Bootstrap BootstrapConfig // zero Resamples: DefaultBootstrap
}

// Report computes every metric of §5 and returns the results rows in a fixed order:
// sample ratio, liquidation rate per day (plain, then CUPED), recovery per debtor,
// net recovery per debtor, cost to collect, then time to first payment.
func Report(in ReportInput) ([]Result, error) {
	c, p := in.Cohort, in.Payments
	if c == nil || p == nil {
		return nil, fmt.Errorf("report %s: no cohort or payments", in.Experiment)
	}
	if err := c.Validate(p); err != nil {
		return nil, fmt.Errorf("report %s: %w", in.Experiment, err)
	}
	days := in.Days
	if days == nil {
		days = []int{30, 60, 90}
	}
	tau := in.Tau
	if tau == 0 && len(days) > 0 {
		tau = days[len(days)-1]
	}
	level := in.Level
	if level == 0 {
		level = 0.95
	}
	boot := in.Bootstrap
	if boot.Resamples == 0 {
		boot = DefaultBootstrap
	}

	names := c.ArmNamesOf()
	shares := in.Shares
	if shares == nil {
		shares = []float64{1 - in.TreatmentShare, in.TreatmentShare}
	}
	if len(shares) != len(names) {
		return nil, fmt.Errorf("report %s: %d planned shares for %d arms", in.Experiment, len(shares), len(names))
	}
	srm := SRM(CountArms(c.Arm, len(names)), shares)
	rc := RowContext{Experiment: in.Experiment, AsOf: in.AsOf, SRMP: srm.P, ArmNames: names}
	out := rc.SRMRows(srm)
	for j, pr := range Pairs(c, p) {
		rows := pairRows(rc, pr.Cohort, pr.Payments, days, tau, level, boot)
		out = append(out, RelabelPair(rows, pr.Name, j == 0)...)
	}
	AdjustHolm(out)
	return out, nil
}

// pairRows are the comparison rows of a two-arm cohort (control 0, treatment 1).
func pairRows(rc RowContext, c *Cohort, p *Payments, days []int, tau int, level float64, boot BootstrapConfig) []Result {
	var out []Result
	for _, d := range days {
		plain, cuped := LiquidationRate(c, p, d, level)
		if plain.Control.N+plain.Treatment.N == 0 {
			continue // nobody observed that long yet
		}
		metric := fmt.Sprintf("liquidation_rate_d%d", d)
		out = append(out, rc.ComparisonRows(metric, plain)...)
		out = append(out, rc.ComparisonRows(metric, cuped)...)
	}

	collected := CollectedBy(c, p, 0)
	rec, net := netRecovery(c, collected, boot, level)
	out = append(out, rc.ComparisonRows("recovery_per_debtor", rec)...)
	out = append(out, rc.ComparisonRows("net_recovery_per_debtor", net)...)
	out = append(out, rc.ComparisonRows("cost_to_collect", costToCollect(c, collected, level))...)

	t, paid := TimeToFirstPayment(c, p)
	km := KaplanMeierByArm(c.Arm, t, paid, level)
	out = append(out, rc.SurvivalRows(km, days, tau, level)...)

	// The daily sequential reading, up to the last whole day observed.
	look := 0
	for _, f := range c.FollowUp {
		look = max(look, int(f))
	}
	if look > 0 && tau > 0 {
		out = append(out, rc.SequentialRow("difference", ReadSequential(c, p, look, tau, 1-level), c.Len()))
	}
	return out
}
