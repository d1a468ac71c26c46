package experiments

import "math"

// KMCurve is a Kaplan–Meier estimate of S(t) = P(no payment by day t), stored
// densely by whole day t = 0..MaxDay (a pilot horizon is a few hundred days, so
// counting by day is O(n) with no sorting, and ties need no special care: all events
// of a day are one step, and debtors censored on a day count as at risk for that
// day's events, the usual convention).
type KMCurve struct {
	N        int
	AtRisk   []int     // debtors with time ≥ t
	Events   []int     // first payments on day t
	Censored []int     // debtors censored on day t (follow-up ended without payment)
	Surv     []float64 // S(t), after the events of day t
	GW       []float64 // Greenwood sum Σ_{u≤t} d/(n(n−d)); Var S(t) = S(t)²·GW[t]
	Lower    []float64 // log-log (complementary log-log) pointwise band for S(t)
	Upper    []float64
	Level    float64
}

// KaplanMeier estimates time to first payment from each debtor's day of first
// payment (paid) or of censoring (not paid), over the debtors where mask is true.
func KaplanMeier(days []int32, paid []bool, mask func(i int) bool, level float64) *KMCurve {
	maxDay := 0
	n := 0
	for i, d := range days {
		if mask != nil && !mask(i) {
			continue
		}
		n++
		maxDay = max(maxDay, int(d))
	}
	k := &KMCurve{N: n, Level: level}
	k.Events = make([]int, maxDay+1)
	k.Censored = make([]int, maxDay+1)
	for i, d := range days {
		if mask != nil && !mask(i) {
			continue
		}
		if paid[i] {
			k.Events[d]++
		} else {
			k.Censored[d]++
		}
	}
	k.AtRisk = make([]int, maxDay+1)
	k.Surv = make([]float64, maxDay+1)
	k.GW = make([]float64, maxDay+1)
	k.Lower = make([]float64, maxDay+1)
	k.Upper = make([]float64, maxDay+1)
	z := zFor(level)
	risk, s, gw := n, 1.0, 0.0
	for t := 0; t <= maxDay; t++ {
		k.AtRisk[t] = risk
		if d := k.Events[t]; d > 0 {
			s *= 1 - float64(d)/float64(risk)
			if risk > d {
				gw += float64(d) / (float64(risk) * float64(risk-d))
			}
		}
		k.Surv[t], k.GW[t] = s, gw
		k.Lower[t], k.Upper[t] = s, s
		if s > 0 && s < 1 {
			se := math.Sqrt(gw) / math.Abs(math.Log(s))
			k.Lower[t] = math.Pow(s, math.Exp(z*se))
			k.Upper[t] = math.Pow(s, math.Exp(-z*se))
		}
		risk -= k.Events[t] + k.Censored[t]
	}
	return k
}

// KaplanMeierByArm returns the curves of control and treatment.
func KaplanMeierByArm(arm []uint8, days []int32, paid []bool, level float64) [2]*KMCurve {
	var out [2]*KMCurve
	for a := range 2 {
		out[a] = KaplanMeier(days, paid, func(i int) bool { return int(arm[i]&1) == a }, level)
	}
	return out
}

// MaxDay is the last day anyone was observed; S is undefined after it.
func (k *KMCurve) MaxDay() int { return len(k.Surv) - 1 }

// S is the survival (still unpaid) at day t, NaN after MaxDay.
func (k *KMCurve) S(t int) float64 {
	switch {
	case t < 0:
		return 1
	case t > k.MaxDay():
		return math.NaN()
	}
	return k.Surv[t]
}

// AtRiskAt is the number of debtors still unpaid and observed at the start of day t,
// for the dashboard's at-risk table.
func (k *KMCurve) AtRiskAt(t int) int {
	switch {
	case t < 0:
		return k.N
	case t > k.MaxDay():
		return 0
	}
	return k.AtRisk[t]
}

