package policy

import (
	"fmt"
	"math"
	"time"

	"acuerdo"
)

// The agent's negotiation authority. Dates are calendar dates and "today" is
// always passed in, so a refusal never depends on the server's zone or clock.

// MaxNewDueDate returns the latest due date a date change may set: the limit
// counts from the current due date, or from today when the current one is
// unknown or already past.
func (c Config) MaxNewDueDate(current, today acuerdo.Date) acuerdo.Date {
	base := current
	if base.IsZero() || base.Before(today) {
		base = today
	}
	return base.AddDays(c.Negotiation.DateChangeMaxDays)
}

// DateChange decides whether the next due date may move from current to
// proposed: not into the past, at most DateChangeMaxDays after the current due
// date, and at most once per DateChangeEveryDays (lastChange is when the
// previous change was made; nil if never).
func (c Config) DateChange(current, proposed, today acuerdo.Date, lastChange *time.Time) Decision {
	n := c.Negotiation
	latest := c.MaxNewDueDate(current, today)
	if lastChange != nil {
		if next := acuerdo.DateOf(*lastChange).AddDays(n.DateChangeEveryDays); today.Before(next) {
			return refuse(RuleDateChangeFrequency, "the due date was last changed on %s; one change per %d days is allowed, the next from %s",
				acuerdo.DateOf(*lastChange), n.DateChangeEveryDays, next)
		}
	}
	switch {
	case proposed.IsZero():
		return refuse(RuleDateChangeInPast, "no new date given; dates allowed are %s to %s", today, latest)
	case proposed.Before(today):
		return refuse(RuleDateChangeInPast, "%s is in the past; dates allowed are %s to %s", proposed, today, latest)
	case proposed == current:
		return refuse(RuleDateChangeSameDate, "%s is already the due date; dates allowed are %s to %s", proposed, today, latest)
	case latest.Before(proposed):
		return refuse(RuleDateChangeMaxDays, "%s is more than %d days out; latest date allowed is %s", proposed, n.DateChangeMaxDays, latest)
	}
	return allow(RuleDateChange, "%s is within the %d-day limit (latest date allowed is %s)", proposed, n.DateChangeMaxDays, latest)
}

// Pause decides whether collection may pause for days days: between
// PauseMinDays and PauseMaxDays, and at most once per PauseEveryMonths
// (lastPause is when the previous pause was granted; nil if never).
func (c Config) Pause(days int, today acuerdo.Date, lastPause *time.Time) Decision {
	n := c.Negotiation
	if n.PauseMaxDays == 0 {
		return refuse(RulePauseDays, "the policy grants no pauses; offer a date change or a payment plan")
	}
	if lastPause != nil {
		last := acuerdo.DateOf(*lastPause)
		next := acuerdo.DateOf(last.Time(time.UTC).AddDate(0, n.PauseEveryMonths, 0))
		if today.Before(next) {
			return refuse(RulePauseFrequency, "a pause was granted on %s; one pause per %d months is allowed, the next from %s", last, n.PauseEveryMonths, next)
		}
	}
	if days < n.PauseMinDays || days > n.PauseMaxDays {
		return refuse(RulePauseDays, "a pause of %d days is not allowed; pauses last %d to %d days", days, n.PauseMinDays, n.PauseMaxDays)
	}
	return allow(RulePause, "a %d-day pause until %s is within the %d–%d day limit", days, today.AddDays(days), n.PauseMinDays, n.PauseMaxDays)
}

// minFirst is the smallest first installment for balance, rounded up to the
// minor unit so that the percentage always holds.
func (c Config) minFirst(balance int64) int64 {
	bp := int64(math.Round(c.Negotiation.PlanMinFirstPercent * 100)) // basis points
	if balance > math.MaxInt64/10000 {
		return int64(math.Ceil(float64(balance) * float64(bp) / 10000))
	}
	return (balance*bp + 9999) / 10000
}

// Plan computes a payment plan of n monthly installments for balance, the
// first due on start, and checks it with CheckPlan. Installments are equal in
// minor units with the remainder added to the first, so they sum to the
// balance exactly. When an equal share would be below the minimum first
// installment (11 or 12 installments at 10 %), the first is raised to that
// minimum and the rest is split equally over the others.
func (c Config) Plan(balance acuerdo.Money, n int, start, today acuerdo.Date) ([]acuerdo.Installment, Decision) {
	lim := c.Negotiation
	if n < lim.PlanMinInstallments || n > lim.PlanMaxInstallments {
		return nil, refuse(RulePlanInstallments, "%d installments is not allowed; plans have %d to %d installments", n, lim.PlanMinInstallments, lim.PlanMaxInstallments)
	}
	if balance.Amount < int64(n) {
		return nil, refuse(RulePlanSum, "a balance of %s cannot be split into %d installments", balance, n)
	}
	amounts := make([]int64, n)
	each, rem := balance.Amount/int64(n), balance.Amount%int64(n)
	for i := range amounts {
		amounts[i] = each
	}
	amounts[0] += rem
	if low := c.minFirst(balance.Amount); amounts[0] < low && n > 1 {
		rest := balance.Amount - low
		each, rem = rest/int64(n-1), rest%int64(n-1)
		amounts[0] = low + rem
		for i := 1; i < n; i++ {
			amounts[i] = each
		}
	}
	if amounts[n-1] <= 0 {
		return nil, refuse(RulePlanSum, "a balance of %s is too small for %d installments with a first of at least %s%%", balance, n, percent(lim.PlanMinFirstPercent))
	}
	plan := make([]acuerdo.Installment, n)
	for i := range plan {
		plan[i] = acuerdo.Installment{
			Seq:     i + 1,
			DueDate: addMonths(start, i),
			Amount:  acuerdo.Money{Amount: amounts[i], Currency: balance.Currency},
			Status:  acuerdo.InstallmentDue,
		}
	}
	if d := c.CheckPlan(balance, plan, today); !d.Allowed {
		return nil, d
	}
	return plan, allow(RulePlan, "%d installments, first %s on %s, then %s monthly", n, plan[0].Amount.Decimal(), plan[0].DueDate, plan[n-1].Amount.Decimal())
}

