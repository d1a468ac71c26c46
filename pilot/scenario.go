package pilot

import (
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
// an arm add up to its overall conversion. Both are ratios of sums with
// delta-method intervals (CompareRatio with x = 1 is a proportion).
//
// Bands are descriptive cuts, not separate tests: with six bands and a few
// methods, one interval in twenty excludes zero by chance, and the report's
// method column says so.
func ScenarioRows(rc experiments.RowContext, c *experiments.Cohort, p *experiments.Payments, data store.ExperimentData) []experiments.Result {
	n := c.Len()
	first, paid := experiments.TimeToFirstPayment(c, p)
	y, ones := make([]float64, n), make([]float64, n)
	for i := range n {
		ones[i] = 1
		if paid[i] {
			y[i] = 1
		}
	}
	var out []experiments.Result
	add := func(metric string, y []float64, mask []bool) {
		cmp, _ := experiments.CompareRatio(c.Arm, y, ones, mask, nil, nil, 0.95)
		cmp.Method = "delta-method, descriptive (not adjusted for multiple scenarios)"
		out = append(out, rc.ComparisonRows(metric, cmp)...)
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
