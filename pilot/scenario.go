package pilot

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"acuerdo/experiments"
	"acuerdo/store"
)

// ScenarioRows are conversion by scenario (issue 5): per days-past-due band,
// the share of the band's debtors who paid anything within follow-up, per arm
// with the treatment − control difference; and per payment method, the share
// of all debtors whose first payment used that method, so the method rows of
// an arm add up to its overall conversion. Scenarios are often small and
// their rates near zero, where a normal interval leaves [0, 1]: arms get
// Wilson score intervals, the difference Newcombe's hybrid score interval
// (his method 10), and the p-value is the pooled two-proportion z-test.
//
// Bands are descriptive cuts, not separate tests: with six bands and a few
// methods, one interval in twenty excludes zero by chance, and the report's
// method column says so.
//
// arm is the arm compared with control (1 in a two-arm pilot); the rows are
// labelled control and treatment, for experiments.RelabelPair to name.
func ScenarioRows(rc experiments.RowContext, c *experiments.Cohort, p *experiments.Payments, data store.ExperimentData, arm uint8) []experiments.Result {
	n := c.Len()
	first, paid := experiments.TimeToFirstPayment(c, p)
	y := make([]float64, n)
	for i := range n {
		if paid[i] {
			y[i] = 1
		}
	}
	var out []experiments.Result
	add := func(metric string, y []float64, mask []bool) {
		var k, m [2]int
		for i, a := range c.Arm {
			if mask != nil && !mask[i] || a != 0 && a != arm {
				continue
			}
			j := 0
			if a == arm {
				j = 1
			}
			m[j]++
			if y[i] > 0 {
				k[j]++
			}
		}
		out = append(out, rc.ComparisonRows(metric, compareShares(k, m))...)
	}

	bands := map[string][]bool{}
	for i, row := range data.Rows {
		b := experiments.DPDBand(row.DaysPastDue)
		if bands[b] == nil {
			bands[b] = make([]bool, n)
		}
		bands[b][i] = true
	}
	for _, b := range sortedKeys(bands) {
		add("conversion_"+b, y, bands[b])
	}

	// The method of each debtor's first payment: the earliest observed one,
	// the first listed on a tie (payments come ordered by time, then id).
	method := make([]string, n)
	seen := make([]bool, n)
	labels := map[string]string{} // a pilot has a handful of methods and millions of payments
	for k, pay := range data.Payments {
		u := pay.Row
		if paid[u] && !seen[u] && p.Day[k] == first[u] && p.Amount[k] > 0 {
			l, ok := labels[pay.Method]
			if !ok {
				l = methodLabel(pay.Method)
				labels[pay.Method] = l
			}
			method[u], seen[u] = l, true
		}
	}
	byMethod := map[string][]float64{}
	for i, m := range method {
		if m == "" {
			continue
		}
		if byMethod[m] == nil {
			byMethod[m] = make([]float64, n)
		}
		byMethod[m][i] = 1
	}
	for _, m := range sortedKeys(byMethod) {
		add("conversion_method_"+m, byMethod[m], nil)
	}
	return out
}

// compareShares compares k[a] of m[a] between control (0) and treatment (1).
func compareShares(k, m [2]int) experiments.Comparison {
	nan := math.NaN()
	var p, lo, hi [2]float64
	for a := range 2 {
		p[a], lo[a], hi[a] = wilson(k[a], m[a])
	}
	c := experiments.Comparison{Method: "Wilson (arms), Newcombe hybrid score (difference), pooled z-test; descriptive, not adjusted for multiple scenarios"}
	c.Control = experiments.Estimate{N: m[0], Value: p[0], SE: nan, Low: lo[0], High: hi[0]}
	c.Treatment = experiments.Estimate{N: m[1], Value: p[1], SE: nan, Low: lo[1], High: hi[1]}
	d := p[1] - p[0]
	c.Diff = experiments.Estimate{N: m[0] + m[1], Value: d, SE: nan,
		Low:  d - math.Sqrt((p[1]-lo[1])*(p[1]-lo[1])+(hi[0]-p[0])*(hi[0]-p[0])),
		High: d + math.Sqrt((hi[1]-p[1])*(hi[1]-p[1])+(p[0]-lo[0])*(p[0]-lo[0]))}
	c.Rel = experiments.Estimate{N: m[0] + m[1], Value: nan, SE: nan, Low: nan, High: nan}
	if p[0] > 0 {
		c.Rel.Value = p[1]/p[0] - 1
	}
	c.P = nan
	if m[0] > 0 && m[1] > 0 {
		pool := float64(k[0]+k[1]) / float64(m[0]+m[1])
		se := math.Sqrt(pool * (1 - pool) * (1/float64(m[0]) + 1/float64(m[1])))
		switch {
		case se > 0:
			c.P = math.Erfc(math.Abs(d/se) / math.Sqrt2)
		case d == 0:
			c.P = 1
		}
	}
	return c
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// methodLabel makes a payment method a metric-name suffix: "Tarjeta de
// crédito" → "tarjeta_de_credito"; an empty one is "unknown".
func methodLabel(m string) string {
	// Accents go first (NFD, then drop the combining marks) so "crédito" and
	// "credito" are one method.
	plain, _, _ := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn))), m)
	s := strings.Trim(nonWord.ReplaceAllString(strings.ToLower(plain), "_"), "_")
	if s == "" {
		return "unknown"
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
