package experiments

import (
	"fmt"
	"math"
)

// Sequential reading: an analyst may look at a pilot every day. A fixed-sample
// interval read daily for 60 days and acted on the first time it excludes zero
// has a false-positive rate near 27 % (measured on Simulate's pilots), not 5 %.
//
// Why not the mixture SPRT (mSPRT) or GrowthBook's asymptotic confidence
// sequence: they are valid over unbounded, continuous monitoring, and pay for
// it (both were tried on liquidation). Here a pilot's debtors are all assigned on day 0 and only follow-up
// grows, so the looks are a fixed, finite set — one per day up to the horizon —
// and those boundaries spend under 1 % of the 5 % (measured: 0.7 % for mSPRT
// with its mixing variance tuned to the horizon, 1.2 % for GrowthBook's
// formula), wasting power. Statsig's first sequential method, and the one
// used here, is the group-sequential alternative: Lan–DeMets α-spending over
// the looks up to the horizon, with exact boundaries for the looks actually
// taken, so the daily looks spend exactly α.
//
// The metric read this way is the share of debtors who paid anything by day
// d (first payments), not liquidation. Why: a sequential boundary needs the
// covariance of the looks, and the share paid has a closed form for it. With
// p_d the share paid by day d (pooled), Cov(p̂_s, p̂_d) = p_s(1 − p_d)/n, so
// the odds-scaled difference D_d = (p̂_T − p̂_C)/(1 − p_d) has exactly the
// covariance of Brownian motion in the time t_d = p_d/(1 − p_d)·(1/n_T + 1/n_C).
// Liquidation has no such form: a payer's installments make its daily
// increments positively correlated, and a boundary built as if they were
// independent spent only 3.3 % of the 5 % on simulated pilots.
//
// The boundary of look k is c_k on the z scale, chosen so that P(first
// |Z_j| ≥ c_j is at look k) under no effect is α(τ_k) − α(τ_{k−1}), with
// τ_k = day_k / horizon and the Pocock-type spending α(τ) = α·ln(1 + (e − 1)τ)
// (it spends evenly, so early looks can already stop). The probabilities come
// from the Armitage–McPherson–Rowe recursion on a grid. The repeated
// confidence interval diff_k ± c_k·SE_k covers the true difference at every
// look simultaneously with probability about 1 − α.

// Spend is the Pocock-type spending function: the share of alpha spent by
// information fraction tau in [0, 1].
func Spend(alpha, tau float64) float64 {
	tau = math.Min(math.Max(tau, 0), 1)
	return alpha * math.Log(1+(math.E-1)*tau)
}

const seqGrid = 61 // grid points per look; odd for Simpson's rule

// SequentialBounds are the two-sided z boundaries c_k of looks with variance
// times ts (the variance of the difference at each look) at calendar fractions
// taus (increasing, the last ≤ 1), spending alpha. A look whose variance does
// not grow (no new information, or none yet) gets +Inf, and what it would
// have spent goes to the next look.
func SequentialBounds(ts, taus []float64, alpha float64) []float64 {
	c := make([]float64, len(ts))
	var grid, dens []float64 // sub-density of S = D on the continuation region
	spent, tPrev := 0.0, 0.0
	started := false
	for k := range ts {
		c[k] = math.Inf(1)
		t := ts[k]
		if !(t > tPrev) || math.IsNaN(t) || math.IsInf(t, 0) {
			continue
		}
		target := Spend(alpha, taus[k]) - spent
		if !started {
			started = true
			if target > 0 {
				c[k] = NormalQuantile(1 - target/2)
			}
			sd := math.Sqrt(t)
			lim := math.Min(c[k], 8)
			grid, dens = seqStart(lim*sd, func(y float64) float64 { return normalPDF(y/sd) / sd })
			spent += target
			tPrev = t
			continue
		}
		delta := t - tPrev
		sdD, sdT := math.Sqrt(delta), math.Sqrt(t)
		w := simpson(grid)
		exit := func(b float64) float64 {
			p := 0.0
			for i, s := range grid {
				p += w[i] * dens[i] * (NormalCDF((-b*sdT-s)/sdD) + 1 - NormalCDF((b*sdT-s)/sdD))
			}
			return p
		}
		if target > 0 {
			// The fixed-sample critical value of this look's spend is a
			// lower bound; the continuation region only lowers the exit.
			lo := NormalQuantile(1 - math.Min(target, 0.5)/2)
			lo, hi := math.Max(lo-1.5, 0), lo+0.5
			if exit(lo) < target {
				lo = 0 // looks so close that the boundary drops further
			}
			if exit(hi) < target {
				for range 20 {
					mid := (lo + hi) / 2
					if exit(mid) > target {
						lo = mid
					} else {
						hi = mid
					}
				}
				c[k] = hi
			}
		}
		lim := math.Min(c[k], 8)
		spent += exit(c[k])
		ng, nd := seqStart(lim*sdT, nil)
		for j, y := range ng {
			sum := 0.0
			for i, s := range grid {
				sum += w[i] * dens[i] * normalPDF((y-s)/sdD) / sdD
			}
			nd[j] = sum
		}
		grid, dens = ng, nd
		tPrev = t
	}
	return c
}

