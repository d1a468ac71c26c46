package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Closed forms of the chi-square tail for small df check the incomplete gamma.
func TestChiSquareSF(t *testing.T) {
	for _, x := range []float64{1e-4, 0.01, 0.5, 1, 2.5, 3.841458820694124, 10, 30, 80, 200} {
		e := math.Exp(-x / 2)
		for df, want := range map[int]float64{
			1: math.Erfc(math.Sqrt(x / 2)),
			2: e,
			3: math.Erfc(math.Sqrt(x/2)) + math.Sqrt(2*x/math.Pi)*e,
			4: e * (1 + x/2),
			6: e * (1 + x/2 + x*x/8),
		} {
			got := ChiSquareSF(x, df)
			if math.Abs(got-want) > 1e-13 && math.Abs(got-want) > 1e-10*want {
				t.Errorf("ChiSquareSF(%g, %d) = %.16g, want %.16g", x, df, got, want)
			}
		}
	}
	if got := ChiSquareSF(3.841458820694124, 1); math.Abs(got-0.05) > 1e-12 {
		t.Errorf("95th percentile of chi2(1): tail %g", got)
	}
	if ChiSquareSF(0, 1) != 1 || !math.IsNaN(ChiSquareSF(1, 0)) {
		t.Error("edge cases")
	}
}

func TestSRM(t *testing.T) {
	r := SRM([]int{11000, 9000}, []float64{0.5, 0.5})
	if r.ChiSq != 200 || !r.Flag || r.DF != 1 {
		t.Errorf("55/45 at 20,000: %+v", r)
	}
	r = SRM([]int{10050, 9950}, []float64{0.5, 0.5})
	if math.Abs(r.ChiSq-0.5) > 1e-12 || r.Flag || math.Abs(r.P-math.Erfc(0.5)) > 1e-14 {
		t.Errorf("near-fair: %+v", r)
	}
	// three arms, df 2: p = exp(-chi/2)
	r = SRM([]int{100, 120, 80}, []float64{1, 1, 1})
	if r.DF != 2 || math.Abs(r.ChiSq-8) > 1e-12 || math.Abs(r.P-math.Exp(-4)) > 1e-14 {
		t.Errorf("three arms: %+v", r)
	}
	// planned shares need not be normalised
	if a, b := SRM([]int{70, 30}, []float64{7, 3}), SRM([]int{70, 30}, []float64{0.7, 0.3}); math.Abs(a.P-b.P) > 1e-15 || a.P != 1 {
		t.Errorf("normalisation: %v %v", a.P, b.P)
	}
	if r := SRM([]int{5, 1}, []float64{1, 0}); !r.Flag {
		t.Error("units in an arm planned empty must flag")
	}
}

func TestPoissonTable(t *testing.T) {
	var m, v float64
	for _, w := range poissonTable {
		m += float64(w)
	}
	m /= float64(len(poissonTable))
	for _, w := range poissonTable {
		v += (float64(w) - m) * (float64(w) - m)
	}
	v /= float64(len(poissonTable))
	if math.Abs(m-1) > 1e-3 || math.Abs(v-1) > 2e-3 {
		t.Errorf("Poisson(1) table mean %g var %g", m, v)
	}
}

func TestBootstrapDeterministicAcrossWorkers(t *testing.T) {
	s := Simulate(SimConfig{N: 3000, Seed: 5, Lift: 0.2})
	a, _ := NetRecovery(s.Cohort, s.Payments, BootstrapConfig{Resamples: 500, Seed: 11, Workers: 1}, 0.95)
	b, _ := NetRecovery(s.Cohort, s.Payments, BootstrapConfig{Resamples: 500, Seed: 11, Workers: 7}, 0.95)
	if a.Diff != b.Diff || a.Control != b.Control {
		t.Errorf("workers change the result: %+v vs %+v", a.Diff, b.Diff)
	}
	c, _ := NetRecovery(s.Cohort, s.Payments, BootstrapConfig{Resamples: 500, Seed: 12}, 0.95)
	if c.Diff.Low == a.Diff.Low {
		t.Error("seed has no effect")
	}
}

