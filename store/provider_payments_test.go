package store_test

import (
	"context"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/store"
)

// paySetup is one debtor with an account, a conversation in which they wrote,
// a pending promise, an accepted two-installment plan, an open payment report
// and a Stripe link for 150,000 pesos.
func paySetup(t *testing.T) (*store.DB, string, int64) {
	t.Helper()
	db, path := open(t)
	ctx := context.Background()
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: "+573001234567", Name: "Ana Pérez", Country: "CO", Locale: "es"},
		Account: acuerdo.Account{Ref: "CR-1", Balance: &acuerdo.Money{Amount: 30000000, Currency: "COP"}}, Consent: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	acct, err := db.AccountByRef(ctx, "CR-1")
	if err != nil {
		t.Fatal(err)
	}
	convID, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor, Body: "hola", ProviderID: "SM1", Status: acuerdo.MessageReceived}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cop := func(a int64) acuerdo.Money { return acuerdo.Money{Amount: a, Currency: "COP"} }
	if _, err := db.CreatePromise(ctx, acuerdo.Promise{AccountID: acct.ID, ConversationID: convID, Amount: cop(15000000), DueDate: acuerdo.Date{Year: 2026, Month: 11, Day: 30}}); err != nil {
		t.Fatal(err)
	}
	plan, err := db.OfferPlan(ctx, acuerdo.Plan{AccountID: acct.ID, ConversationID: convID, Total: cop(30000000), Installments: []acuerdo.Installment{
		{Seq: 1, DueDate: acuerdo.Date{Year: 2026, Month: 11, Day: 30}, Amount: cop(15000000)},
		{Seq: 2, DueDate: acuerdo.Date{Year: 2026, Month: 12, Day: 30}, Amount: cop(15000000)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptPlan(ctx, plan.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: convID, DebtorID: acct.DebtorID, Reason: acuerdo.ReasonPaymentReport, State: acuerdo.CaseComplete}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordLink(ctx, paylink.Issued{Provider: "stripe", Reference: "acu_1", ProviderID: "cs_1", AccountRef: "CR-1", DebtorID: acct.DebtorID,
		Amount: cop(15000000), Scope: "installment", URL: "https://checkout.stripe.com/c/pay/cs_1"}); err != nil {
		t.Fatal(err)
	}
	return db, path, convID
}

func count(t *testing.T, path, q string, args ...any) int {
	t.Helper()
	db, err := store.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func thanks(ty store.ThankYou) store.Outgoing {
	return store.Outgoing{Body: "Gracias " + ty.Name + " " + ty.Amount.Decimal(), Template: "payment_thanks", Variables: map[string]string{"name": ty.Name}}
}

func TestRecordProviderPayment(t *testing.T) {
	db, path, convID := paySetup(t)
	ctx := context.Background()
	paid := time.Date(2026, 11, 22, 12, 30, 0, 0, time.UTC) // after the promise (the store clock is 12:00)
	p := store.ProviderPayment{Provider: "stripe", EventID: "evt_1", Reference: "acu_1", ExternalID: "pi_1",
		Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, PaidAt: paid, Method: "stripe:card"}

	out, err := db.RecordProviderPayment(ctx, p, thanks)
	if err != nil {
		t.Fatal(err)
	}
	if out.Outcome != store.ProviderRecorded || out.ConversationID != convID || out.PaymentID == 0 {
		t.Fatalf("outcome = %+v", out)
	}
	checks := []struct {
		q    string
		want int
	}{
		{`SELECT COUNT(*) FROM payments WHERE external_id = 'pi_1' AND amount = 15000000 AND source = 'stripe'`, 1},
		{`SELECT COUNT(*) FROM promises WHERE status = 'kept'`, 1},
		{`SELECT COUNT(*) FROM installments WHERE status = 'paid' AND seq = 1`, 1},
		{`SELECT COUNT(*) FROM installments WHERE status = 'due' AND seq = 2`, 1},
		{`SELECT COUNT(*) FROM cases WHERE state = 'FACTURADO' AND closed_at IS NOT NULL`, 1},
		{`SELECT COUNT(*) FROM outbox WHERE template = 'payment_thanks' AND body = 'Gracias Ana 150000.00'`, 1},
		{`SELECT COUNT(*) FROM audit WHERE name = 'stripe_webhook' AND outcome = 'allowed' AND rule = 'payment_confirmed'`, 1},
		{`SELECT COUNT(*) FROM events WHERE type = 'payment.registered' AND payload LIKE '%"source":"stripe"%'`, 1},
		{`SELECT COUNT(*) FROM events WHERE type = 'case.closed' AND payload LIKE '%FACTURADO%'`, 1},
	}
	for _, c := range checks {
		if got := count(t, path, c.q); got != c.want {
			t.Errorf("%s = %d, want %d", c.q, got, c.want)
		}
	}

	// The same event again: acknowledged, nothing applied twice.
	out, err = db.RecordProviderPayment(ctx, p, thanks)
	if err != nil || out.Outcome != store.ProviderDuplicate {
		t.Fatalf("redelivery: %+v, %v", out, err)
	}
	// Another event about the same payment (async_payment_succeeded after
	// completed): the payment is known, no second thank-you.
	p2 := p
	p2.EventID = "evt_2"
	out, err = db.RecordProviderPayment(ctx, p2, thanks)
	if err != nil || out.Outcome != store.ProviderKnown {
		t.Fatalf("second event: %+v, %v", out, err)
	}
	if n := count(t, path, `SELECT COUNT(*) FROM payments`); n != 1 {
		t.Fatalf("%d payments, want 1", n)
	}
	if n := count(t, path, `SELECT COUNT(*) FROM outbox WHERE template = 'payment_thanks'`); n != 1 {
		t.Fatalf("%d thank-yous, want 1", n)
	}
	if n := count(t, path, `SELECT COUNT(*) FROM events WHERE type = 'payment.registered'`); n != 1 {
		t.Fatalf("%d payment.registered events, want 1", n)
	}

	// The creditor's CSV later carries the same transaction: skipped.
	pi, err := db.BeginPaymentImport(ctx, "import")
	if err != nil {
		t.Fatal(err)
	}
	if err := pi.Add(acuerdo.Payment{AccountID: out.AccountID, Amount: p.Amount, PaidAt: paid, ExternalID: "pi_1"}); err != nil {
		t.Fatal(err)
	}
	counts, err := pi.Commit()
	if err != nil || counts.Inserted != 0 || counts.Skipped != 1 {
		t.Fatalf("import: %+v, %v", counts, err)
	}
}

func TestRecordProviderPaymentRefusals(t *testing.T) {
	ctx := context.Background()
	base := store.ProviderPayment{Provider: "stripe", EventID: "evt_x", Reference: "acu_1", ExternalID: "pi_x",
		Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, PaidAt: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)}
	tests := []struct {
		name string
		mut  func(*store.ProviderPayment)
		rule string
	}{
		{"amount below the link", func(p *store.ProviderPayment) { p.Amount.Amount = 100 }, store.RuleAmountMismatch},
		{"other currency", func(p *store.ProviderPayment) { p.Amount.Currency = "USD" }, store.RuleAmountMismatch},
		{"reference never issued", func(p *store.ProviderPayment) { p.Reference = "acu_forged" }, store.RuleUnknownReference},
		{"other provider's link", func(p *store.ProviderPayment) { p.Provider = "mercadopago" }, store.RuleUnknownReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, path, _ := paySetup(t)
			p := base
			tt.mut(&p)
			out, err := db.RecordProviderPayment(ctx, p, thanks)
			if err != nil {
				t.Fatal(err)
			}
			if out.Outcome != store.ProviderRefused || out.Rule != tt.rule {
				t.Fatalf("outcome = %+v, want refused by %s", out, tt.rule)
			}
			for _, q := range []string{`SELECT COUNT(*) FROM payments`, `SELECT COUNT(*) FROM provider_events`, `SELECT COUNT(*) FROM outbox`,
				`SELECT COUNT(*) FROM events WHERE type IN ('payment.registered', 'case.closed')`,
				`SELECT COUNT(*) FROM promises WHERE status = 'kept'`, `SELECT COUNT(*) FROM cases WHERE state = 'FACTURADO'`} {
				if n := count(t, path, q); n != 0 {
					t.Errorf("%s = %d after a refusal", q, n)
				}
			}
			if n := count(t, path, `SELECT COUNT(*) FROM audit WHERE outcome = 'refused' AND rule = ?`, tt.rule); n != 1 {
				t.Errorf("%d refusal audit lines, want 1", n)
			}
		})
	}
}

func TestRecordProviderPaymentConflictsWithImport(t *testing.T) {
	db, path, _ := paySetup(t)
	ctx := context.Background()
	acct, _ := db.AccountByRef(ctx, "CR-1")
	// An import recorded another amount under the provider's id: one of them
	// is wrong, and a person must say which.
	pi, _ := db.BeginPaymentImport(ctx, "import")
	if err := pi.Add(acuerdo.Payment{AccountID: acct.ID, Amount: acuerdo.Money{Amount: 500, Currency: "COP"}, PaidAt: time.Now(), ExternalID: "pi_1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pi.Commit(); err != nil {
		t.Fatal(err)
	}
	out, err := db.RecordProviderPayment(ctx, store.ProviderPayment{Provider: "stripe", EventID: "evt_1", Reference: "acu_1", ExternalID: "pi_1",
		Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, PaidAt: time.Now()}, thanks)
	if err != nil || out.Outcome != store.ProviderRefused || out.Rule != store.RulePaymentConflict {
		t.Fatalf("outcome = %+v, %v", out, err)
	}
	if n := count(t, path, `SELECT COUNT(*) FROM provider_events`); n != 0 {
		t.Fatalf("refused event marked seen")
	}
}

func TestRecordLinkUnknownAccount(t *testing.T) {
	db, _ := open(t)
	err := db.RecordLink(context.Background(), paylink.Issued{Provider: "stripe", Reference: "acu_1", AccountRef: "nope",
		Amount: acuerdo.Money{Amount: 1, Currency: "COP"}, URL: "https://x"})
	if acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
		t.Fatalf("err = %v, want ENOTFOUND", err)
	}
}