// SharePaid is 1 − S(t), the share of debtors who paid by day t, with the
// Greenwood standard error and the log-log band mapped through 1 − S.
func (k *KMCurve) SharePaid(t int) Estimate {
	e := Estimate{N: k.N, Value: math.NaN(), SE: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if t < 0 || t > k.MaxDay() {
		return e
	}
	s := k.Surv[t]
	e.Value, e.SE = 1-s, s*math.Sqrt(k.GW[t])
	e.Low, e.High = 1-k.Upper[t], 1-k.Lower[t]
	return e
}

// Median is the first day with S(t) ≤ 0.5; ok is false when the curve never gets
// there within follow-up ("not reached").
func (k *KMCurve) Median() (day int, ok bool) {
	for t, s := range k.Surv {
		if s <= 0.5 {
			return t, true
		}
	}
	return 0, false
}

// RMST is the restricted mean time to first payment up to tau days, the area under
// S on [0, tau] (a debtor who never pays counts as tau), with the variance
// Σ_{t≤tau} A(t)²·d/(n(n−d)), A(t) = ∫_t^tau S (Klein & Moeschberger §4.5). S(u) is
// the step S(⌊u⌋). NaN when follow-up ends before tau.
func (k *KMCurve) RMST(tau int) Estimate {
	e := Estimate{N: k.N, Value: math.NaN(), SE: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if tau < 0 || tau > k.MaxDay()+1 {
		return e
	}
	// tail[t] = Σ_{u=t}^{tau−1} S(u)
	tail := make([]float64, tau+1)
	for t := tau - 1; t >= 0; t-- {
		tail[t] = tail[t+1] + k.Surv[t]
	}
	v := 0.0
	for t := 0; t <= tau && t <= k.MaxDay(); t++ {
		d, n := k.Events[t], k.AtRisk[t]
		if d > 0 && n > d {
			v += tail[t] * tail[t] * float64(d) / (float64(n) * float64(n-d))
		}
	}
	e.Value, e.SE = tail[0], math.Sqrt(v)
	normalCI(&e, zFor(k.Level))
	return e
}

// LogRankResult is the log-rank test of equal time to first payment.
type LogRankResult struct {
	Observed, Expected float64 // treatment's first payments, and expected under H0
	Variance           float64
	ChiSq, P           float64 // chi-square with 1 degree of freedom
}

// LogRank compares two curves (treatment, control) day by day over the days either
// was observed: O − E and the hypergeometric variance n₁n₀d(n−d)/(n²(n−1)).
func LogRank(treat, ctrl *KMCurve) LogRankResult {
	var r LogRankResult
	for t := 0; t <= max(treat.MaxDay(), ctrl.MaxDay()); t++ {
		n1, n0 := treat.AtRiskAt(t), ctrl.AtRiskAt(t)
		var d1, d0 int
		if t <= treat.MaxDay() {
			d1 = treat.Events[t]
		}
		if t <= ctrl.MaxDay() {
			d0 = ctrl.Events[t]
		}
		n, d := float64(n1+n0), float64(d1+d0)
		if d == 0 || n < 2 {
			continue
		}
		r.Observed += float64(d1)
		r.Expected += d * float64(n1) / n
		r.Variance += float64(n1) * float64(n0) * d * (n - d) / (n * n * (n - 1))
	}
	r.ChiSq, r.P = math.NaN(), math.NaN()
	if r.Variance > 0 {
		r.ChiSq = (r.Observed - r.Expected) * (r.Observed - r.Expected) / r.Variance
		r.P = ChiSquareSF(r.ChiSq, 1)
	}
	return r
}

// compareEstimates builds a Comparison from two independent arm estimates with
// normal standard errors.
func compareEstimates(ctrl, treat Estimate, level float64, method string) Comparison {
	c := Comparison{Control: ctrl, Treatment: treat, Method: method}
	c.compare(zFor(level))
	return c
}
