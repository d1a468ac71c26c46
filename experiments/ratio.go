package experiments

import (
	"math"
)

// Estimate is one number with its standard error and confidence interval.
type Estimate struct {
	N     int
	Value float64
	SE    float64
	Low   float64
	High  float64
}

// Comparison is a metric per arm and treatment against control.
type Comparison struct {
	Control, Treatment Estimate
	Diff               Estimate // treatment − control
	Rel                Estimate // treatment / control − 1
	P                  float64  // two-sided p-value of Diff = 0
	CUPED              bool
	Covariates         []string  // covariates CUPED used (after dropping unusable ones)
	Theta              []float64 // CUPED coefficients, one per used covariate
	Method             string
}

func normalCI(e *Estimate, z float64) {
	e.Low, e.High = e.Value-z*e.SE, e.Value+z*e.SE
}

// compare fills Diff, Rel and P from the arm estimates (independent arms).
func (c *Comparison) compare(z float64) {
	t, k := c.Treatment, c.Control
	c.Diff = Estimate{N: t.N + k.N, Value: t.Value - k.Value, SE: math.Sqrt(t.SE*t.SE + k.SE*k.SE)}
	normalCI(&c.Diff, z)
	c.P = twoSidedP(c.Diff.Value / c.Diff.SE)
	if c.Diff.SE == 0 && c.Diff.Value == 0 {
		c.P = 1
	}
	c.Rel = relative(t.Value, t.SE, k.Value, k.SE, z, c.Diff.N)
}

