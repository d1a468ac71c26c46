package experiments

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// A pilot with more than two arms is read as every arm against control: each
// comparison is the two-arm analysis (Report's metrics, unchanged) of the
// sub-cohort made of control and that arm. Control is shared by the k − 1
// comparisons, so their tests are not independent; Holm's step-down
// adjustment, which holds the family-wise error rate under any dependence, is
// what p_adjusted reports.

// Pair is one arm against control: the sub-cohort of both, with control at
// index 0 and the arm at index 1, and where its units came from.
type Pair struct {
	Name     string // the arm's name
	Index    uint8  // the arm's index in the full cohort
	Cohort   *Cohort
	Payments *Payments
	Rows     []int // Rows[i] is unit i's index in the full cohort
}

// ArmNamesOf is the cohort's arm names: ArmNames, or control and treatment.
func (c *Cohort) ArmNamesOf() []string {
	if len(c.ArmNames) > 0 {
		return c.ArmNames
	}
	return []string{"control", "treatment"}
}

// Pairs splits a cohort into its comparisons with control (arm 0), in arm order.
func Pairs(c *Cohort, p *Payments) []Pair {
	names := c.ArmNamesOf()
	var out []Pair
	for a := 1; a < len(names); a++ {
		out = append(out, SubCohort(c, p, uint8(a), names[a]))
	}
	return out
}

// SubCohort is control and arm a of c, relabelled 0 and 1.
func SubCohort(c *Cohort, p *Payments, a uint8, name string) Pair {
	pr := Pair{Name: name, Index: a}
	// Sized first: at a million debtors, columns grown by append copied and
	// left behind five times their size, on every pair of every report.
	n := 0
	for _, arm := range c.Arm {
		if arm == 0 || arm == a {
			n++
		}
	}
	pr.Rows = make([]int, 0, n)
	if a == Treatment && n == c.Len() {
		// Control and treatment only: the pair is the cohort, already labelled
		// 0 and 1; it shares the columns (nothing writes to a pair's) instead
		// of copying a million rows.
		for i := range n {
			pr.Rows = append(pr.Rows, i)
		}
		pr.Cohort = &Cohort{Arm: c.Arm, Stratum: c.Stratum, Strata: c.Strata, Placed: c.Placed, Cost: c.Cost, FollowUp: c.FollowUp,
			Covariates: c.Covariates, CovariateNames: c.CovariateNames}
		pr.Payments = &Payments{}
		if p != nil {
			pr.Payments = p
		}
		return pr
	}
	sub := &Cohort{Strata: c.Strata, CovariateNames: c.CovariateNames, Covariates: make([][]float64, len(c.Covariates)),
		Arm: make([]uint8, 0, n), Stratum: make([]int32, 0, n), Placed: make([]float64, 0, n), Cost: make([]float64, 0, n), FollowUp: make([]int32, 0, n)}
	for j := range sub.Covariates {
		sub.Covariates[j] = make([]float64, 0, n)
	}
	where := make([]int32, c.Len())
	for i, arm := range c.Arm {
		where[i] = -1
		if arm != 0 && arm != a {
			continue
		}
		where[i] = int32(len(pr.Rows))
		pr.Rows = append(pr.Rows, i)
		na := Control
		if arm == a {
			na = Treatment
		}
		sub.Arm = append(sub.Arm, na)
		sub.Stratum = append(sub.Stratum, c.Stratum[i])
		sub.Placed = append(sub.Placed, c.Placed[i])
		sub.Cost = append(sub.Cost, c.Cost[i])
		sub.FollowUp = append(sub.FollowUp, c.FollowUp[i])
		for j, col := range c.Covariates {
			sub.Covariates[j] = append(sub.Covariates[j], col[i])
		}
	}
	sp := &Payments{}
	if p != nil {
		m := 0
		for _, u := range p.Unit {
			if where[u] >= 0 {
				m++
			}
		}
		sp.Unit, sp.Day, sp.Amount = make([]int32, 0, m), make([]int32, 0, m), make([]float64, 0, m)
		for k, u := range p.Unit {
			if w := where[u]; w >= 0 {
				sp.Unit = append(sp.Unit, w)
				sp.Day = append(sp.Day, p.Day[k])
				sp.Amount = append(sp.Amount, p.Amount[k])
			}
		}
	}
	pr.Cohort, pr.Payments = sub, sp
	return pr
}

// DiffLabel is the arm label of the difference row of arm against control:
// "difference" for the classic treatment arm, "difference:NAME" otherwise.
func DiffLabel(arm string) string {
	if arm == "treatment" {
		return ArmDifference
	}
	return ArmDifference + ":" + arm
}

// RelLabel is the label of the relative row, like DiffLabel.
func RelLabel(arm string) string {
	if arm == "treatment" {
		return ArmRelative
	}
	return ArmRelative + ":" + arm
}

// ComparedArm is the arm a row compares with control ("warm" for
// "difference:warm", "treatment" for "difference"), and whether the row is a
// comparison at all.
func ComparedArm(label string) (string, bool) {
	for _, p := range []string{ArmDifference, ArmRelative} {
		if label == p {
			return "treatment", true
		}
		if rest, ok := strings.CutPrefix(label, p+":"); ok {
			return rest, true
		}
	}
	return "", false
}

