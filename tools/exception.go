package tools

import (
	"acuerdo/policy"
)

// widened is the policy under an admin's exception: the negotiation limits
// (how many installments, how far a date may move, how long and how often a
// pause) open up to what the tools' own schemas accept; what is arithmetic
// or fact (installments summing to the balance, no date in the past, no
// promise above the balance) stays.
func widened(p policy.Config) policy.Config {
	n := &p.Negotiation
	n.DateChangeMaxDays = 366
	n.DateChangeEveryDays = 0
	n.PauseMinDays = 1
	n.PauseMaxDays = 366
	n.PauseEveryMonths = 0
	n.PlanMinInstallments = 1
	n.PlanMaxInstallments = 60
	n.PlanMinFirstPercent = 0
	n.PlanStartMaxDays = 366
	return p
}

// exception is the policy a refused call is decided again under, when an
// admin granted an exception to it; ok is false when there is none.
func exception(s *Set, c *call) (policy.Config, bool) {
	if c.Operator == nil || c.Operator.Exception == "" {
		return s.Policy, false
	}
	return widened(s.Policy), true
}

// exceptionRule and exceptionDetail are the audit line of a change made
// under an exception: which rule it went past, and the admin's reason.
func exceptionRule(refused string) string { return "exception:" + refused }

func exceptionDetail(c *call) string {
	if c.Operator == nil || c.Operator.Exception == "" {
		return ""
	}
	return "policy exception: " + c.Operator.Exception
}