// The bootstrap standard error of a mean difference must match the analytic one
// (Welch) on a large sample: a check that weights and cells are right.
func TestBootstrapSEMatchesAnalytic(t *testing.T) {
	s := Simulate(SimConfig{N: 20000, Seed: 8, Lift: 0.2})
	rec, net := NetRecovery(s.Cohort, s.Payments, BootstrapConfig{Resamples: 1000, Seed: 3}, 0.95)
	for _, c := range []Comparison{rec, net} {
		welch := c.Diff.Value / NormalQuantile(1-c.P/2)
		if r := c.Diff.SE / welch; r < 0.9 || r > 1.1 {
			t.Errorf("bootstrap SE %g vs Welch %g (ratio %.3f)", c.Diff.SE, welch, r)
		}
		if !(c.Diff.Low < c.Diff.Value && c.Diff.Value < c.Diff.High) {
			t.Errorf("interval %g..%g misses the estimate %g", c.Diff.Low, c.Diff.High, c.Diff.Value)
		}
	}
}

// A one-debtor cell can only resample itself.
func TestBootstrapSingletonCells(t *testing.T) {
	arm := []uint8{0, 1, 0, 1}
	stratum := []int32{0, 0, 1, 1}
	y := []float64{10, 20, 30, 50}
	cs := CompareMeans(arm, stratum, 2, [][]float64{y}, BootstrapConfig{Resamples: 300, Seed: 1}, 0.95)
	c := cs[0]
	if c.Control.Value != 20 || c.Treatment.Value != 35 || c.Diff.Low != 15 || c.Diff.High != 15 {
		t.Errorf("singleton cells: %+v", c)
	}
}

func TestRatioDegenerate(t *testing.T) {
	// No placed balance in control: the ratio is undefined and so is everything built on it.
	arm := []uint8{0, 0, 1, 1}
	plain, cuped := CompareRatio(arm, []float64{0, 0, 1, 2}, []float64{0, 0, 4, 4}, nil, [][]float64{{1, 2, 3, 4}}, []string{"x"}, 0.95)
	if !math.IsNaN(plain.Control.Value) || !math.IsNaN(plain.Diff.Value) || cuped.Theta != nil {
		t.Errorf("undefined control ratio: %+v / %+v", plain, cuped)
	}
	// Collinear covariates: the second is dropped.
	rng := rand.New(rand.NewPCG(1, 1))
	n := 200
	arm = make([]uint8, n)
	y, x, w1, w2 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range arm {
		arm[i] = uint8(i % 2)
		x[i] = 100 + rng.Float64()*50
		w1[i] = rng.NormFloat64()
		w2[i] = 3 * w1[i]
		y[i] = x[i]*0.2 + 5*w1[i] + rng.NormFloat64()
	}
	_, cuped = CompareRatio(arm, y, x, nil, [][]float64{w1, w2}, []string{"w1", "w2"}, 0.95)
	if len(cuped.Covariates) != 1 || cuped.Covariates[0] != "w1" {
		t.Errorf("collinear covariates: used %v", cuped.Covariates)
	}
	plain, _ = CompareRatio(arm, y, x, nil, nil, nil, 0.95)
	if cuped.Diff.SE >= plain.Diff.SE/2 {
		t.Errorf("a strong covariate should cut the SE: %g vs %g", cuped.Diff.SE, plain.Diff.SE)
	}
}

func TestKMBeyondFollowUp(t *testing.T) {
	k := KaplanMeier([]int32{3, 5, 5}, []bool{true, false, true}, nil, 0.95)
	if !math.IsNaN(k.S(6)) || !math.IsNaN(k.SharePaid(6).Value) || k.AtRiskAt(6) != 0 || k.S(-1) != 1 {
		t.Error("values after follow-up must be undefined")
	}
	if !math.IsNaN(k.RMST(7).Value) || math.IsNaN(k.RMST(6).Value) {
		t.Error("RMST is defined up to one day past the last observed day only")
	}
	// S: 1,1,1,2/3,2/3,1/3 → RMST(6) = 3 + 2/3·2 + 1/3 = 14/3
	if got := k.RMST(6).Value; math.Abs(got-14.0/3) > 1e-12 {
		t.Errorf("RMST(6) = %g, want 14/3", got)
	}
}

