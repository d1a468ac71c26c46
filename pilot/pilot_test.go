package pilot

import (
	"math"
	"slices"
	"testing"
	"time"

	"acuerdo/experiments"
	"acuerdo/store"
)

func TestReportDays(t *testing.T) {
	for _, c := range []struct {
		horizon int
		want    []int
	}{{90, []int{30, 60, 90}}, {60, []int{30, 60}}, {120, []int{30, 60, 90, 120}}, {14, []int{14}}} {
		if got := ReportDays(c.horizon); !slices.Equal(got, c.want) {
			t.Errorf("ReportDays(%d) = %v, want %v", c.horizon, got, c.want)
		}
	}
}

// TestPaymentDay: the first 24 hours after assignment are day 1, so "paid by
// day 30" counts exactly 30 whole days.
func TestPaymentDay(t *testing.T) {
	a := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		paid time.Time
		want int
	}{{a.Add(time.Minute), 1}, {a.Add(24*time.Hour - time.Second), 1}, {a.Add(24 * time.Hour), 2}, {a.AddDate(0, 0, 30), 31}} {
		if got := paymentDay(a, c.paid); got != c.want {
			t.Errorf("paymentDay(+%v) = %d, want %d", c.paid.Sub(a), got, c.want)
		}
	}
}

func TestFunnelRows(t *testing.T) {
	rc := experiments.RowContext{Experiment: "x", SRMP: 0.5}
	rows := FunnelRows(rc, []store.Funnel{{Arm: "treatment", Assigned: 100, Reached: 80, Verified: 40, Useful: 0, Judged: 0, Rated: 2, RatingMean: 4.5}})
	byMetric := map[string]experiments.Result{}
	for _, r := range rows {
		byMetric[r.Metric] = r
	}
	r := byMetric["funnel_reached"]
	// Wilson 95 % for 80/100, by hand: centre 0.7890, half-width 0.0808.
	if r.N != 100 || r.Estimate != 0.8 || math.Abs(r.CILow-0.7112) > 1e-3 || math.Abs(r.CIHigh-0.8666) > 1e-3 {
		t.Fatalf("reached %+v", r)
	}
	if u := byMetric["funnel_useful_escalations"]; u.N != 0 || !math.IsNaN(u.Estimate) {
		t.Fatalf("useful with no judged escalations %+v", u)
	}
	if s := byMetric["satisfaction_mean"]; s.N != 2 || s.Estimate != 4.5 {
		t.Fatalf("satisfaction %+v", s)
	}
	if p, lo, hi := wilson(0, 10); p != 0 || lo != 0 || hi < 0.27 || hi > 0.31 {
		t.Fatalf("wilson(0,10) = %v %v %v", p, lo, hi)
	}
}
