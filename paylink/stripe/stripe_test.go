package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/paylink/stripe/stripetest"
)

var t0 = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// ledger remembers issued links; the store's own implementation is tested
// end to end in web.
type ledger struct {
	mu    sync.Mutex
	links []paylink.Issued
}

func (l *ledger) RecordLink(_ context.Context, i paylink.Issued) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.links = append(l.links, i)
	return nil
}

func newClient(t *testing.T, apiURL string, l *ledger) *Client {
	t.Helper()
	c, err := New(Config{APIKey: "sk_test_123", WebhookSecret: "whsec_test", APIURL: apiURL, SuccessURL: "https://acuerdo.example/pay/done",
		Ledger: l, Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLinkAgainstStripeMock creates a checkout session on stripe-mock, which
// rejects any parameter Stripe's API would reject.
func TestLinkAgainstStripeMock(t *testing.T) {
	base := stripetest.Start(t)
	l := &ledger{}
	c := newClient(t, base, l)
	link, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", DebtorID: 7, Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, Scope: "total"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://checkout.stripe.com/") {
		t.Fatalf("link = %q, want a Checkout URL", link)
	}
	if len(l.links) != 1 || l.links[0].URL != link || !strings.HasPrefix(l.links[0].ProviderID, "cs_") || l.links[0].Amount.Amount != 15000000 {
		t.Fatalf("ledger = %+v", l.links)
	}
}

// TestConfirmAgainstStripeMock reads stripe-mock's checkout session, with its
// payment intent expanded. Its fixture is unpaid, so nothing may be confirmed.
func TestConfirmAgainstStripeMock(t *testing.T) {
	base := stripetest.Start(t)
	c := newClient(t, base, &ledger{})
	got, err := c.Confirm(context.Background(), paylink.Notification{Object: "cs_test_123"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Paid || got.Status != "unpaid" {
		t.Fatalf("confirmation = %+v, want unpaid", got)
	}
}

// fakeStripe records checkout session requests, answering as Stripe does.
type fakeStripe struct {
	mu    sync.Mutex
	forms []url.Values
	keys  []string
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" {
		http.NotFound(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(b))
	f.mu.Lock()
	f.forms = append(f.forms, form)
	f.keys = append(f.keys, r.Header.Get("Idempotency-Key"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "cs_test_" + form.Get("client_reference_id"), "object": "checkout.session",
		"url": "https://checkout.stripe.com/c/pay/cs_test_1", "mode": "payment", "payment_status": "unpaid", "client_reference_id": form.Get("client_reference_id")})
}

func TestLinkExactAmount(t *testing.T) {
	f := &fakeStripe{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	l := &ledger{}
	c := newClient(t, srv.URL, l)
	tests := []struct {
		money      acuerdo.Money
		unit, curr string
		wantErr    bool
	}{
		{acuerdo.Money{Amount: 15000050, Currency: "COP"}, "15000050", "cop", false}, // 150,000.50 pesos: Stripe counts COP in cents too
		{acuerdo.Money{Amount: 9990, Currency: "BRL"}, "9990", "brl", false},
		{acuerdo.Money{Amount: 25000, Currency: "CLP"}, "25000", "clp", false},   // zero-decimal both sides
		{acuerdo.Money{Amount: 1250000, Currency: "VND"}, "12500", "vnd", false}, // ISO cents, Stripe whole dong
		{acuerdo.Money{Amount: 1250050, Currency: "VND"}, "", "", true},          // half a dong cannot be charged
		{acuerdo.Money{Amount: 0, Currency: "COP"}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.money.String(), func(t *testing.T) {
			before := len(f.forms)
			_, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", DebtorID: 7, Amount: tt.money, Scope: "custom"})
			if tt.wantErr {
				if err == nil || acuerdo.ErrorCode(err) != acuerdo.EINVALID || len(f.forms) != before {
					t.Fatalf("err = %v, requests %d→%d; want EINVALID and no request", err, before, len(f.forms))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			form := f.forms[len(f.forms)-1]
			want := map[string]string{
				"mode": "payment", "line_items[0][quantity]": "1",
				"line_items[0][price_data][unit_amount]": tt.unit, "line_items[0][price_data][currency]": tt.curr,
				"metadata[account_ref]": "CR-1", "metadata[debtor_id]": "7", "metadata[scope]": "custom",
				"payment_intent_data[metadata][account_ref]": "CR-1",
				"adaptive_pricing[enabled]":                  "false",
				"expires_at":                                 strconv.FormatInt(t0.Add(24*time.Hour).Unix(), 10),
				"success_url":                                "https://acuerdo.example/pay/done",
			}
			for k, v := range want {
				if form.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, form.Get(k), v)
				}
			}
			ref := form.Get("client_reference_id")
			if !strings.HasPrefix(ref, "acu_") || f.keys[len(f.keys)-1] != ref || form.Get("metadata[acuerdo_ref]") != ref {
				t.Errorf("reference %q, idempotency key %q: want the same acu_ reference in both", ref, f.keys[len(f.keys)-1])
			}
		})
	}
	// The same request again the same day reuses the idempotency key, so
	// Stripe returns the first session instead of a second one to pay.
	r := paylink.Request{AccountRef: "CR-2", DebtorID: 8, Amount: acuerdo.Money{Amount: 100, Currency: "USD"}, Scope: "total"}
	if _, err := c.Link(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Link(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	n := len(f.keys)
	if f.keys[n-1] != f.keys[n-2] {
		t.Fatalf("idempotency keys %q and %q differ for the same request", f.keys[n-2], f.keys[n-1])
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	good := Config{APIKey: "sk", WebhookSecret: "whsec", SuccessURL: "https://x", Ledger: &ledger{}}
	for name, mut := range map[string]func(*Config){
		"no key":     func(c *Config) { c.APIKey = "" },
		"no secret":  func(c *Config) { c.WebhookSecret = "" },
		"no success": func(c *Config) { c.SuccessURL = "" },
		"no ledger":  func(c *Config) { c.Ledger = nil },
	} {
		c := good
		mut(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
}

func TestConfirmationOfPaidSession(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/checkout/sessions/cs_paid" || r.URL.Query().Get("expand[0]") != "payment_intent" {
			http.Error(w, `{"error":{"type":"invalid_request_error","message":"no such session"}}`, http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, `{"id":"cs_paid","object":"checkout.session","mode":"payment","payment_status":"paid","status":"complete",
			"amount_total":15000000,"currency":"cop","client_reference_id":"acu_abc",
			"payment_intent":{"id":"pi_123","object":"payment_intent","payment_method_types":["card"]}}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, &ledger{})
	got, err := c.Confirm(context.Background(), paylink.Notification{Object: "cs_paid", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	want := paylink.Confirmation{Paid: true, Status: "paid", ExternalID: "pi_123", Reference: "acu_abc",
		Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, PaidAt: t0, Method: "stripe:card"}
	if got != want {
		t.Fatalf("confirmation = %+v\nwant %+v", got, want)
	}
	if _, err := c.Confirm(context.Background(), paylink.Notification{Object: "cs_missing"}); err == nil || errors.Is(err, paylink.ErrMalformed) {
		t.Fatalf("missing session: err = %v, want a provider error", err)
	}
}

// TestLinkRetrySameParameters: Stripe refuses an idempotency key reused with
// different parameters, so a second ask in the same hour must send exactly
// the first request again (expires_at included), and a later hour a new one.
func TestLinkRetrySameParameters(t *testing.T) {
	f := &fakeStripe{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	now := t0.Add(5 * time.Minute)
	c, err := New(Config{APIKey: "sk_test_123", WebhookSecret: "whsec_test", APIURL: srv.URL, SuccessURL: "https://acuerdo.example/pay/done",
		Ledger: &ledger{}, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	r := paylink.Request{AccountRef: "CR-1", DebtorID: 7, Amount: acuerdo.Money{Amount: 100, Currency: "USD"}, Scope: "total"}
	for _, at := range []time.Duration{5 * time.Minute, 50 * time.Minute, 65 * time.Minute} {
		now = t0.Add(at)
		if _, err := c.Link(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if f.forms[0].Encode() != f.forms[1].Encode() || f.keys[0] != f.keys[1] {
		t.Fatalf("same hour, different requests:\n%s\n%s", f.forms[0].Encode(), f.forms[1].Encode())
	}
	if f.keys[2] == f.keys[1] {
		t.Fatalf("a new hour reused the key %s", f.keys[2])
	}
	if got := f.forms[2].Get("expires_at"); got != strconv.FormatInt(t0.Add(25*time.Hour).Unix(), 10) {
		t.Fatalf("expires_at = %s, want the next hour's start + 24 h", got)
	}
}