// TestFiellerAgreesWithDifference: the relative interval excludes zero exactly
// when the difference's does, including the case a pilot showed, where the
// delta method's symmetric relative interval said [−40 %, 236 %] beside an
// absolute one of [0.13 %, 10.44 %]; and its ends solve Fieller's equation.
func TestFiellerAgreesWithDifference(t *testing.T) {
	z := zFor(0.95)
	k, sk, st := 0.054, 0.016, 0.02087
	tr := 0.107
	c := Comparison{Control: Estimate{Value: k, SE: sk}, Treatment: Estimate{Value: tr, SE: st}}
	c.compare(z)
	if c.Diff.Low <= 0 {
		t.Fatalf("difference interval [%g, %g] should exclude zero", c.Diff.Low, c.Diff.High)
	}
	if dl := c.Rel.Value - z*c.Rel.SE; dl >= 0 {
		t.Fatalf("the delta method's interval should include zero here (low %g): the case is wrong", dl)
	}
	if c.Rel.Low <= 0 || c.Rel.High <= c.Rel.Value {
		t.Fatalf("fieller [%g, %g] around %g should exclude zero", c.Rel.Low, c.Rel.High, c.Rel.Value)
	}
	for _, rho := range []float64{1 + c.Rel.Low, 1 + c.Rel.High} {
		lhs, rhs := (tr-rho*k)*(tr-rho*k), z*z*(st*st+rho*rho*sk*sk)
		if math.Abs(lhs-rhs) > 1e-12 {
			t.Errorf("ρ=%g: (T−ρC)² = %g, z²(Var T+ρ² Var C) = %g", rho, lhs, rhs)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		k, tr := 0.01+rng.Float64(), 0.01+rng.Float64()
		sk, st := 0.3*k*rng.Float64(), 0.3*tr*rng.Float64()
		c := Comparison{Control: Estimate{Value: k, SE: sk}, Treatment: Estimate{Value: tr, SE: st}}
		c.compare(z)
		if math.IsNaN(c.Rel.Low) {
			continue
		}
		if (c.Diff.Low > 0 || c.Diff.High < 0) != (c.Rel.Low > 0 || c.Rel.High < 0) {
			t.Fatalf("T=%g±%g C=%g±%g: difference [%g, %g] but relative [%g, %g]", tr, st, k, sk, c.Diff.Low, c.Diff.High, c.Rel.Low, c.Rel.High)
		}
	}
	// A control indistinguishable from zero bounds no relative lift.
	c = Comparison{Control: Estimate{Value: 0.01, SE: 0.01}, Treatment: Estimate{Value: 0.05, SE: 0.01}}
	c.compare(z)
	if !math.IsNaN(c.Rel.Low) || !math.IsNaN(c.Rel.High) {
		t.Errorf("unbounded fieller set gave [%g, %g]", c.Rel.Low, c.Rel.High)
	}
}

// TestMajorUnits: money rows say their currency and carry major units.
func TestMajorUnits(t *testing.T) {
	r := Result{Metric: "recovery_per_debtor", Arm: "control", Estimate: 1234567, CILow: 1000000, CIHigh: 1500000, Currency: "COP",
		LiftAbs: math.NaN(), LiftRel: math.NaN(), PValue: math.NaN(), SRMP: math.NaN()}
	rec := r.Record()
	at := slices.Index(Columns, "unit")
	tail := rec[at : at+4]
	if want := []string{"COP", "12345.67", "10000", "15000"}; fmt.Sprint(tail) != fmt.Sprint(want) {
		t.Errorf("major columns %v, want %v", tail, want)
	}
	if len(rec) != len(Columns) {
		t.Errorf("%d cells for %d columns", len(rec), len(Columns))
	}
	r.Currency = ""
	if rec := r.Record(); rec[at] != "" || rec[at+1] != "" {
		t.Errorf("a row without currency has major columns %v", rec[at:at+4])
	}
}
