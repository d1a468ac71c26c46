package webhooks_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/web"
	"acuerdo/web/internal/webtest"
	"acuerdo/web/webhooks"
)

// payRig is one debtor (Ana, account CR-1, 300,000 pesos) who wrote to us,
// promised 150,000, accepted a plan of two 150,000 installments and reported
// a payment the operators have not checked yet; plus the web layer with the
// payment providers a test gives it.
type payRig struct {
	db      *store.DB
	path    string
	clock   *webtest.Clock
	outbox  *webtest.Kicker
	srv     *httptest.Server
	convID  int64
	account acuerdo.Account
}

func newPayRig(t *testing.T) *payRig {
	t.Helper()
	ctx := context.Background()
	r := &payRig{path: filepath.Join(t.TempDir(), "pay.db"), clock: webtest.NewClock(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)), outbox: &webtest.Kicker{}}
	db, err := store.Open(ctx, r.path, store.Options{Clock: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.db = db
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: webtest.AnaPhone, Name: "Ana Pérez", Country: "CO", Locale: "es"},
		Account: acuerdo.Account{Ref: "CR-1", Balance: &acuerdo.Money{Amount: 30000000, Currency: "COP"}}, Consent: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	if r.account, err = db.AccountByRef(ctx, "CR-1"); err != nil {
		t.Fatal(err)
	}
	r.convID, _, err = db.Receive(ctx, acuerdo.ChannelWhatsApp, webtest.AnaPhone, acuerdo.Message{Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor,
		Body: "quiero pagar", ProviderID: "SM00000000000000000000000000000001", Status: acuerdo.MessageReceived}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cop := func(a int64) acuerdo.Money { return acuerdo.Money{Amount: a, Currency: "COP"} }
	due := acuerdo.Date{Year: 2026, Month: 11, Day: 30}
	if _, err := db.CreatePromise(ctx, acuerdo.Promise{AccountID: r.account.ID, ConversationID: r.convID, Amount: cop(15000000), DueDate: due}); err != nil {
		t.Fatal(err)
	}
	plan, err := db.OfferPlan(ctx, acuerdo.Plan{AccountID: r.account.ID, ConversationID: r.convID, Total: cop(30000000), Installments: []acuerdo.Installment{
		{Seq: 1, DueDate: due, Amount: cop(15000000)}, {Seq: 2, DueDate: due.AddDays(30), Amount: cop(15000000)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptPlan(ctx, plan.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: r.convID, DebtorID: r.account.DebtorID, Reason: acuerdo.ReasonPaymentReport, State: acuerdo.CaseComplete}); err != nil {
		t.Fatal(err)
	}
	// Payments made after the promise was given keep it.
	r.clock.Add(time.Minute)
	return r
}

// serve mounts the web layer with the given providers.
func (r *payRig) serve(t *testing.T, stripe, mp webhooks.PaymentWebhook) {
	cfg := web.Config{Store: r.db, Outbox: r.outbox, Clock: r.clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if stripe != nil {
		cfg.Stripe = stripe
	}
	if mp != nil {
		cfg.MercadoPago = mp
	}
	r.srv = httptest.NewServer(web.New(cfg))
	t.Cleanup(r.srv.Close)
}

// deliver posts a webhook and returns the status and body.
func (r *payRig) deliver(t *testing.T, path string, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, webtest.ReadAll(t, resp)
}

func (r *payRig) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	return webtest.Count(t, r.path, q, args...)
}

// paidState is what one recorded 150,000 payment leaves behind.
func (r *payRig) assertPaidOnce(t *testing.T, source, externalID string) {
	t.Helper()
	checks := []struct {
		q    string
		want int
	}{
		{`SELECT COUNT(*) FROM payments`, 1},
		{`SELECT COUNT(*) FROM payments WHERE external_id = '` + externalID + `' AND amount = 15000000 AND currency = 'COP' AND source = '` + source + `'`, 1},
		{`SELECT COUNT(*) FROM promises WHERE status = 'kept'`, 1},
		{`SELECT COUNT(*) FROM installments WHERE status = 'paid'`, 1},
		{`SELECT COUNT(*) FROM cases WHERE reason = 'payment_report' AND state = 'FACTURADO'`, 1},
		{`SELECT COUNT(*) FROM outbox WHERE template = 'payment_thanks'`, 1},
		{`SELECT COUNT(*) FROM audit WHERE name = '` + source + `_webhook' AND outcome = 'allowed' AND rule = 'payment_confirmed'`, 1},
	}
	for _, c := range checks {
		if got := r.count(t, c.q); got != c.want {
			t.Errorf("%s = %d, want %d", c.q, got, c.want)
		}
	}
}
