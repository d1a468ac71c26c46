package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/paylink/stripe"
	"acuerdo/paylink/stripe/stripetest"
	"acuerdo/web/webhooks"
)

const stripeSecret = "whsec_acuerdo_test"

func newStripeRig(t *testing.T) (*payRig, *stripe.Client, *stripetest.Fake) {
	t.Helper()
	r := newPayRig(t)
	fake := stripetest.NewFake(t, stripeSecret)
	c, err := stripe.New(stripe.Config{APIKey: "sk_test_acuerdo", WebhookSecret: stripeSecret, APIURL: fake.URL,
		SuccessURL: "https://acuerdo.example/pay/done", Ledger: r.db, Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.serve(t, c, nil)
	return r, c, fake
}

func sessionOf(t *testing.T, fake *stripetest.Fake, link string) string {
	t.Helper()
	for id, s := range fake.Sessions() {
		if s["url"] == link {
			return id
		}
	}
	t.Fatalf("no session has URL %s", link)
	return ""
}

// TestStripeWebhookEndToEnd: a link for exactly the amount, a delayed
// payment announced out of order and twice, recorded once with everything it
// settles, and a thank-you queued in the open window.
func TestStripeWebhookEndToEnd(t *testing.T) {
	r, c, fake := newStripeRig(t)
	ctx := context.Background()
	link, err := c.Link(ctx, paylink.Request{AccountRef: "CR-1", DebtorID: r.account.DebtorID, Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, Scope: "installment"})
	if err != nil {
		t.Fatal(err)
	}
	cs := sessionOf(t, fake, link)
	if s := fake.Sessions()[cs]; s["amount_total"] != float64(15000000) && s["amount_total"] != int64(15000000) || s["currency"] != "cop" {
		t.Fatalf("session = %v, want 15000000 cop", s)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM provider_links WHERE provider = 'stripe' AND amount = 15000000 AND currency = 'COP' AND url = ?`, link); n != 1 {
		t.Fatalf("%d provider links recorded", n)
	}
	post := func(body []byte, at time.Time) (int, string) {
		return r.deliver(t, webhooks.StripePath, body, map[string]string{stripe.SignatureHeader: fake.Sign(body, at)})
	}

	// A bank debit: the session completes unpaid. Nothing to record yet.
	completed := fake.Event("evt_completed", stripe.EventCheckoutCompleted, cs, r.clock.Now())
	if code, body := post(completed, r.clock.Now()); code != http.StatusOK || !strings.Contains(body, "not paid") {
		t.Fatalf("unpaid completion: %d %q", code, body)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM payments`); n != 0 {
		t.Fatalf("%d payments after an unpaid completion", n)
	}

	// The money arrives; Stripe says so, twice.
	r.clock.Add(time.Hour)
	pi := fake.Pay(cs)
	succeeded := fake.Event("evt_succeeded", stripe.EventAsyncPaymentSucceded, cs, r.clock.Now())
	if code, body := post(succeeded, r.clock.Now()); code != http.StatusOK || strings.TrimSpace(body) != "recorded" {
		t.Fatalf("payment: %d %q", code, body)
	}
	if code, body := post(succeeded, r.clock.Now()); code != http.StatusOK || strings.TrimSpace(body) != "duplicate" {
		t.Fatalf("redelivery: %d %q", code, body)
	}
	// Stripe retries the earlier completion event (out of order, after the
	// payment): confirmed with Stripe, it is the same payment, known already.
	if code, body := post(completed, r.clock.Now()); code != http.StatusOK || strings.TrimSpace(body) != "known" {
		t.Fatalf("late completion: %d %q", code, body)
	}
	r.assertPaidOnce(t, "stripe", pi)
	if n := r.count(t, `SELECT COUNT(*) FROM outbox WHERE template = 'payment_thanks' AND business = FALSE AND conversation_id = ? AND body LIKE '%Ana%150.000%'`, r.convID); n != 1 {
		t.Errorf("want one free-text thank-you inside the window, got %d", n)
	}
	if k := r.outbox.Count(); k != 1 {
		t.Errorf("outbox kicked %d times, want 1", k)
	}
}

// TestStripeWebhookRefusals: forged, replayed and mismatched events change
// nothing but the audit log.
func TestStripeWebhookRefusals(t *testing.T) {
	r, c, fake := newStripeRig(t)
	ctx := context.Background()
	link, err := c.Link(ctx, paylink.Request{AccountRef: "CR-1", DebtorID: r.account.DebtorID, Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, Scope: "installment"})
	if err != nil {
		t.Fatal(err)
	}
	cs := sessionOf(t, fake, link)
	fake.Pay(cs)
	event := fake.Event("evt_1", stripe.EventCheckoutCompleted, cs, r.clock.Now())

	forger := stripetest.Fake{Secret: "whsec_guessed"}
	tests := []struct {
		name   string
		body   []byte
		header string
		code   int
		rule   string
	}{
		{"forged signature", event, forger.Sign(event, r.clock.Now()), http.StatusUnauthorized, "bad_signature"},
		{"no signature", event, "", http.StatusUnauthorized, "bad_signature"},
		{"altered after signing", []byte(strings.Replace(string(event), "15000000", "1500", 1)), fake.Sign(event, r.clock.Now()), http.StatusUnauthorized, "bad_signature"},
		{"replayed an hour later", event, fake.Sign(event, r.clock.Now().Add(-time.Hour)), http.StatusBadRequest, "replayed"},
		{"signed garbage", []byte(`{"hello":"world"}`), fake.Sign([]byte(`{"hello":"world"}`), r.clock.Now()), http.StatusBadRequest, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.header != "" {
				h[stripe.SignatureHeader] = tt.header
			}
			code, body := r.deliver(t, webhooks.StripePath, tt.body, h)
			if code != tt.code || !strings.Contains(body, tt.rule) {
				t.Fatalf("%d %q, want %d %s", code, body, tt.code, tt.rule)
			}
			if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE name = 'stripe_webhook' AND outcome = 'refused' AND rule = ?`, tt.rule); n == 0 {
				t.Fatalf("no refusal audited for %s", tt.rule)
			}
		})
	}

	// The event claims the link's amount, but Stripe says the session was paid
	// less (the link was tampered with): refused, settled, not retried.
	fake.SetAmount(cs, 1500000)
	if code, body := r.deliver(t, webhooks.StripePath, event, map[string]string{stripe.SignatureHeader: fake.Sign(event, r.clock.Now())}); code != http.StatusOK || !strings.Contains(body, "amount_mismatch") {
		t.Fatalf("claim mismatch: %d %q", code, body)
	}
	// An event that agrees with Stripe, but both disagree with the link.
	lowered := fake.Event("evt_2", stripe.EventCheckoutCompleted, cs, r.clock.Now())
	if code, body := r.deliver(t, webhooks.StripePath, lowered, map[string]string{stripe.SignatureHeader: fake.Sign(lowered, r.clock.Now())}); code != http.StatusOK || !strings.Contains(body, "amount_mismatch") {
		t.Fatalf("link mismatch: %d %q", code, body)
	}
	for _, q := range []string{`SELECT COUNT(*) FROM payments`, `SELECT COUNT(*) FROM provider_events`, `SELECT COUNT(*) FROM outbox`,
		`SELECT COUNT(*) FROM promises WHERE status = 'kept'`, `SELECT COUNT(*) FROM installments WHERE status = 'paid'`, `SELECT COUNT(*) FROM cases WHERE state = 'FACTURADO'`} {
		if n := r.count(t, q); n != 0 {
			t.Errorf("%s = %d after refused events", q, n)
		}
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE name = 'stripe_webhook' AND outcome = 'refused' AND rule = 'amount_mismatch'`); n != 2 {
		t.Errorf("%d amount_mismatch refusals audited, want 2", n)
	}
	if k := r.outbox.Count(); k != 0 {
		t.Errorf("outbox kicked %d times", k)
	}
}

// TestStripeWebhookProviderDown: when Stripe cannot be asked, the event is
// not acknowledged, so Stripe retries it; the retry then records it.
func TestStripeWebhookProviderDown(t *testing.T) {
	r := newPayRig(t)
	fake := stripetest.NewFake(t, stripeSecret)
	down, err := stripe.New(stripe.Config{APIKey: "sk_test_acuerdo", WebhookSecret: stripeSecret, APIURL: "http://127.0.0.1:1",
		SuccessURL: "https://acuerdo.example/pay/done", Ledger: r.db, Clock: r.clock.Now, HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	r.serve(t, down, nil)
	event := []byte(`{"id":"evt_1","object":"event","type":"checkout.session.completed","created":1763650800,
		"data":{"object":{"id":"cs_test_0001","object":"checkout.session","amount_total":15000000,"currency":"cop","payment_status":"paid"}}}`)
	code, _ := r.deliver(t, webhooks.StripePath, event, map[string]string{stripe.SignatureHeader: fake.Sign(event, r.clock.Now())})
	if code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 so Stripe retries", code)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM provider_events`); n != 0 {
		t.Fatalf("an unconfirmed event was marked seen")
	}
}

// TestStripeWebhookConcurrentDeliveries: the same event and a second event
// for the same payment, delivered at once, record one payment and queue one
// thank-you.
func TestStripeWebhookConcurrentDeliveries(t *testing.T) {
	r, c, fake := newStripeRig(t)
	link, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", DebtorID: r.account.DebtorID, Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, Scope: "installment"})
	if err != nil {
		t.Fatal(err)
	}
	cs := sessionOf(t, fake, link)
	pi := fake.Pay(cs)
	events := [][]byte{
		fake.Event("evt_a", stripe.EventCheckoutCompleted, cs, r.clock.Now()),
		fake.Event("evt_b", stripe.EventAsyncPaymentSucceded, cs, r.clock.Now()),
	}
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := events[i%2]
			code, body := r.deliver(t, webhooks.StripePath, ev, map[string]string{stripe.SignatureHeader: fake.Sign(ev, r.clock.Now())})
			results[i] = fmt.Sprintf("%d %s", code, strings.TrimSpace(body))
		}()
	}
	wg.Wait()
	recorded := 0
	for _, res := range results {
		switch res {
		case "200 recorded":
			recorded++
		case "200 duplicate", "200 known":
		default:
			t.Errorf("unexpected answer %q", res)
		}
	}
	if recorded != 1 {
		t.Fatalf("answers %v: want exactly one recorded", results)
	}
	r.assertPaidOnce(t, "stripe", pi)
}

// TestStripeWebhookOtherSales: a paid checkout the creditor made outside
// acuerdo (no acuerdo reference) is acknowledged and left alone.
func TestStripeWebhookOtherSales(t *testing.T) {
	r, _, fake := newStripeRig(t)
	req, _ := http.NewRequest(http.MethodPost, fake.URL+"/v1/checkout/sessions",
		strings.NewReader("mode=payment&line_items[0][quantity]=1&line_items[0][price_data][unit_amount]=5000&line_items[0][price_data][currency]=cop&client_reference_id=order-77"))
	req.Header.Set("Authorization", "Bearer sk_test_shop")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cs string
	for id := range fake.Sessions() {
		cs = id
	}
	fake.Pay(cs)
	ev := fake.Event("evt_shop", stripe.EventCheckoutCompleted, cs, r.clock.Now())
	if code, body := r.deliver(t, webhooks.StripePath, ev, map[string]string{stripe.SignatureHeader: fake.Sign(ev, r.clock.Now())}); code != http.StatusOK || !strings.Contains(body, "not an acuerdo link") {
		t.Fatalf("%d %q", code, body)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM payments`) + r.count(t, `SELECT COUNT(*) FROM audit WHERE outcome = 'refused'`); n != 0 {
		t.Fatalf("a sale outside acuerdo left %d rows", n)
	}
}
