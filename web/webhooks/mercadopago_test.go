package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/paylink/mercadopago"
	"acuerdo/paylink/mercadopago/mptest"
	"acuerdo/web/internal/webtest"
	"acuerdo/web/webhooks"
)

const (
	mpToken  = "APP_USR-acuerdo-test"
	mpSecret = "mp-signing-secret"
)

func newMPRig(t *testing.T) (*payRig, *mercadopago.Client, *mptest.Fake) {
	t.Helper()
	r := newPayRig(t)
	fake := mptest.New(t, mpToken)
	c, err := mercadopago.New(mercadopago.Config{AccessToken: mpToken, WebhookSecret: mpSecret, APIURL: fake.URL,
		NotificationURL: "https://acuerdo.example" + webhooks.MercadoPagoPath, Ledger: r.db, Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.serve(t, nil, c)
	return r, c, fake
}

// notify posts a payment notification signed as MercadoPago signs it at
// signedAt with secret.
func (r *payRig) notify(t *testing.T, notificationID int64, action string, paymentID int, secret string, signedAt time.Time) (int, string) {
	t.Helper()
	body := mptest.Notification(notificationID, action, paymentID, r.clock.Now())
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	reqID := fmt.Sprintf("req-%d", notificationID)
	sig := mercadopago.Sign(secret, mercadopago.Manifest(strconv.Itoa(paymentID), reqID, ts))
	path := fmt.Sprintf("%s?data.id=%d&type=payment", webhooks.MercadoPagoPath, paymentID)
	return r.deliver(t, path, body, map[string]string{"x-signature": "ts=" + ts + ",v1=" + sig, "x-request-id": reqID})
}

// TestMercadoPagoWebhookEndToEnd: a preference for exactly the amount; the
// payment is pending, then approved; notifications arrive twice and out of
// order; the payment is recorded once, two days after the debtor last wrote,
// so the thank-you is business-initiated and goes as the approved template.
func TestMercadoPagoWebhookEndToEnd(t *testing.T) {
	r, c, fake := newMPRig(t)
	ctx := context.Background()
	link, err := c.Link(ctx, paylink.Request{AccountRef: "CR-1", DebtorID: r.account.DebtorID, Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, Scope: "installment"})
	if err != nil {
		t.Fatal(err)
	}
	prefs := fake.Preferences()
	if len(prefs) != 1 || prefs[0].InitPoint != link || prefs[0].Items[0].UnitPrice != 150000 || prefs[0].Items[0].CurrencyID != "COP" ||
		prefs[0].NotificationURL != "https://acuerdo.example/webhooks/mercadopago" {
		t.Fatalf("preferences = %+v", prefs)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM provider_links WHERE provider = 'mercadopago' AND amount = 15000000 AND reference = ?`, prefs[0].ExternalReference); n != 1 {
		t.Fatalf("%d provider links", n)
	}

	r.clock.Add(48 * time.Hour) // the debtor pays two days later, by PSE
	pay := fake.Pay(prefs[0].ID, 0, "pending", r.clock.Now())
	if code, body := r.notify(t, 1001, "payment.created", pay, mpSecret, r.clock.Now()); code != http.StatusOK || !strings.Contains(body, "not paid: pending") {
		t.Fatalf("pending: %d %q", code, body)
	}
	r.clock.Add(10 * time.Minute)
	fake.SetStatus(pay, "approved", r.clock.Now())
	if code, body := r.notify(t, 1002, "payment.updated", pay, mpSecret, r.clock.Now()); code != http.StatusOK || strings.TrimSpace(body) != "recorded" {
		t.Fatalf("approved: %d %q", code, body)
	}
	// MercadoPago retries the update, and (late) the creation notification.
	if code, body := r.notify(t, 1002, "payment.updated", pay, mpSecret, r.clock.Now()); code != http.StatusOK || strings.TrimSpace(body) != "duplicate" {
		t.Fatalf("retry: %d %q", code, body)
	}
	if code, body := r.notify(t, 1001, "payment.created", pay, mpSecret, r.clock.Now()); code != http.StatusOK || strings.TrimSpace(body) != "known" {
		t.Fatalf("late creation: %d %q", code, body)
	}
	r.assertPaidOnce(t, "mercadopago", strconv.Itoa(pay))
	if n := r.count(t, `SELECT COUNT(*) FROM outbox WHERE template = 'payment_thanks' AND business = TRUE`); n != 1 {
		t.Errorf("want the thank-you business-initiated outside the window, got %d", n)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM payments WHERE method = 'mercadopago:pse'`); n != 1 {
		t.Errorf("payment method not recorded")
	}
}

func TestMercadoPagoWebhookRefusals(t *testing.T) {
	r, c, fake := newMPRig(t)
	ctx := context.Background()
	if _, err := c.Link(ctx, paylink.Request{AccountRef: "CR-1", DebtorID: r.account.DebtorID, Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, Scope: "installment"}); err != nil {
		t.Fatal(err)
	}
	pref := fake.Preferences()[0]
	pay := fake.Pay(pref.ID, 0, "approved", r.clock.Now())

	if code, body := r.notify(t, 2001, "payment.updated", pay, "guessed-secret", r.clock.Now()); code != http.StatusUnauthorized || !strings.Contains(body, "bad_signature") {
		t.Fatalf("forged: %d %q", code, body)
	}
	if code, body := r.notify(t, 2002, "payment.updated", pay, mpSecret, r.clock.Now().Add(-time.Hour)); code != http.StatusBadRequest || !strings.Contains(body, "replayed") {
		t.Fatalf("replayed: %d %q", code, body)
	}
	// Someone paid a smaller amount against the link's reference (an altered
	// preference): MercadoPago approved it, acuerdo refuses to count it.
	short := fake.Pay(pref.ID, 1000, "approved", r.clock.Now())
	if code, body := r.notify(t, 2003, "payment.updated", short, mpSecret, r.clock.Now()); code != http.StatusOK || !strings.Contains(body, "amount_mismatch") {
		t.Fatalf("short payment: %d %q", code, body)
	}
	// A notification for a payment MercadoPago does not know: not ours to
	// settle now; answered 503 so a real one is retried.
	if code, _ := r.notify(t, 2004, "payment.updated", 424242, mpSecret, r.clock.Now()); code != http.StatusServiceUnavailable {
		t.Fatalf("unknown payment: %d", code)
	}
	for _, q := range []string{`SELECT COUNT(*) FROM payments`, `SELECT COUNT(*) FROM provider_events`, `SELECT COUNT(*) FROM outbox`,
		`SELECT COUNT(*) FROM promises WHERE status = 'kept'`, `SELECT COUNT(*) FROM cases WHERE state = 'FACTURADO'`} {
		if n := r.count(t, q); n != 0 {
			t.Errorf("%s = %d after refused notifications", q, n)
		}
	}
	for _, rule := range []string{"bad_signature", "replayed", "amount_mismatch"} {
		if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE name = 'mercadopago_webhook' AND outcome = 'refused' AND rule = ?`, rule); n != 1 {
			t.Errorf("%d %s refusals audited, want 1", n, rule)
		}
	}
	// The genuine notification still goes through afterwards.
	if code, body := r.notify(t, 2005, "payment.updated", pay, mpSecret, r.clock.Now()); code != http.StatusOK || strings.TrimSpace(body) != "recorded" {
		t.Fatalf("genuine: %d %q", code, body)
	}
	r.assertPaidOnce(t, "mercadopago", strconv.Itoa(pay))
}

// TestPaymentWebhooksNotMounted: without a provider configured its webhook
// does not exist, rather than accepting what it cannot verify.
func TestPaymentWebhooksNotMounted(t *testing.T) {
	r := newPayRig(t)
	r.serve(t, nil, nil)
	for _, p := range []string{webhooks.StripePath, webhooks.MercadoPagoPath} {
		if code, _ := r.deliver(t, p, []byte(`{}`), nil); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
}

// TestPaidPage: the page providers send the debtor back to speaks their
// language and claims nothing about the payment.
func TestPaidPage(t *testing.T) {
	r := newPayRig(t)
	r.serve(t, nil, nil)
	for _, tt := range []struct{ accept, lang, want string }{
		{"pt-BR,pt;q=0.9", "pt-BR", "Obrigado pelo seu pagamento!"},
		{"en-US", "en", "Thank you for your payment!"},
		{"fr-FR", "es", "¡Gracias por tu pago!"},
	} {
		req, _ := http.NewRequest(http.MethodGet, r.srv.URL+webhooks.PaidPath, nil)
		req.Header.Set("Accept-Language", tt.accept)
		resp, err := r.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := webtest.ReadAll(t, resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `lang="`+tt.lang+`"`) || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %q", tt.accept, resp.StatusCode, body)
		}
	}
}
