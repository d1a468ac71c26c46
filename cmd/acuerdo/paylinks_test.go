package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/paylink/mercadopago"
	"acuerdo/paylink/mercadopago/mptest"
	"acuerdo/paylink/stripe"
	"acuerdo/paylink/stripe/stripetest"
	"acuerdo/tools"
	"acuerdo/web/webhooks"
	"acuerdo/whatsapp"
)

func TestPaymentsFromEnv(t *testing.T) {
	stripeVars := map[string]string{"STRIPE_API_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "whsec_1", "ACUERDO_PUBLIC_URL": "https://cobros.example.com"}
	mpVars := map[string]string{"MERCADOPAGO_ACCESS_TOKEN": "APP_USR-1", "MERCADOPAGO_WEBHOOK_SECRET": "s", "ACUERDO_PUBLIC_URL": "https://cobros.example.com"}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	tests := []struct {
		name    string
		vars    map[string]string
		errLike string
		stripe  bool
		mp      bool
		routes  map[string]string
	}{
		{"nothing set: template only", map[string]string{}, "", false, false, map[string]string{}},
		{"stripe", with(stripeVars, "ACUERDO_PAYMENT_PROVIDERS", "USD=stripe, cop=Stripe"), "", true, false, map[string]string{"USD": "stripe", "COP": "stripe"}},
		{"both, with a default", with(with(stripeVars), "MERCADOPAGO_ACCESS_TOKEN", "APP_USR-1", "MERCADOPAGO_WEBHOOK_SECRET", "s", "ACUERDO_PAYMENT_PROVIDERS", "BRL=mercadopago,*=stripe"), "", true, true, map[string]string{"BRL": "mercadopago", "*": "stripe"}},
		{"stripe key without secret", map[string]string{"STRIPE_API_KEY": "sk_test_1"}, "STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET together", false, false, nil},
		{"mercadopago secret without token", map[string]string{"MERCADOPAGO_WEBHOOK_SECRET": "s"}, "MERCADOPAGO_ACCESS_TOKEN and MERCADOPAGO_WEBHOOK_SECRET together", false, false, nil},
		{"stripe without public URL", with(stripeVars, "ACUERDO_PUBLIC_URL", ""), "ACUERDO_PUBLIC_URL", false, false, nil},
		{"route to an unconfigured provider", with(stripeVars, "ACUERDO_PAYMENT_PROVIDERS", "BRL=mercadopago"), `"mercadopago", which is not configured`, false, false, nil},
		{"route with a bad currency", with(mpVars, "ACUERDO_PAYMENT_PROVIDERS", "reales=mercadopago"), "want CURRENCY=PROVIDER", false, false, nil},
		{"currency routed twice", with(mpVars, "ACUERDO_PAYMENT_PROVIDERS", "BRL=mercadopago,BRL=template"), "routes BRL twice", false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{getenv: func(k string) string { return tt.vars[k] }, stdout: io.Discard, stderr: io.Discard}
			p, err := paymentsFromEnv(e, nil, nil, paylink.Template{Secret: []byte("x")}, nil)
			if tt.errLike != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errLike) {
					t.Fatalf("err = %v, want one saying %q", err, tt.errLike)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (p.stripe != nil) != tt.stripe || (p.mercadoPago != nil) != tt.mp || len(p.routes) != len(tt.routes) {
				t.Fatalf("stripe %v, mercadopago %v, routes %v", p.stripe != nil, p.mercadoPago != nil, p.routes)
			}
			for k, v := range tt.routes {
				if p.routes[k] != v {
					t.Errorf("route %s = %q, want %q", k, p.routes[k], v)
				}
			}
		})
	}
}

type namedLinks string

func (n namedLinks) Link(context.Context, paylink.Request) (string, error) { return string(n), nil }

func TestRoutedLinks(t *testing.T) {
	r := routedLinks{byCurrency: map[string]tools.PaymentLinks{"BRL": namedLinks("mp"), "USD": namedLinks("stripe")}, fallback: namedLinks("template")}
	for cur, want := range map[string]string{"BRL": "mp", "USD": "stripe", "COP": "template", "": "template"} {
		got, _ := r.Link(context.Background(), paylink.Request{Amount: acuerdo.Money{Amount: 1, Currency: cur}})
		if got != want {
			t.Errorf("%s → %s, want %s", cur, got, want)
		}
	}
}

var checkoutURL = regexp.MustCompile(`https://checkout\.stripe\.com/c/pay/(cs_test_\d+)`)

// askForLink imports Ana (CR-1, 150,000 pesos), starts serve with vars plus
// the fake Twilio, and has Ana ask for a payment link on WhatsApp.
func askForLink(t *testing.T, f *fakeTwilio, vars map[string]string) (*served, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "s.db")
	csv := filepath.Join(t.TempDir(), "debtors.csv")
	if err := os.WriteFile(csv, []byte("Credito,Numero,Nombre,Cedula,Saldo\nCR-1,3001234567,Ana Pérez,1020304050,150000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, "import", "debtors", csv, "--db", db); code != 0 {
		t.Fatalf("import: %d %s %s", code, out, errOut)
	}
	s := startServe(t, vars, db)
	ana := "+573001234567"
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range f.to(ana) {
				t.Logf("sent to Ana: %q", m.Body)
			}
		}
	})
	// One turn at a time, as a person types after reading the whole reply:
	// each step waits for the reply's last message, so that a message posted
	// early is not folded into the previous turn.
	for i, step := range []struct{ text, last string }{
		{"hola", "últimos 4 dígitos"}, {"4050", "Hablar con una persona"}, {"1", ""},
	} {
		sid := "SMd00000000000000000000000000000" + string(rune('1'+i))
		n := len(f.to(ana))
		if c := s.post(t, whatsapp.InboundPath, inbound(sid, ana, step.text)); c != http.StatusOK {
			t.Fatalf("inbound %q: %d", step.text, c)
		}
		s.waitFor(t, "the reply to "+step.text, func() bool {
			got := f.to(ana)
			return len(got) > n && strings.Contains(got[len(got)-1].Body, step.last)
		})
	}
	return s, ana
}

