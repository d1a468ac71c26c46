// Package policy holds acuerdo's hard guardrails as pure functions: when a debtor
// may be contacted and how often, consent and opt-out words, the 24-hour WhatsApp
// window, what the agent may negotiate, and what its replies may say.
//
// The rules live in code, not only in the prompt, because a model can be talked
// into anything; every tool and every outbound message asks this package first.
// Nothing here does I/O except Load, nothing reads the clock: the instant or the
// date being judged is always an argument, so every rule is testable at any time.
//
// Every check returns a Decision. Allowed and refused decisions both carry a
// stable snake_case Rule so that the audit log records why something happened,
// and a Reason that also tells the model what it may do instead.
package policy

import (
	"fmt"

	"acuerdo"
)

// Decision is the outcome of one policy check.
type Decision struct {
	Allowed bool
	Rule    string // stable snake_case rule name; set on allowed decisions too
	Reason  string // short English explanation, including what is allowed
}

// Err returns nil when the decision allows the action, and otherwise an
// acuerdo error with code EPOLICY whose message names the rule, so tools can
// return refusals through their ordinary error path.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return acuerdo.Errorf(acuerdo.EPOLICY, "%s: %s", d.Rule, d.Reason)
}

func allow(rule, format string, args ...any) Decision {
	return Decision{Allowed: true, Rule: rule, Reason: fmt.Sprintf(format, args...)}
}

func refuse(rule, format string, args ...any) Decision {
	return Decision{Allowed: false, Rule: rule, Reason: fmt.Sprintf(format, args...)}
}

// Rule names. They appear in the audit log and in tests of other packages, so
// they never change once released.
const (
	// Contact.
	RuleOptOut            = "opt_out"
	RuleConsent           = "consent"
	RuleUnreachable       = "unreachable" // the phone cannot be contacted (contact hygiene)
	RuleContactHours      = "contact_hours"
	RuleFrequencyCap      = "frequency_cap"
	RuleServiceWindow     = "service_window"
	RuleBusinessInitiated = "business_initiated" // the combined check, when it allows

	// Negotiation.
	RuleDateChange           = "date_change"
	RuleDateChangeFrequency  = "date_change_frequency"
	RuleDateChangeInPast     = "date_change_in_past"
	RuleDateChangeSameDate   = "date_change_same_date"
	RuleDateChangeMaxDays    = "date_change_max_days"
	RulePause                = "pause"
	RulePauseDays            = "pause_days"
	RulePauseFrequency       = "pause_frequency"
	RulePlan                 = "plan"
	RulePlanInstallments     = "plan_installments"
	RulePlanFirstInstallment = "plan_first_installment"
	RulePlanStartDate        = "plan_start_date"
	RulePlanDates            = "plan_dates"
	RulePlanSum              = "plan_sum"
	RuleDiscount             = "discount"
	RuleDiscountNotGranted   = "discount_not_granted"
	RuleDiscountMaxPercent   = "discount_max_percent"

	// Content of the bot's replies.
	RuleForbiddenLanguage = "forbidden_language"
	RuleUnverifiedAmount  = "unverified_amount"
	RuleUnverifiedDate    = "unverified_date"
	RuleUnverifiedURL     = "unverified_url"
	RuleUnverifiedPlan    = "unverified_plan"
	RuleTooLong           = "too_long"
)
