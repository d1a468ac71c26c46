// Package mptest is a local MercadoPago for tests: it speaks the documented
// JSON of the two endpoints acuerdo uses, POST /checkout/preferences and
// GET /v1/payments/{id}, keeps what it was sent, and lets a test pay a
// preference the way a debtor would in Checkout Pro.
package mptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Item is a preference item as MercadoPago receives it.
type Item struct {
	ID         string  `json:"id"`
	Title      string  `json:"title"`
	Quantity   int     `json:"quantity"`
	CurrencyID string  `json:"currency_id"`
	UnitPrice  float64 `json:"unit_price"`
}

// Preference is what the fake kept of a created preference.
type Preference struct {
	ID                string         `json:"id"`
	Items             []Item         `json:"items"`
	ExternalReference string         `json:"external_reference"`
	NotificationURL   string         `json:"notification_url"`
	Expires           bool           `json:"expires"`
	ExpirationDateTo  string         `json:"expiration_date_to"`
	Metadata          map[string]any `json:"metadata"`
	InitPoint         string         `json:"init_point"`
	IdempotencyKey    string         `json:"-"`
}

// Fake is the local MercadoPago.
type Fake struct {
	URL   string
	Token string

	mu       sync.Mutex
	prefs    []Preference
	byKey    map[string]int // idempotency key → index in prefs
	payments map[int]map[string]any
	nextPay  int
}

// New starts a fake that accepts the access token.
func New(t testing.TB, token string) *Fake {
	f := &Fake{Token: token, byKey: map[string]int{}, payments: map[int]map[string]any{}, nextPay: 1310000000}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func mpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"message": msg, "error": "bad_request", "status": code, "cause": []any{}})
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		mpError(w, http.StatusUnauthorized, "invalid access token")
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/checkout/preferences":
		f.createPreference(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payments/"):
		id, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/v1/payments/"))
		f.mu.Lock()
		p, ok := f.payments[id]
		f.mu.Unlock()
		if err != nil || !ok {
			mpError(w, http.StatusNotFound, "Payment not found")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p)
	default:
		mpError(w, http.StatusNotFound, "resource not found")
	}
}

func (f *Fake) createPreference(w http.ResponseWriter, r *http.Request) {
	var p Preference
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		mpError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	if len(p.Items) == 0 || p.Items[0].UnitPrice <= 0 || p.Items[0].Quantity <= 0 || p.Items[0].CurrencyID == "" {
		mpError(w, http.StatusBadRequest, "items needs unit_price, quantity and currency_id")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Header.Get("X-Idempotency-Key")
	if i, ok := f.byKey[key]; ok && key != "" {
		p = f.prefs[i]
	} else {
		p.ID = fmt.Sprintf("123456789-%04d", len(f.prefs)+1)
		p.InitPoint = "https://www.mercadopago.com.co/checkout/v1/redirect?pref_id=" + p.ID
		p.IdempotencyKey = key
		f.prefs = append(f.prefs, p)
		f.byKey[key] = len(f.prefs) - 1
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": p.ID, "init_point": p.InitPoint, "sandbox_init_point": strings.Replace(p.InitPoint, "www.", "sandbox.", 1),
		"external_reference": p.ExternalReference, "notification_url": p.NotificationURL, "items": p.Items,
		"collector_id": 123456789, "client_id": "1234", "date_created": time.Now().UTC().Format(time.RFC3339Nano),
	})
}

// Preferences returns the preferences created so far.
func (f *Fake) Preferences() []Preference {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Preference(nil), f.prefs...)
}

// Pay records a payment of a preference as Checkout Pro would, with the
// given amount and status ("approved", "pending", "rejected"), and returns
// its id. amount 0 pays the preference's own price.
func (f *Fake) Pay(prefID string, amount float64, status string, at time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.prefs {
		if p.ID != prefID {
			continue
		}
		if amount == 0 {
			amount = p.Items[0].UnitPrice * float64(p.Items[0].Quantity)
		}
		f.nextPay++
		id := f.nextPay
		pay := map[string]any{
			"id": id, "status": status, "status_detail": "accredited", "currency_id": p.Items[0].CurrencyID,
			"transaction_amount": amount, "external_reference": p.ExternalReference, "payment_method_id": "pse", "payment_type_id": "bank_transfer",
			"date_created": at.Format("2006-01-02T15:04:05.000-07:00"), "live_mode": false, "metadata": p.Metadata,
		}
		if status == "approved" {
			pay["date_approved"] = at.Format("2006-01-02T15:04:05.000-07:00")
		}
		f.payments[id] = pay
		return id
	}
	panic("mptest: no preference " + prefID)
}

// SetStatus changes a payment's status, as when a pending payment is approved.
func (f *Fake) SetStatus(id int, status string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.payments[id]["status"] = status
	if status == "approved" {
		f.payments[id]["date_approved"] = at.Format("2006-01-02T15:04:05.000-07:00")
	}
}

// Notification is the body MercadoPago posts for a payment event.
func Notification(notificationID int64, action string, paymentID int, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": notificationID, "live_mode": false, "type": "payment", "date_created": at.Format(time.RFC3339),
		"user_id": 123456789, "api_version": "v1", "action": action, "data": map[string]any{"id": strconv.Itoa(paymentID)},
	})
	return b
}