// addMonths moves d by n months, keeping its day of month where the month has
// it and using the month's last day where not (31 January → 28 February).
func addMonths(d acuerdo.Date, n int) acuerdo.Date {
	first := acuerdo.Date{Year: d.Year, Month: d.Month, Day: 1}
	t := first.Time(time.UTC).AddDate(0, n, 0)
	last := acuerdo.DateOf(t.AddDate(0, 1, -1)).Day
	return acuerdo.Date{Year: t.Year(), Month: t.Month(), Day: min(d.Day, last)}
}

// CheckPlan validates a payment plan for balance, whoever computed it: the
// number of installments, positive amounts in the balance's currency summing
// to it exactly, the minimum first installment, a first due date between
// today and PlanStartMaxDays from today, and due dates in increasing order.
func (c Config) CheckPlan(balance acuerdo.Money, plan []acuerdo.Installment, today acuerdo.Date) Decision {
	lim := c.Negotiation
	n := len(plan)
	if n < lim.PlanMinInstallments || n > lim.PlanMaxInstallments {
		return refuse(RulePlanInstallments, "%d installments is not allowed; plans have %d to %d installments", n, lim.PlanMinInstallments, lim.PlanMaxInstallments)
	}
	if balance.Amount <= 0 {
		return refuse(RulePlanSum, "the balance %s leaves nothing to split", balance)
	}
	var sum int64
	for i, in := range plan {
		if in.Amount.Currency != balance.Currency || in.Amount.Amount <= 0 {
			return refuse(RulePlanSum, "installment %d is %s; each must be a positive amount in %s", i+1, in.Amount, balance.Currency)
		}
		sum += in.Amount.Amount
		if i > 0 && !plan[i-1].DueDate.Before(in.DueDate) {
			return refuse(RulePlanDates, "installment %d is due %s, not after installment %d on %s", i+1, in.DueDate, i, plan[i-1].DueDate)
		}
	}
	if sum != balance.Amount {
		got := acuerdo.Money{Amount: sum, Currency: balance.Currency}
		return refuse(RulePlanSum, "installments sum to %s, not the balance %s", got.Decimal(), balance.Decimal())
	}
	if low := c.minFirst(balance.Amount); plan[0].Amount.Amount < low {
		least := acuerdo.Money{Amount: low, Currency: balance.Currency}
		return refuse(RulePlanFirstInstallment, "the first installment %s is below %s%% of the balance; it must be at least %s",
			plan[0].Amount.Decimal(), percent(lim.PlanMinFirstPercent), least.Decimal())
	}
	latest := today.AddDays(lim.PlanStartMaxDays)
	if first := plan[0].DueDate; first.Before(today) || latest.Before(first) {
		return refuse(RulePlanStartDate, "the first installment is due %s; it must fall between %s and %s", first, today, latest)
	}
	return allow(RulePlan, "%d installments summing to %s within policy", n, balance.Decimal())
}

// Discount decides whether discount may come off balance: never unless the
// policy grants a maximum percentage, and then at most that share.
func (c Config) Discount(balance, discount acuerdo.Money) Decision {
	maxPct := c.Negotiation.MaxDiscountPercent
	if discount.Amount <= 0 {
		return allow(RuleDiscount, "no discount asked")
	}
	if maxPct <= 0 {
		return refuse(RuleDiscountNotGranted, "the policy grants no discounts; offer a date change, a pause or a payment plan")
	}
	if discount.Currency != balance.Currency || balance.Amount <= 0 {
		return refuse(RuleDiscountMaxPercent, "a discount of %s does not apply to a balance of %s", discount, balance)
	}
	bp := int64(math.Round(maxPct * 100))
	allowed := balance.Amount * bp / 10000 // rounded down: never more than the percentage
	if balance.Amount > math.MaxInt64/10000 {
		allowed = int64(float64(balance.Amount) * float64(bp) / 10000)
	}
	most := acuerdo.Money{Amount: allowed, Currency: balance.Currency}
	if discount.Amount > allowed {
		return refuse(RuleDiscountMaxPercent, "a discount of %s is more than %s%% of the balance; the largest allowed is %s", discount.Decimal(), percent(maxPct), most.Decimal())
	}
	return allow(RuleDiscount, "a discount of %s is within %s%% of the balance (at most %s)", discount.Decimal(), percent(maxPct), most.Decimal())
}

func percent(p float64) string { return fmt.Sprintf("%g", p) }
