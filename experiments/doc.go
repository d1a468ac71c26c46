// Package experiments is the scientist of acuerdo: cohort assignment and the
// statistics of a pilot (treatment = the agent contacts debtors, control = business
// as usual), as pure functions over columnar data. It does no I/O; the store fills a
// Cohort and Payments, and the report command and dashboard render []Result.
//
// Conventions, fixed here so every metric agrees:
//
//   - Intention to treat: every assigned debtor counts in its arm, contacted or not.
//   - Days are 1-based whole days since assignment: a payment in the first 24 hours
//     after assignment is on day 1, so "by day 30" means Day ≤ 30.
//   - A debtor observed for FollowUp whole days contributes only payments with
//     Day ≤ FollowUp; later payments are not yet observed and are ignored.
//   - Money is in minor units of one currency, carried as float64 (exact up to 2^53).
//   - A value that is not defined (no payments, median not reached) is NaN, and the
//     row's Method says why; Result renders NaN as an empty CSV cell or JSON null.
//
// What is computed (Report runs all of it, in this order):
//
//   - SRM: Pearson chi-square of arm counts against the planned split, flagged at
//     p < 0.001; its p-value is on every row (srm_p).
//   - Liquidation rate by day d (30/60/90): Σ collected by d / Σ placed per arm,
//     delta-method intervals for each arm, the difference and the relative lift, and
//     a CUPED-adjusted version (delta-method linearisation first, then CUPED on the
//     linearised values) on the cohort's covariates.
//   - Recovery per debtor and net of cost: arm means, stratified Poisson bootstrap
//     percentile intervals, Welch p-values.
//   - Cost to collect: Σ cost / Σ collected per arm, delta method.
//   - Time to first payment: Kaplan–Meier per arm with Greenwood variance and
//     log-log bands, share paid by day d, restricted mean time to pay, the median
//     where S reaches 0.5, and the log-rank test.
//
// Pilots with more than two arms (Cohort.ArmNames) are read as every arm
// against control: each comparison is the two-arm analysis above on control
// plus that arm (Pairs); the SRM test covers all arms (k − 1 degrees of
// freedom) and each metric's comparisons get Holm-adjusted p-values
// (p_adjusted). Relative lifts have Fieller intervals, so they exclude zero
// exactly when the difference's interval does. The share paid is also read
// sequentially (sequential.go): daily looks to the horizon with Lan–DeMets
// α-spending.
//
// The golden tests compare all of it with testdata/reference.py, an independent
// Python implementation; the calibration tests check interval coverage and error
// rates on simulated pilots (Simulate).
package experiments