func thanked(f *fakeTwilio, phone string) bool {
	for _, m := range f.to(phone) {
		if strings.Contains(m.Body, "Recibimos tu pago de $150.000") {
			return true
		}
	}
	return false
}

// TestServeStripePayment runs the whole path through the binary: a debtor
// asks on WhatsApp for a link, the agent's link is a Stripe Checkout session
// for the exact balance, the debtor pays, Stripe's webhook reaches
// acuerdo serve, and the debtor is thanked on WhatsApp.
func TestServeStripePayment(t *testing.T) {
	f := newFakeTwilio(t)
	stripeFake := stripetest.NewFake(t, "whsec_serve")
	vars := serveEnv(t, f)
	vars["STRIPE_API_KEY"], vars["STRIPE_WEBHOOK_SECRET"], vars["STRIPE_API_URL"] = "sk_test_serve", "whsec_serve", stripeFake.URL
	vars["ACUERDO_PAYMENT_PROVIDERS"] = "COP=stripe"
	s, ana := askForLink(t, f, vars)
	db := s.db

	var session string
	s.waitFor(t, "a Stripe link on WhatsApp", func() bool {
		for _, m := range f.to(ana) {
			if sm := checkoutURL.FindStringSubmatch(m.Body); sm != nil {
				session = sm[1]
				return true
			}
		}
		return false
	})
	if got := stripeFake.Sessions()[session]; got["amount_total"] != int64(15000000) || got["currency"] != "cop" {
		t.Fatalf("session %s = %v, want 15000000 cop", session, got)
	}

	stripeFake.Pay(session)
	event := stripeFake.Event("evt_serve_1", stripe.EventCheckoutCompleted, session, time.Now())
	post := func() string {
		req, _ := http.NewRequest(http.MethodPost, s.url+webhooks.StripePath, bytes.NewReader(event))
		req.Header.Set(stripe.SignatureHeader, stripeFake.Sign(event, time.Now()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	if got := post(); got != "recorded" {
		t.Fatalf("webhook: %q", got)
	}
	if got := post(); got != "duplicate" {
		t.Fatalf("redelivered webhook: %q", got)
	}
	waitFor(t, "the thank-you on WhatsApp", func() bool { return thanked(f, ana) })
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM payments WHERE source = 'stripe' AND amount = 15000000`); n != 1 {
		t.Fatalf("%d stripe payments, want 1", n)
	}
}

// TestServeMercadoPagoPayment is the same path with the portfolio routed to
// MercadoPago: a Checkout Pro link, an approved payment, a signed
// notification to ACUERDO_PUBLIC_URL/webhooks/mercadopago.
func TestServeMercadoPagoPayment(t *testing.T) {
	f := newFakeTwilio(t)
	mp := mptest.New(t, "APP_USR-serve")
	vars := serveEnv(t, f)
	vars["MERCADOPAGO_ACCESS_TOKEN"], vars["MERCADOPAGO_WEBHOOK_SECRET"], vars["MERCADOPAGO_API_URL"] = "APP_USR-serve", "mp-serve", mp.URL
	vars["ACUERDO_PAYMENT_PROVIDERS"] = "*=mercadopago"
	s, ana := askForLink(t, f, vars)
	var pref mptest.Preference
	s.waitFor(t, "a MercadoPago link on WhatsApp", func() bool {
		for _, p := range mp.Preferences() {
			for _, m := range f.to(ana) {
				if strings.Contains(m.Body, p.InitPoint) {
					pref = p
					return true
				}
			}
		}
		return false
	})
	if pref.Items[0].UnitPrice != 150000 || pref.Items[0].CurrencyID != "COP" || pref.NotificationURL != publicURL+webhooks.MercadoPagoPath {
		t.Fatalf("preference = %+v", pref)
	}
	pay := mp.Pay(pref.ID, 0, "approved", time.Now())
	body := mptest.Notification(99, "payment.updated", pay, time.Now())
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := mercadopago.Sign("mp-serve", mercadopago.Manifest(strconv.Itoa(pay), "req-99", ts))
	req, _ := http.NewRequest(http.MethodPost, s.url+webhooks.MercadoPagoPath+"?data.id="+strconv.Itoa(pay)+"&type=payment", bytes.NewReader(body))
	req.Header.Set("x-signature", "ts="+ts+",v1="+sig)
	req.Header.Set("x-request-id", "req-99")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := strings.TrimSpace(string(b)); got != "recorded" {
		t.Fatalf("notification: %d %q", resp.StatusCode, got)
	}
	waitFor(t, "the thank-you on WhatsApp", func() bool { return thanked(f, ana) })
	if n := sqlInt(t, s.db, `SELECT COUNT(*) FROM payments WHERE source = 'mercadopago' AND external_id = ?`, strconv.Itoa(pay)); n != 1 {
		t.Fatalf("%d mercadopago payments, want 1", n)
	}
}