// relative is treatment / control − 1 with the first-order delta-method standard
// error, Var(T/C) ≈ Var(T)/C² + T²·Var(C)/C⁴, and Fieller's interval.
//
// Why Fieller and not estimate ± z·SE: the delta method's symmetric interval
// inflates the control's share of the variance by (T/C)², so with a large lift it
// can include zero while the difference's interval excludes it (a pilot showed
// absolute [0.13 %, 10.44 %] beside relative [−39 %, 234 %]). Fieller's set
// {ρ : (T − ρC)² ≤ z²(Var T + ρ²·Var C)} at ρ = 1 is exactly the difference's
// test, so the two intervals always agree on whether there is an effect. When
// the control itself is not distinguishable from zero (C² ≤ z²·Var C) the set is
// unbounded and the interval is NaN: no finite relative lift can be claimed.
func relative(t, st, k, sk, z float64, n int) Estimate {
	rel := Estimate{N: n, Value: math.NaN(), SE: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if k == 0 || math.IsNaN(k) {
		return rel
	}
	rel.Value = t/k - 1
	rel.SE = math.Sqrt(st*st/(k*k) + t*t*sk*sk/math.Pow(k, 4))
	rel.Low, rel.High = fieller(t, st, k, sk, z)
	return rel
}

// fieller is the interval of T/C − 1 for independent T and C with standard
// errors st and sk: the roots of (C² − z²sk²)ρ² − 2TCρ + (T² − z²st²) = 0.
// NaN, NaN when the set is not a bounded interval.
func fieller(t, st, k, sk, z float64) (lo, hi float64) {
	if math.IsNaN(st) || math.IsNaN(sk) {
		return math.NaN(), math.NaN()
	}
	a := k*k - z*z*sk*sk
	b := t * k
	c := t*t - z*z*st*st
	disc := b*b - a*c
	if a <= 0 || disc < 0 {
		return math.NaN(), math.NaN()
	}
	r := math.Sqrt(disc)
	return (b-r)/a - 1, (b+r)/a - 1
}

// CompareRatio estimates the ratio-of-sums metric Σy/Σx per arm (liquidation rate,
// cost to collect) over the units where mask is true (nil: all), with delta-method
// standard errors, and returns it plain and CUPED-adjusted.
//
// Delta method: with R = ȳ/x̄ the linearised per-unit value is
// z_i = (y_i − R·x_i)/x̄, and Var(R) ≈ Var(z)/n (sample variance, n−1).
//
// CUPED for a ratio: CUPED needs a per-unit mean, which a ratio is not, so it is
// applied to the linearised values z_i (Deng et al. 2018). With pre-period
// covariates W (missing values imputed with their pooled mean), θ is the pooled
// within-arm regression of z on W, θ = S_WW⁻¹ S_Wz, and R_adj = R − θ·(W̄_arm − W̄),
// Var(R_adj) = Var(z − θ·W)/n. Covariates with no values, zero variance or collinear
// with earlier ones are dropped; with none left the adjusted comparison equals the
// plain one and says so in Method.
func CompareRatio(arm []uint8, y, x []float64, mask []bool, covs [][]float64, names []string, level float64) (plain, cuped Comparison) {
	z := zFor(level)
	var n [2]int
	var sy, sx [2]float64
	for i := range arm {
		if mask != nil && !mask[i] {
			continue
		}
		a := arm[i] & 1
		n[a]++
		sy[a] += y[i]
		sx[a] += x[i]
	}
	var r, xbar [2]float64
	for a := range 2 {
		r[a], xbar[a] = math.NaN(), math.NaN()
		if n[a] > 0 && sx[a] != 0 {
			r[a] = sy[a] / sx[a]
			xbar[a] = sx[a] / float64(n[a])
		}
	}
	lin := func(i int) float64 {
		a := arm[i] & 1
		return (y[i] - r[a]*x[i]) / xbar[a]
	}
	var szz [2]float64
	for i := range arm {
		if mask != nil && !mask[i] {
			continue
		}
		v := lin(i)
		szz[arm[i]&1] += v * v
	}
	est := func(a int, ss float64) Estimate {
		e := Estimate{N: n[a], Value: r[a], SE: math.NaN()}
		if n[a] > 1 && !math.IsNaN(r[a]) {
			e.SE = math.Sqrt(ss / float64(n[a]-1) / float64(n[a]))
		}
		normalCI(&e, z)
		return e
	}
	plain = Comparison{Control: est(0, szz[0]), Treatment: est(1, szz[1]), Method: "delta-method"}
	plain.compare(z)

	cuped = plain
	cuped.CUPED = true
	cuped.Method = "delta-method+cuped"
	if math.IsNaN(r[0]) || math.IsNaN(r[1]) || n[0] < 2 || n[1] < 2 {
		cuped.Method += " (undefined ratio: not adjusted)"
		return plain, cuped
	}

	// Impute missing covariate values with the pooled mean and centre within arm.
	p := len(covs)
	fill := make([]float64, p) // pooled mean of observed values
	ok := make([]bool, p)
	for j, col := range covs {
		s, m := 0.0, 0
		for i := range arm {
			if (mask == nil || mask[i]) && !math.IsNaN(col[i]) {
				s += col[i]
				m++
			}
		}
		if m > 0 {
			fill[j], ok[j] = s/float64(m), true
		}
	}
	val := func(j, i int) float64 {
		if v := covs[j][i]; !math.IsNaN(v) {
			return v
		}
		return fill[j]
	}
	wbar := make([][2]float64, p) // per-arm means
	wall := make([]float64, p)    // pooled mean
	for j := range covs {
		if !ok[j] {
			continue
		}
		var s [2]float64
		for i := range arm {
			if mask == nil || mask[i] {
				s[arm[i]&1] += val(j, i)
			}
		}
		wbar[j] = [2]float64{s[0] / float64(n[0]), s[1] / float64(n[1])}
		wall[j] = (s[0] + s[1]) / float64(n[0]+n[1])
	}
	// Pooled within-arm cross products S_WW and S_Wz.
	sww := make([][]float64, p)
	swz := make([]float64, p)
	for j := range covs {
		sww[j] = make([]float64, p)
	}
	for j := range covs {
		if !ok[j] {
			continue
		}
		for i := range arm {
			if mask != nil && !mask[i] {
				continue
			}
			a := arm[i] & 1
			dj := val(j, i) - wbar[j][a]
			swz[j] += dj * lin(i)
			for k := j; k < p; k++ {
				if ok[k] {
					sww[j][k] += dj * (val(k, i) - wbar[k][a])
				}
			}
		}
		for k := j + 1; k < p; k++ {
			sww[k][j] = sww[j][k]
		}
	}
	keep := chooseCovariates(sww, ok)
	if len(keep) == 0 {
		cuped.Method += " (no usable covariate: not adjusted)"
		return plain, cuped
	}
	theta := solveSPD(sww, swz, keep)

	var sr [2]float64
	for i := range arm {
		if mask != nil && !mask[i] {
			continue
		}
		a := arm[i] & 1
		v := lin(i)
		for t, j := range keep {
			v -= theta[t] * (val(j, i) - wbar[j][a])
		}
		sr[a] += v * v
	}
	cuped.Control, cuped.Treatment = est(0, sr[0]), est(1, sr[1])
	for a, e := range []*Estimate{&cuped.Control, &cuped.Treatment} {
		for t, j := range keep {
			e.Value -= theta[t] * (wbar[j][a] - wall[j])
		}
		normalCI(e, z)
	}
	cuped.compare(z)
	cuped.Theta = theta
	for _, j := range keep {
		if j < len(names) {
			cuped.Covariates = append(cuped.Covariates, names[j])
		}
	}
	return plain, cuped
}

// chooseCovariates keeps, in order, the covariates with positive variance whose
// residual variance after the ones already kept is not negligible (incremental
// Cholesky with a relative pivot tolerance).
func chooseCovariates(s [][]float64, ok []bool) []int {
	var keep []int
	for j := range s {
		if !ok[j] || !(s[j][j] > 0) {
			continue
		}
		try := append(keep[:len(keep):len(keep)], j)
		if _, good := cholesky(s, try); good {
			keep = try
		}
	}
	return keep
}

// cholesky factors the sub-matrix of s on idx; good is false when a pivot falls
// below 1e-9 of its diagonal (a collinear covariate).
func cholesky(s [][]float64, idx []int) ([][]float64, bool) {
	m := len(idx)
	l := make([][]float64, m)
	for i := range l {
		l[i] = make([]float64, m)
	}
	for i := 0; i < m; i++ {
		for k := 0; k <= i; k++ {
			sum := s[idx[i]][idx[k]]
			for t := 0; t < k; t++ {
				sum -= l[i][t] * l[k][t]
			}
			if i == k {
				if sum <= 1e-9*s[idx[i]][idx[i]] {
					return nil, false
				}
				l[i][i] = math.Sqrt(sum)
			} else {
				l[i][k] = sum / l[k][k]
			}
		}
	}
	return l, true
}

// solveSPD solves S[idx,idx]·θ = b[idx] by Cholesky.
func solveSPD(s [][]float64, b []float64, idx []int) []float64 {
	l, _ := cholesky(s, idx)
	m := len(idx)
	v := make([]float64, m)
	for i := 0; i < m; i++ {
		sum := b[idx[i]]
		for t := 0; t < i; t++ {
			sum -= l[i][t] * v[t]
		}
		v[i] = sum / l[i][i]
	}
	for i := m - 1; i >= 0; i-- {
		sum := v[i]
		for t := i + 1; t < m; t++ {
			sum -= l[t][i] * v[t]
		}
		v[i] = sum / l[i][i]
	}
	return v
}

// LiquidationRate is Σ collected by day / Σ placed per arm over the debtors observed
// for at least day days (so an immature cohort is not diluted), plain and CUPED on
// the cohort's covariates.
func LiquidationRate(c *Cohort, p *Payments, day int, level float64) (plain, cuped Comparison) {
	y := CollectedBy(c, p, day)
	mask := make([]bool, c.Len())
	for i, f := range c.FollowUp {
		mask[i] = int(f) >= day
	}
	return CompareRatio(c.Arm, y, c.Placed, mask, c.Covariates, c.CovariateNames, level)
}

// CostToCollect is Σ cost / Σ collected to date per arm, over all assigned debtors,
// with delta-method intervals. It is NaN in an arm that has collected nothing.
func CostToCollect(c *Cohort, p *Payments, level float64) Comparison {
	return costToCollect(c, CollectedBy(c, p, 0), level)
}

func costToCollect(c *Cohort, collected []float64, level float64) Comparison {
	plain, _ := CompareRatio(c.Arm, c.Cost, collected, nil, nil, nil, level)
	return plain
}
