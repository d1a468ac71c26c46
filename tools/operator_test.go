package tools_test

import (
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/tools"
)

// TestOperatorCalls: a console user calls the same tools under the same
// policy. They answer for the debtor's identity, so an unverified
// conversation is no bar; the audit names them; an admin's exception goes
// past a negotiation limit and is audited with its reason, and never past
// the arithmetic.
func TestOperatorCalls(t *testing.T) {
	t.Parallel()
	op := &tools.Operator{Ref: "user 7 <op@acuerdo.test>"}
	lastAudit := func(t *testing.T, f *fixture) acuerdo.AuditEntry {
		t.Helper()
		es, err := f.db.Audit(f.ctx, store.AuditFilter{})
		if err != nil || len(es) == 0 {
			t.Fatal(err)
		}
		last := es[0]
		for _, e := range es {
			if e.ID > last.ID {
				last = e
			}
		}
		return last
	}

	t.Run("no verification needed, audited as the operator", func(t *testing.T) {
		f := newFixture(t)
		e := f.env(t, anaPhone)
		f.refuse(t, e, tools.OfferPaymentPlan, `{"installments":3}`, "identity_before_disclosure")
		e.Operator = op
		r := f.allow(t, e, tools.OfferPaymentPlan, `{"installments":3,"first_date":"2026-03-15"}`, "plan")
		if a := lastAudit(t, f); !strings.HasPrefix(a.Detail, "by user 7 <op@acuerdo.test>") {
			t.Errorf("audit detail %q does not name the operator", a.Detail)
		}
		if sched := data(t, r)["installments"].([]any); len(sched) != 3 || !strings.HasPrefix(sched[0].(string), "2026-03-15 ") {
			t.Errorf("schedule %v, want 3 installments from 2026-03-15", sched)
		}
	})

	t.Run("the third-party lock still holds", func(t *testing.T) {
		f := newFixture(t)
		e := f.env(t, anaPhone)
		now := f.clock.Now()
		e.Conv.ThirdPartyAt = &now
		e.Operator = op
		f.refuse(t, e, tools.OfferPaymentPlan, `{"installments":3}`, tools.RuleThirdParty)
	})

	t.Run("out of policy without an exception", func(t *testing.T) {
		f := newFixture(t)
		e := f.env(t, anaPhone)
		e.Operator = op
		f.refuse(t, e, tools.OfferPaymentPlan, `{"installments":24}`, "plan_installments")
		f.refuse(t, e, tools.ProposePause, `{"days":200}`, "pause_days")
		f.refuse(t, e, tools.ProposeDateChange, `{"new_date":"2026-12-01"}`, "date_change_max_days")
	})

	t.Run("an admin's exception", func(t *testing.T) {
		f := newFixture(t)
		e := f.env(t, anaPhone)
		e.Operator = &tools.Operator{Ref: "user 1 <admin@acuerdo.test>", Exception: "job loss, approved by the credit committee"}
		f.allow(t, e, tools.OfferPaymentPlan, `{"installments":24}`, "exception:plan_installments")
		a := lastAudit(t, f)
		if !strings.Contains(a.Detail, "by user 1 <admin@acuerdo.test>") || !strings.Contains(a.Detail, "job loss, approved by the credit committee") {
			t.Errorf("audit detail %q lacks the admin or the reason", a.Detail)
		}
		f.allow(t, e, tools.ProposePause, `{"days":120}`, "exception:pause_days")
		// Never past the arithmetic: a date in the past stays refused.
		f.refuse(t, e, tools.ProposeDateChange, `{"new_date":"2020-01-01"}`, "date_change_in_past")
		f.refuse(t, e, tools.RecordPromiseToPay, `{"amount":"1","date":"2020-01-01"}`, "promise_date")
	})
}
