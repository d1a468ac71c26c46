package experiments

import (
	"math"
	"reflect"
	"testing"
)

func TestSimulateMatchesTruth(t *testing.T) {
	cfg := SimConfig{N: 200_000, Seed: 21, Lift: 0.3}
	s := Simulate(cfg)
	if !reflect.DeepEqual(s.Payments, Simulate(cfg).Payments) {
		t.Fatal("same config, different pilot")
	}
	if err := s.Cohort.Validate(s.Payments); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, v := range s.Cohort.Covariates[1] {
		if math.IsNaN(v) {
			missing++
		}
	}
	if f := float64(missing) / float64(cfg.N); f < 0.18 || f > 0.22 {
		t.Errorf("%.3f of prior payments missing, want 0.2", f)
	}
	for _, d := range []int{15, 45, 90} {
		plain, _ := LiquidationRate(s.Cohort, s.Payments, d, 0.95)
		for a, e := range []Estimate{plain.Control, plain.Treatment} {
			truth := cfg.TrueLiquidation(uint8(a), d)
			if z := (e.Value - truth) / e.SE; math.Abs(z) > 4 {
				t.Errorf("day %d %s: simulated %.5f, true %.5f (z = %.1f)", d, ArmName(uint8(a)), e.Value, truth, z)
			}
		}
	}
	rec, _ := NetRecovery(s.Cohort, s.Payments, BootstrapConfig{Resamples: 0}, 0.95)
	for a, e := range []Estimate{rec.Control, rec.Treatment} {
		truth := cfg.TrueRecoveryPerDebtor(uint8(a), cfg.withDefaults().Horizon)
		if r := e.Value / truth; r < 0.95 || r > 1.05 {
			t.Errorf("%s recovery per debtor %.0f, true %.0f", ArmName(uint8(a)), e.Value, truth)
		}
	}
}

// Degenerate cohorts must produce rows, not panics.
func TestReportDegenerate(t *testing.T) {
	for name, c := range map[string]*Cohort{
		"empty":         {Strata: []string{"x"}},
		"only-control":  {Arm: []uint8{0, 0}, Stratum: []int32{0, 0}, Strata: []string{"x"}, Placed: []float64{10, 20}, Cost: []float64{0, 0}, FollowUp: []int32{30, 30}},
		"one-each-zero": {Arm: []uint8{0, 1}, Stratum: []int32{0, 0}, Strata: []string{"x"}, Placed: []float64{0, 0}, Cost: []float64{1, 1}, FollowUp: []int32{0, 0}},
	} {
		rows, err := Report(ReportInput{Experiment: name, TreatmentShare: 0.5, Cohort: c, Payments: &Payments{}, Bootstrap: BootstrapConfig{Resamples: 50, Seed: 1}})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(rows) == 0 {
			t.Errorf("%s: no rows", name)
		}
	}
	bad := &Cohort{Arm: []uint8{2}, Stratum: []int32{0}, Strata: []string{"x"}, Placed: []float64{1}, Cost: []float64{0}, FollowUp: []int32{1}}
	if _, err := Report(ReportInput{Cohort: bad, Payments: &Payments{}}); err == nil {
		t.Error("an arm index of 2 must be refused")
	}
}
