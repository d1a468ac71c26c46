package stripe

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"

	"acuerdo"
	"acuerdo/paylink"
)

const secret = "whsec_test"

func completedEvent(id, session string, amount int64) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"event","type":"checkout.session.completed","created":%d,
		"data":{"object":{"id":%q,"object":"checkout.session","amount_total":%d,"currency":"cop","payment_status":"paid"}}}`, id, t0.Unix(), session, amount))
}

// sign signs as Stripe does, with stripe-go's own signer, so the verifier is
// checked against the real scheme rather than against itself.
func sign(body []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

func TestVerifySignature(t *testing.T) {
	body := completedEvent("evt_1", "cs_1", 15000000)
	tests := []struct {
		name   string
		header string
		body   []byte
		want   error
	}{
		{"genuine", sign(body, secret, t0), body, nil},
		{"genuine, 4 minutes old", sign(body, secret, t0.Add(-4*time.Minute)), body, nil},
		{"several signatures, one right", sign(body, "whsec_old", t0) + ",v1=" + strings.TrimPrefix(sign(body, secret, t0), fmt.Sprintf("t=%d,v1=", t0.Unix())), body, nil},
		{"wrong secret", sign(body, "whsec_other", t0), body, paylink.ErrSignature},
		{"body altered", sign(body, secret, t0), completedEvent("evt_1", "cs_1", 100), paylink.ErrSignature},
		{"replayed an hour later", sign(body, secret, t0.Add(-time.Hour)), body, paylink.ErrStale},
		{"from the future", sign(body, secret, t0.Add(10*time.Minute)), body, paylink.ErrStale},
		{"forged and old", sign(body, "whsec_other", t0.Add(-time.Hour)), body, paylink.ErrSignature},
		{"timestamp swapped", strings.Replace(sign(body, secret, t0), fmt.Sprint(t0.Unix()), fmt.Sprint(t0.Unix()+1), 1), body, paylink.ErrSignature},
		{"v0 only", fmt.Sprintf("t=%d,v0=%s", t0.Unix(), strings.Repeat("ab", 32)), body, paylink.ErrSignature},
		{"no header", "", body, paylink.ErrSignature},
		{"garbage", "hello", body, paylink.ErrSignature},
		{"no timestamp", "v1=" + strings.Repeat("ab", 32), body, paylink.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.header, tt.body, secret, t0, 5*time.Minute)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyRequest(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", &ledger{})
	body := completedEvent("evt_9", "cs_9", 15000000)
	r := httptest.NewRequest("POST", "/webhooks/stripe", nil)
	r.Header.Set(SignatureHeader, sign(body, "whsec_test", t0))
	n, err := c.Verify(r, body)
	if err != nil {
		t.Fatal(err)
	}
	want := paylink.Notification{EventID: "evt_9", Type: EventCheckoutCompleted, Object: "cs_9", Relevant: true,
		Claimed: &acuerdo.Money{Amount: 15000000, Currency: "COP"}, At: t0}
	if n.EventID != want.EventID || n.Object != want.Object || !n.Relevant || *n.Claimed != *want.Claimed || !n.At.Equal(t0) {
		t.Fatalf("notification = %+v", n)
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		relevant bool
		err      bool
	}{
		{"completed", string(completedEvent("evt_1", "cs_1", 5)), true, false},
		{"async succeeded", `{"id":"evt_2","object":"event","type":"checkout.session.async_payment_succeeded","data":{"object":{"id":"cs_2","object":"checkout.session"}}}`, true, false},
		{"expired", `{"id":"evt_3","object":"event","type":"checkout.session.expired","data":{"object":{"id":"cs_3","object":"checkout.session"}}}`, false, false},
		{"charge", `{"id":"evt_4","object":"event","type":"charge.succeeded","data":{"object":{"id":"ch_1","object":"charge"}}}`, false, false},
		{"completed without a session", `{"id":"evt_5","object":"event","type":"checkout.session.completed","data":{"object":{"id":"pi_1","object":"payment_intent"}}}`, false, true},
		{"bad currency", `{"id":"evt_6","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_6","object":"checkout.session","amount_total":5,"currency":"pesos"}}}`, false, true},
		{"not an event", `{"id":"cs_1","object":"checkout.session"}`, false, true},
		{"not JSON", `id=evt_1`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseEvent([]byte(tt.body))
			if tt.err {
				if !errors.Is(err, paylink.ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil || n.Relevant != tt.relevant {
				t.Fatalf("notification %+v, err %v; want relevant=%v", n, err, tt.relevant)
			}
		})
	}
}

func FuzzStripeSignature(f *testing.F) {
	body := completedEvent("evt_1", "cs_1", 15000000)
	f.Add(sign(body, secret, t0), body)
	f.Add("t=1,v1=00", []byte("{}"))
	f.Add(",,,=,t=,v1=", []byte(nil))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		err := VerifySignature(header, body, secret, t0, 5*time.Minute)
		if err == nil {
			// Accepted: then the header must carry the genuine signature of
			// this body at a timestamp within tolerance.
			ts, _, perr := parseSignature(header)
			if perr != nil || !strings.Contains(header, strings.TrimPrefix(sign(body, secret, time.Unix(ts, 0)), fmt.Sprintf("t=%d,", ts))) {
				t.Fatalf("accepted %q for %q", header, body)
			}
			return
		}
		if !errors.Is(err, paylink.ErrSignature) && !errors.Is(err, paylink.ErrStale) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

func FuzzStripeEvent(f *testing.F) {
	f.Add(completedEvent("evt_1", "cs_1", 15000000))
	f.Add([]byte(`{"id":"evt","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs","object":"checkout.session","amount_total":-1,"currency":"usd"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseEvent(body)
		if err != nil {
			if !errors.Is(err, paylink.ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if n.EventID == "" || n.Relevant && n.Object == "" {
			t.Fatalf("accepted an event without ids: %+v", n)
		}
	})
}
