package experiments

import (
	"math"
	"math/rand/v2"
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
