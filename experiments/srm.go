package experiments

import "math"

// SRMThreshold is the p-value below which a sample-ratio mismatch is flagged. It is
// strict because the check runs on every report: a false alarm should be rare.
const SRMThreshold = 0.001

// SRMResult is a chi-square goodness-of-fit test of arm counts against the plan.
type SRMResult struct {
	Counts   []int
	Expected []float64
	ChiSq    float64
	DF       int
	P        float64
	Flag     bool // P < SRMThreshold: the split is not what was planned; distrust every metric
}

// SRM tests observed arm counts against planned shares (normalised to sum to one)
// with Pearson's chi-square, k−1 degrees of freedom. Arms with a planned share of
// zero are skipped unless they received units, which is an infinite mismatch.
func SRM(counts []int, shares []float64) SRMResult {
	r := SRMResult{Counts: counts, Expected: make([]float64, len(counts)), P: math.NaN(), ChiSq: math.NaN()}
	if len(counts) != len(shares) || len(counts) < 2 {
		return r
	}
	var n, tot float64
	for i, c := range counts {
		n += float64(c)
		tot += shares[i]
	}
	if n == 0 || tot <= 0 {
		return r
	}
	chi, k := 0.0, 0
	for i, c := range counts {
		e := n * shares[i] / tot
		r.Expected[i] = e
		if e == 0 {
			if c > 0 {
				chi = math.Inf(1)
			}
			continue
		}
		k++
		d := float64(c) - e
		chi += d * d / e
	}
	r.ChiSq, r.DF = chi, k-1
	if math.IsInf(chi, 1) {
		r.P = 0
	} else {
		r.P = ChiSquareSF(chi, r.DF)
	}
	r.Flag = r.P < SRMThreshold
	return r
}
