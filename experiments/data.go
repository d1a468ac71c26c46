package experiments

import (
	"fmt"
	"math"
)

// Arm indices in columnar data.
const (
	Control   uint8 = 0
	Treatment uint8 = 1
)

// ArmName is the acuerdo name of an arm index.
func ArmName(a uint8) string {
	if a == Treatment {
		return "treatment"
	}
	return "control"
}

// Cohort is every assigned debtor of one experiment, one slice element per debtor
// (columnar: a million debtors are a few flat slices, no maps, no pointers). All
// columns have the same length; covariate columns may be absent.
type Cohort struct {
	Arm      []uint8   // Control (0), Treatment (1), or an index into ArmNames
	ArmNames []string  // arm names by index, control first; nil: control, treatment
	Stratum  []int32   // index into Strata
	Strata   []string  // stratum labels
	Placed   []float64 // balance placed with the experiment, minor units
	Cost     []float64 // cost to serve the debtor to date, minor units (0 when none)
	FollowUp []int32   // whole days observed: min(horizon, days from assignment to as-of)

	// Covariates are pre-period values for CUPED (the store fills balance at
	// assignment and payments in the 90 days before); NaN marks a missing value.
	Covariates     [][]float64
	CovariateNames []string
}

// Payments are the payments of a cohort's debtors, one element per payment.
type Payments struct {
	Unit   []int32   // index into the Cohort columns
	Day    []int32   // 1-based day since assignment
	Amount []float64 // minor units
}

// Len is the number of debtors.
func (c *Cohort) Len() int { return len(c.Arm) }

// Validate checks that the columns agree; the store calls it before a report.
func (c *Cohort) Validate(p *Payments) error {
	n := len(c.Arm)
	if len(c.Stratum) != n || len(c.Placed) != n || len(c.Cost) != n || len(c.FollowUp) != n {
		return fmt.Errorf("cohort columns differ in length (arm %d, stratum %d, placed %d, cost %d, follow-up %d)",
			n, len(c.Stratum), len(c.Placed), len(c.Cost), len(c.FollowUp))
	}
	if len(c.Covariates) != len(c.CovariateNames) {
		return fmt.Errorf("cohort has %d covariates but %d names", len(c.Covariates), len(c.CovariateNames))
	}
	for j, col := range c.Covariates {
		if len(col) != n {
			return fmt.Errorf("covariate %s has %d values for %d debtors", c.CovariateNames[j], len(col), n)
		}
	}
	arms := len(c.ArmNamesOf())
	for i := 0; i < n; i++ {
		if int(c.Arm[i]) >= arms {
			return fmt.Errorf("debtor %d: arm %d, but the cohort has %d arms", i, c.Arm[i], arms)
		}
		if c.Stratum[i] < 0 || int(c.Stratum[i]) >= len(c.Strata) {
			return fmt.Errorf("debtor %d: stratum %d out of range", i, c.Stratum[i])
		}
		if c.Placed[i] < 0 || math.IsNaN(c.Placed[i]) || c.FollowUp[i] < 0 {
			return fmt.Errorf("debtor %d: negative or missing placed balance or follow-up", i)
		}
	}
	if p == nil {
		return nil
	}
	if len(p.Day) != len(p.Unit) || len(p.Amount) != len(p.Unit) {
		return fmt.Errorf("payment columns differ in length")
	}
	for k, u := range p.Unit {
		if u < 0 || int(u) >= n {
			return fmt.Errorf("payment %d: debtor index %d out of range", k, u)
		}
		if p.Day[k] < 1 {
			return fmt.Errorf("payment %d: day %d; days are 1-based", k, p.Day[k])
		}
	}
	return nil
}

// CollectedBy is, per debtor, the sum of payments on days 1..min(day, FollowUp);
// day ≤ 0 means "to date" (up to FollowUp).
func CollectedBy(c *Cohort, p *Payments, day int) []float64 {
	y := make([]float64, c.Len())
	for k, u := range p.Unit {
		d := p.Day[k]
		if d <= c.FollowUp[u] && (day <= 0 || int(d) <= day) {
			y[u] += p.Amount[k]
		}
	}
	return y
}

// TimeToFirstPayment returns, per debtor, the day of the first observed positive
// payment and whether there was one; debtors without one are censored at FollowUp.
func TimeToFirstPayment(c *Cohort, p *Payments) (days []int32, paid []bool) {
	days = make([]int32, c.Len())
	paid = make([]bool, c.Len())
	copy(days, c.FollowUp)
	for k, u := range p.Unit {
		d := p.Day[k]
		if p.Amount[k] > 0 && d <= c.FollowUp[u] && (!paid[u] || d < days[u]) {
			days[u], paid[u] = d, true
		}
	}
	return days, paid
}

// CountArms counts debtors per arm index, for k arms.
func CountArms(arm []uint8, k int) []int {
	n := make([]int, k)
	for _, a := range arm {
		if int(a) < k {
			n[a]++
		}
	}
	return n
}

// ArmCounts counts debtors per arm: control, treatment.
func ArmCounts(arm []uint8) [2]int {
	var n [2]int
	for _, a := range arm {
		n[a&1]++
	}
	return n
}
