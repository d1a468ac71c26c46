package stripetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85/webhook"
)

// Fake is a stateful local Stripe for the two Checkout Session calls acuerdo
// makes (create, retrieve). stripe-mock cannot stand in here: it returns the
// same fixture whatever was created, so it cannot say a session was paid, or
// paid a different amount. The fake answers in Stripe's JSON shapes and lets a
// test pay or tamper with a session, and sign events with stripe-go's signer.
type Fake struct {
	URL    string
	Secret string // the webhook signing secret

	mu       sync.Mutex
	sessions map[string]map[string]any
	byKey    map[string]string // idempotency key → session id
	n        int
}

// NewFake starts a fake Stripe.
func NewFake(t testing.TB, secret string) *Fake {
	f := &Fake{Secret: secret, sessions: map[string]map[string]any{}, byKey: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func stripeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": msg}})
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer sk_") {
		stripeError(w, http.StatusUnauthorized, "Invalid API Key provided")
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/checkout/sessions":
		b, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(b))
		if err != nil {
			stripeError(w, http.StatusBadRequest, err.Error())
			return
		}
		f.create(w, form, r.Header.Get("Idempotency-Key"))
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/checkout/sessions/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/checkout/sessions/")
		f.mu.Lock()
		s, ok := f.sessions[id]
		var b []byte
		if ok {
			b, _ = json.Marshal(s)
		}
		f.mu.Unlock()
		if !ok {
			stripeError(w, http.StatusNotFound, "No such checkout.session: '"+id+"'")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	default:
		stripeError(w, http.StatusNotFound, "Unrecognized request URL")
	}
}

func (f *Fake) create(w http.ResponseWriter, form url.Values, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.byKey[key]; ok && key != "" {
		b, _ := json.Marshal(f.sessions[id])
		_, _ = w.Write(b)
		return
	}
	unit, err1 := strconv.ParseInt(form.Get("line_items[0][price_data][unit_amount]"), 10, 64)
	qty, err2 := strconv.ParseInt(form.Get("line_items[0][quantity]"), 10, 64)
	if err1 != nil || err2 != nil || form.Get("mode") != "payment" {
		stripeError(w, http.StatusBadRequest, "want mode=payment and one line item with unit_amount and quantity")
		return
	}
	f.n++
	id := fmt.Sprintf("cs_test_%04d", f.n)
	meta := map[string]string{}
	for k, v := range form {
		if strings.HasPrefix(k, "metadata[") {
			meta[strings.TrimSuffix(strings.TrimPrefix(k, "metadata["), "]")] = v[0]
		}
	}
	s := map[string]any{
		"id": id, "object": "checkout.session", "mode": "payment", "status": "open", "payment_status": "unpaid",
		"amount_total": unit * qty, "currency": form.Get("line_items[0][price_data][currency]"),
		"client_reference_id": form.Get("client_reference_id"), "metadata": meta, "payment_intent": nil,
		"url": "https://checkout.stripe.com/c/pay/" + id, "success_url": form.Get("success_url"),
	}
	f.sessions[id] = s
	f.byKey[key] = id
	b, _ := json.Marshal(s)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// Sessions returns the sessions created so far, by id.
func (f *Fake) Sessions() map[string]map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]map[string]any{}
	for k, v := range f.sessions {
		c := map[string]any{}
		for kk, vv := range v {
			c[kk] = vv
		}
		out[k] = c
	}
	return out
}

// Pay completes a session as a debtor paying by card would: it becomes
// complete and paid, with a payment intent. It returns the intent's id.
func (f *Fake) Pay(sessionID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sessions[sessionID]
	pi := "pi_" + strings.TrimPrefix(sessionID, "cs_")
	s["status"], s["payment_status"] = "complete", "paid"
	s["payment_intent"] = map[string]any{"id": pi, "object": "payment_intent", "status": "succeeded", "payment_method_types": []string{"card"}}
	return pi
}

// SetAmount changes what a session says was paid, as if the link had been
// altered: the recorder must refuse it.
func (f *Fake) SetAmount(sessionID string, amount int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[sessionID]["amount_total"] = amount
}

// Event is the JSON of an event about a session as it is now, created at.
func (f *Fake) Event(id, typ, sessionID string, at time.Time) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	obj := map[string]any{}
	for k, v := range f.sessions[sessionID] {
		obj[k] = v
	}
	// Events carry expandable fields as ids, not objects.
	if pi, ok := obj["payment_intent"].(map[string]any); ok {
		obj["payment_intent"] = pi["id"]
	}
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": "2025-11-17.clover", "type": typ, "created": at.Unix(),
		"livemode": false, "data": map[string]any{"object": obj}})
	return b
}

// Sign returns the Stripe-Signature header for body signed at t, made with
// stripe-go's own signer.
func (f *Fake) Sign(body []byte, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: f.Secret, Timestamp: t}).Header
}
