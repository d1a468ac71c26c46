package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"acuerdo/importer"
	"acuerdo/tools"
)

// A payment that arrives between the offer and the acceptance makes the plan ask
// for more than is owed: accepting it is refused and a new plan is offered.
func TestAcceptOutdatedPlan(t *testing.T) {
	f := newFixture(t)
	e := f.verified(t, luzPhone)
	p := plan(t, f.allow(t, e, tools.OfferPaymentPlan, `{"installments":3}`, "plan"))
	tb, err := importer.NewCSV(strings.NewReader("Credito,Monto,Fecha pago,Transaccion\nCR-5555,50000," + t0.Format("2006-01-02 15:04") + ",late-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := importer.Payments(f.ctx, f.db, tb, importer.Options{Country: "CO"}); err != nil || sum.Inserted != 1 {
		t.Fatalf("payment import %+v %v", sum, err)
	}
	r := f.refuse(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "plan_outdated")
	if !strings.Contains(r.Message, "250000.00") {
		t.Fatalf("refusal %q does not name the balance now owed", r.Message)
	}
	// A new offer covers the new balance and can be accepted.
	p2 := plan(t, f.allow(t, e, tools.OfferPaymentPlan, `{"installments":3}`, "plan"))
	f.allow(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p2.id), "plan_accepted")
}