// RelabelPair renames a two-arm block's rows for arm name: treatment becomes
// name, difference and relative DiffLabel and RelLabel. Unless keepControl,
// control rows are dropped (the first comparison already reported control).
func RelabelPair(rows []Result, name string, keepControl bool) []Result {
	out := rows[:0]
	for _, r := range rows {
		switch r.Arm {
		case "control":
			if !keepControl {
				continue
			}
		case "treatment":
			r.Arm = name
		case ArmDifference:
			r.Arm = DiffLabel(name)
		case ArmRelative:
			r.Arm = RelLabel(name)
		}
		out = append(out, r)
	}
	return out
}

// Holm is Holm's step-down adjustment of p-values: sorted ascending, the i-th
// smallest (0-based) of m becomes max over j ≤ i of min(1, (m − j)·p_(j)). NaN
// p-values are left NaN and do not count in m.
func Holm(ps []float64) []float64 {
	out := make([]float64, len(ps))
	var idx []int
	for i, p := range ps {
		out[i] = math.NaN()
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	m := len(idx)
	run := 0.0
	for j, i := range idx {
		run = math.Max(run, math.Min(1, float64(m-j)*ps[i]))
		out[i] = run
	}
	return out
}

// AdjustHolm fills PAdjusted on the comparison rows: one family per metric,
// CUPED flag and segment, made of its comparisons' difference rows (relative
// rows share their difference's p and get the same adjusted value). With a
// single comparison p_adjusted equals p.
func AdjustHolm(rows []Result) {
	type key struct {
		metric, segment string
		cuped           bool
	}
	fam := map[key][]int{}
	var order []key
	for i, r := range rows {
		arm, ok := ComparedArm(r.Arm)
		if !ok || math.IsNaN(r.PValue) || !strings.HasPrefix(r.Arm, ArmDifference) {
			continue
		}
		_ = arm
		k := key{r.Metric, r.Segment, r.CUPED}
		if r.Segment != "" {
			k.segment = "*" // every segment and arm of a metric is one family
		}
		if _, seen := fam[k]; !seen {
			order = append(order, k)
		}
		fam[k] = append(fam[k], i)
	}
	adj := map[[2]string]map[bool]float64{} // (metric|segment, arm) → cuped → adjusted
	for _, k := range order {
		ps := make([]float64, len(fam[k]))
		for j, i := range fam[k] {
			ps[j] = rows[i].PValue
		}
		for j, a := range Holm(ps) {
			i := fam[k][j]
			rows[i].PAdjusted = a
			arm, _ := ComparedArm(rows[i].Arm)
			id := [2]string{k.metric + "\x00" + rows[i].Segment, arm}
			if adj[id] == nil {
				adj[id] = map[bool]float64{}
			}
			adj[id][k.cuped] = a
		}
	}
	for i, r := range rows {
		if !strings.HasPrefix(r.Arm, ArmRelative) {
			continue
		}
		arm, _ := ComparedArm(r.Arm)
		if a, ok := adj[[2]string{r.Metric + "\x00" + r.Segment, arm}][r.CUPED]; ok {
			rows[i].PAdjusted = a
		}
	}
}

// SegmentRows are exploratory per-segment lifts of liquidation by day: for each
// segment label (one per unit, "" for none) and each arm against control, the
// four comparison rows restricted to the segment, with Segment set. Holm's
// adjustment (AdjustHolm) treats every segment and arm of the metric as one
// family, and the method says the rows are exploratory: with many segments,
// some intervals exclude zero by chance, and a segment picked after looking is
// a hypothesis for the next pilot, not a finding.
func SegmentRows(rc RowContext, c *Cohort, p *Payments, day int, labels []string, level float64) []Result {
	seen := map[string]bool{}
	var segs []string
	for _, l := range labels {
		if l != "" && !seen[l] {
			seen[l] = true
			segs = append(segs, l)
		}
	}
	slices.Sort(segs)
	var out []Result
	metric := fmt.Sprintf("liquidation_rate_d%d", day)
	for j, pr := range Pairs(c, p) {
		y := CollectedBy(pr.Cohort, pr.Payments, day)
		for _, s := range segs {
			mask := make([]bool, pr.Cohort.Len())
			n := 0
			for i, row := range pr.Rows {
				mask[i] = labels[row] == s && int(pr.Cohort.FollowUp[i]) >= day
				if mask[i] {
					n++
				}
			}
			if n == 0 {
				continue
			}
			plain, _ := CompareRatio(pr.Cohort.Arm, y, pr.Cohort.Placed, mask, nil, nil, level)
			plain.Method = "delta-method; exploratory segment, holm across all segments and arms"
			rows := RelabelPair(rc.ComparisonRows(metric, plain), pr.Name, j == 0)
			for i := range rows {
				rows[i].Segment = s
			}
			out = append(out, rows...)
		}
	}
	return out
}