func normalPDF(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// seqStart is a uniform grid on [−b, b] and, when f is given, f on it.
func seqStart(b float64, f func(float64) float64) (grid, dens []float64) {
	grid, dens = make([]float64, seqGrid), make([]float64, seqGrid)
	for i := range grid {
		grid[i] = -b + 2*b*float64(i)/float64(seqGrid-1)
		if f != nil {
			dens[i] = f(grid[i])
		}
	}
	return grid, dens
}

// simpson is Simpson's weights on a uniform grid of odd length.
func simpson(grid []float64) []float64 {
	n := len(grid)
	h := (grid[n-1] - grid[0]) / float64(n-1)
	w := make([]float64, n)
	for i := range w {
		switch {
		case i == 0 || i == n-1:
			w[i] = h / 3
		case i%2 == 1:
			w[i] = 4 * h / 3
		default:
			w[i] = 2 * h / 3
		}
	}
	return w
}

// SharePaidPath is, for each day 1..days, the difference in the share of
// debtors who paid anything by that day (arm 1 − arm 0), its standard error,
// and the variance time t_d of the sequential model above, over the debtors
// observed for all of those days.
//
// z is the pooled two-proportion statistic, whose variance under no effect is
// t_d·(1 − p_d)², the scale the boundaries are computed on.
func SharePaidPath(c *Cohort, p *Payments, days int) (diff, se, ts, z []float64) {
	diff, se, ts, z = make([]float64, days+1), make([]float64, days+1), make([]float64, days+1), make([]float64, days+1)
	var n [2]float64
	in := make([]bool, c.Len())
	for i, f := range c.FollowUp {
		if int(f) >= days && c.Arm[i] <= 1 {
			in[i] = true
			n[c.Arm[i]]++
		}
	}
	first, paid := TimeToFirstPayment(c, p)
	newPaid := make([][2]float64, days+1)
	for i := range first {
		if in[i] && paid[i] && int(first[i]) <= days {
			newPaid[first[i]][c.Arm[i]]++
		}
	}
	var k [2]float64
	for d := 1; d <= days; d++ {
		k[0] += newPaid[d][0]
		k[1] += newPaid[d][1]
		diff[d], se[d], ts[d], z[d] = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		if n[0] < 1 || n[1] < 1 {
			continue
		}
		p0, p1 := k[0]/n[0], k[1]/n[1]
		pool := (k[0] + k[1]) / (n[0] + n[1])
		diff[d] = p1 - p0
		se[d] = math.Sqrt(p0*(1-p0)/n[0] + p1*(1-p1)/n[1])
		if pool > 0 && pool < 1 {
			ts[d] = pool / (1 - pool) * (1/n[0] + 1/n[1])
			z[d] = diff[d] / math.Sqrt(pool*(1-pool)*(1/n[0]+1/n[1]))
		}
	}
	return diff, se, ts, z
}

// SequentialLook is the sequential reading of the share paid at the latest look.
type SequentialLook struct {
	Day       int     // the look: the last whole day observed
	Diff, SE  float64 // the difference in share paid by Day
	Bound     float64 // c at this look (z scale)
	Low, High float64 // the repeated confidence interval
	Crossed   bool    // some look so far crossed its boundary: the pilot may stop
	FirstDay  int     // the first look that crossed, 0 when none
}

// ReadSequential reads the pilot's daily looks up to day (the last observed)
// of a pilot planned for horizon days, at level alpha.
func ReadSequential(c *Cohort, p *Payments, day, horizon int, alpha float64) SequentialLook {
	day = min(day, horizon)
	out := SequentialLook{Day: day, Diff: math.NaN(), SE: math.NaN(), Bound: math.NaN(), Low: math.NaN(), High: math.NaN()}
	if day < 1 {
		return out
	}
	diff, se, t, z := SharePaidPath(c, p, day)
	ts, taus := make([]float64, day), make([]float64, day)
	for d := 1; d <= day; d++ {
		ts[d-1], taus[d-1] = t[d], float64(d)/float64(horizon)
	}
	b := SequentialBounds(ts, taus, alpha)
	for d := 1; d <= day; d++ {
		if !out.Crossed && math.Abs(z[d]) >= b[d-1] {
			out.Crossed, out.FirstDay = true, d
		}
	}
	out.Diff, out.SE, out.Bound = diff[day], se[day], b[day-1]
	// A look that brought no new first payment keeps the boundary of the
	// last look that did: the data, and so the interval, are the same.
	for d := day - 1; d >= 1 && math.IsInf(out.Bound, 0); d-- {
		out.Bound = b[d-1]
	}
	if !math.IsInf(out.Bound, 0) {
		out.Low, out.High = out.Diff-out.Bound*out.SE, out.Diff+out.Bound*out.SE
	}
	return out
}

// SequentialRow is a look as a results row: metric
// sequential_share_paid, the repeated confidence interval, and the day
// the boundary was first crossed in the method.
func (rc RowContext) SequentialRow(arm string, l SequentialLook, n int) Result {
	e := Estimate{N: n, Value: l.Diff, Low: l.Low, High: l.High}
	method := fmt.Sprintf("group-sequential repeated ci, daily looks to the horizon, pocock-type alpha spending (lan-demets); look day %d, boundary z=%.3f", l.Day, l.Bound)
	if l.Crossed {
		method += fmt.Sprintf("; boundary crossed on day %d: may stop", l.FirstDay)
	} else {
		method += "; boundary not crossed: keep going"
	}
	return rc.row("sequential_share_paid", arm, e, method, false)
}
