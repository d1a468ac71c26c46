package mercadopago_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/paylink/mercadopago"
	"acuerdo/paylink/mercadopago/mptest"
)

var t0 = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

const (
	token  = "APP_USR-test-token"
	secret = "mp-webhook-secret"
)

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

func newClient(t *testing.T, apiURL string, l paylink.Ledger) *mercadopago.Client {
	t.Helper()
	c, err := mercadopago.New(mercadopago.Config{AccessToken: token, WebhookSecret: secret, APIURL: apiURL,
		NotificationURL: "https://acuerdo.example/webhooks/mercadopago", BackURL: "https://acuerdo.example/pay/done",
		Ledger: l, Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLinkExactAmount(t *testing.T) {
	f := mptest.New(t, token)
	l := &ledger{}
	c := newClient(t, f.URL, l)
	tests := []struct {
		money acuerdo.Money
		price float64
	}{
		{acuerdo.Money{Amount: 15000050, Currency: "COP"}, 150000.50},
		{acuerdo.Money{Amount: 9990, Currency: "BRL"}, 99.90},
		{acuerdo.Money{Amount: 25000, Currency: "CLP"}, 25000},
		{acuerdo.Money{Amount: 1, Currency: "ARS"}, 0.01},
	}
	for i, tt := range tests {
		link, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", DebtorID: 7, Amount: tt.money, Scope: "total"})
		if err != nil {
			t.Fatal(err)
		}
		p := f.Preferences()[i]
		if link != p.InitPoint || len(p.Items) != 1 || p.Items[0].UnitPrice != tt.price || p.Items[0].Quantity != 1 || p.Items[0].CurrencyID != tt.money.Currency {
			t.Errorf("%s: link %q, preference %+v; want unit_price %v", tt.money, link, p, tt.price)
		}
		if !strings.HasPrefix(p.ExternalReference, "acu_") || p.IdempotencyKey != p.ExternalReference ||
			p.NotificationURL != "https://acuerdo.example/webhooks/mercadopago" || !p.Expires || p.Metadata["account_ref"] != "CR-1" {
			t.Errorf("%s: preference %+v", tt.money, p)
		}
		got := l.links[len(l.links)-1]
		if got.Provider != "mercadopago" || got.Amount != tt.money || got.Reference != p.ExternalReference || got.ProviderID != p.ID || got.URL != link {
			t.Errorf("%s: ledger %+v", tt.money, got)
		}
	}
	// Asking again the same day returns the same preference: same key.
	n := len(f.Preferences())
	if _, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", DebtorID: 7, Amount: tests[0].money, Scope: "total"}); err != nil {
		t.Fatal(err)
	}
	if len(f.Preferences()) != n {
		t.Fatalf("a repeated request made a second preference")
	}
	if _, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", Amount: acuerdo.Money{Currency: "COP"}}); acuerdo.ErrorCode(err) != acuerdo.EINVALID {
		t.Fatalf("zero amount: err = %v", err)
	}
}

func TestLinkRefusedByProvider(t *testing.T) {
	f := mptest.New(t, "another-token")
	c := newClient(t, f.URL, &ledger{})
	_, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", Amount: acuerdo.Money{Amount: 100, Currency: "COP"}})
	if err == nil || !strings.Contains(err.Error(), "invalid access token") {
		t.Fatalf("err = %v, want the provider's refusal", err)
	}
}

func TestConfirm(t *testing.T) {
	f := mptest.New(t, token)
	c := newClient(t, f.URL, &ledger{})
	if _, err := c.Link(context.Background(), paylink.Request{AccountRef: "CR-1", Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}}); err != nil {
		t.Fatal(err)
	}
	pref := f.Preferences()[0]
	approved := f.Pay(pref.ID, 0, "approved", t0)
	pending := f.Pay(pref.ID, 0, "pending", t0)
	got, err := c.Confirm(context.Background(), paylink.Notification{Object: itoa(approved)})
	if err != nil {
		t.Fatal(err)
	}
	want := paylink.Confirmation{Paid: true, Status: "approved", ExternalID: itoa(approved), Reference: pref.ExternalReference,
		Amount: acuerdo.Money{Amount: 15000000, Currency: "COP"}, PaidAt: t0, Method: "mercadopago:pse"}
	if got != want {
		t.Fatalf("confirmation = %+v\nwant %+v", got, want)
	}
	got, err = c.Confirm(context.Background(), paylink.Notification{Object: itoa(pending)})
	if err != nil || got.Paid || got.Status != "pending" {
		t.Fatalf("pending: %+v, %v", got, err)
	}
	if _, err := c.Confirm(context.Background(), paylink.Notification{Object: "999"}); err == nil || errors.Is(err, paylink.ErrMalformed) {
		t.Fatalf("unknown payment: err = %v, want a provider error", err)
	}
	// Half a centavo is no amount of COP: refused, not rounded.
	odd := f.Pay(pref.ID, 150000.005, "approved", t0)
	if _, err := c.Confirm(context.Background(), paylink.Notification{Object: itoa(odd)}); !errors.Is(err, paylink.ErrMalformed) {
		t.Fatalf("sub-centavo amount: err = %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestVerify(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", &ledger{})
	body := mptest.Notification(112233445566, "payment.updated", 1310000001, t0)
	ts := strconv.FormatInt(t0.Unix(), 10)
	ms := strconv.FormatInt(t0.UnixMilli(), 10)
	old := strconv.FormatInt(t0.Add(-time.Hour).Unix(), 10)
	good := mercadopago.Sign(secret, mercadopago.Manifest("1310000001", "req-1", ts))
	tests := []struct {
		name, query, sig, reqID string
		body                    []byte
		want                    error
	}{
		{"genuine", "?data.id=1310000001&type=payment", "ts=" + ts + ",v1=" + good, "req-1", body, nil},
		{"genuine, ms timestamp", "?data.id=1310000001&type=payment", "ts=" + ms + ",v1=" + mercadopago.Sign(secret, mercadopago.Manifest("1310000001", "req-1", ms)), "req-1", body, nil},
		{"wrong secret", "?data.id=1310000001&type=payment", "ts=" + ts + ",v1=" + mercadopago.Sign("other", mercadopago.Manifest("1310000001", "req-1", ts)), "req-1", body, paylink.ErrSignature},
		{"other payment", "?data.id=1310000002&type=payment", "ts=" + ts + ",v1=" + good, "req-1", mptest.Notification(1, "payment.updated", 1310000002, t0), paylink.ErrSignature},
		{"other request id", "?data.id=1310000001&type=payment", "ts=" + ts + ",v1=" + good, "req-2", body, paylink.ErrSignature},
		{"replayed", "?data.id=1310000001&type=payment", "ts=" + old + ",v1=" + mercadopago.Sign(secret, mercadopago.Manifest("1310000001", "req-1", old)), "req-1", body, paylink.ErrStale},
		{"no signature", "?data.id=1310000001&type=payment", "", "req-1", body, paylink.ErrSignature},
		{"query and body disagree", "?data.id=1310000009&type=payment", "ts=" + ts + ",v1=" + good, "req-1", body, paylink.ErrMalformed},
		{"not a notification", "", "ts=" + ts + ",v1=" + good, "req-1", []byte(`{"hello":1}`), paylink.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/webhooks/mercadopago"+tt.query, nil)
			if tt.sig != "" {
				r.Header.Set("x-signature", tt.sig)
			}
			r.Header.Set("x-request-id", tt.reqID)
			n, err := c.Verify(r, tt.body)
			if tt.want == nil {
				if err != nil || n.Object != "1310000001" || !n.Relevant || n.EventID == "" {
					t.Fatalf("notification %+v, err %v", n, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestManifest(t *testing.T) {
	tests := []struct{ id, req, ts, want string }{
		{"123", "abc", "1700000000", "id:123;request-id:abc;ts:1700000000;"},
		{"ORD01ABC", "abc", "1", "id:ord01abc;request-id:abc;ts:1;"}, // alphanumeric ids are lower-cased
		{"123", "", "1", "id:123;ts:1;"},                             // absent parts are left out
	}
	for _, tt := range tests {
		if got := mercadopago.Manifest(tt.id, tt.req, tt.ts); got != tt.want {
			t.Errorf("Manifest(%q, %q, %q) = %q, want %q", tt.id, tt.req, tt.ts, got, tt.want)
		}
	}
}
