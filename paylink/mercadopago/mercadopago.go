// Package mercadopago makes payment links with MercadoPago Checkout Pro and
// reads its webhooks. A link is a preference for exactly the amount offered,
// with our reference as external_reference and acuerdo's webhook as
// notification_url. A notification carries only a payment id, so every one is
// verified (x-signature) and then confirmed by fetching the payment:
// status "approved", the amount and the external_reference come from
// MercadoPago's API, never from the notification.
package mercadopago

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mercadopago/sdk-go/pkg/config"
	"github.com/mercadopago/sdk-go/pkg/payment"
	"github.com/mercadopago/sdk-go/pkg/preference"

	"acuerdo"
	"acuerdo/paylink"
)

// DefaultAPIURL is MercadoPago's API; MERCADOPAGO_API_URL replaces it.
const DefaultAPIURL = "https://api.mercadopago.com"

// Config builds a Client.
type Config struct {
	AccessToken   string // MERCADOPAGO_ACCESS_TOKEN
	WebhookSecret string // MERCADOPAGO_WEBHOOK_SECRET: the application's webhook signing key
	APIURL        string // MERCADOPAGO_API_URL; default DefaultAPIURL
	// NotificationURL is where MercadoPago posts payment notifications:
	// ACUERDO_PUBLIC_URL + /webhooks/mercadopago.
	NotificationURL string
	// BackURL is where Checkout Pro sends the debtor after paying.
	BackURL string
	// TTL is how long a link stays payable (default 72 h, like the template
	// links).
	TTL time.Duration
	// Tolerance is how far a notification's signed timestamp may be from now
	// (default 10 minutes); older ones are refused as replays.
	Tolerance  time.Duration
	Ledger     paylink.Ledger
	Clock      acuerdo.Clock
	HTTPClient *http.Client
}

// Client talks to MercadoPago.
type Client struct {
	cfg         Config
	preferences preference.Client
	payments    payment.Client
}

// New checks the configuration and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.AccessToken == "" {
		return nil, errors.New("mercadopago: MERCADOPAGO_ACCESS_TOKEN is not set")
	}
	if cfg.WebhookSecret == "" {
		return nil, errors.New("mercadopago: MERCADOPAGO_WEBHOOK_SECRET is not set: without it no notification can be verified (copy the secret signature from Your integrations > Webhooks)")
	}
	if cfg.Ledger == nil {
		return nil, errors.New("mercadopago: no ledger to record links in")
	}
	if cfg.NotificationURL == "" {
		return nil, errors.New("mercadopago: no notification URL: set ACUERDO_PUBLIC_URL")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.APIURL, "/"))
	if err != nil || base.Scheme != "https" && base.Scheme != "http" || base.Host == "" {
		return nil, fmt.Errorf("mercadopago: MERCADOPAGO_API_URL %q is not an http(s) URL", cfg.APIURL)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 72 * time.Hour
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = 10 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	mp, err := config.New(cfg.AccessToken, config.WithHTTPClient(requester{base: base, client: cfg.HTTPClient}))
	if err != nil {
		return nil, fmt.Errorf("mercadopago: %w", err)
	}
	return &Client{cfg: cfg, preferences: preference.NewClient(mp), payments: payment.NewClient(mp)}, nil
}

// Name is the provider's name in the store and the audit log.
func (*Client) Name() string { return paylink.ProviderMercadoPago }

// Link creates a Checkout Pro preference for exactly r's amount and returns its
// init_point, the URL the debtor opens.
func (c *Client) Link(ctx context.Context, r paylink.Request) (string, error) {
	if r.Amount.Amount <= 0 {
		return "", acuerdo.Errorf(acuerdo.EINVALID, "a payment link needs a positive amount")
	}
	now := c.cfg.Clock()
	ref := paylink.Reference(r, now)
	from := paylink.Issue(now)
	to := from.Add(c.cfg.TTL)
	req := preference.Request{
		Items: []preference.ItemRequest{{
			ID: r.AccountRef, Title: "Pago cuenta " + r.AccountRef, Quantity: 1,
			CurrencyID: r.Amount.Currency, UnitPrice: toFloat(r.Amount),
		}},
		ExternalReference:  ref,
		NotificationURL:    c.cfg.NotificationURL,
		BackURLs:           &preference.BackURLsRequest{Success: c.cfg.BackURL, Pending: c.cfg.BackURL, Failure: c.cfg.BackURL},
		Expires:            true,
		ExpirationDateFrom: &from,
		ExpirationDateTo:   &to,
		// One installment, no partial amounts: the link pays what was offered.
		PaymentMethods: &preference.PaymentMethodsRequest{Installments: 1},
		Metadata:       map[string]any{"account_ref": r.AccountRef, "debtor_id": strconv.FormatInt(r.DebtorID, 10), "scope": r.Scope},
	}
	if c.cfg.BackURL != "" {
		req.AutoReturn = "approved"
	}
	p, err := c.preferences.Create(withIdempotencyKey(ctx, ref), req)
	if err != nil {
		return "", fmt.Errorf("mercadopago: create preference: %w", err)
	}
	if p.InitPoint == "" {
		return "", fmt.Errorf("mercadopago: preference %s came back without an init_point", p.ID)
	}
	if p.ExternalReference != "" && p.ExternalReference != ref {
		return "", fmt.Errorf("mercadopago: preference %s came back with external_reference %q, want %q", p.ID, p.ExternalReference, ref)
	}
	err = c.cfg.Ledger.RecordLink(ctx, paylink.Issued{Provider: paylink.ProviderMercadoPago, Reference: ref, ProviderID: p.ID,
		AccountRef: r.AccountRef, DebtorID: r.DebtorID, Amount: r.Amount, Scope: r.Scope, URL: p.InitPoint})
	if err != nil {
		return "", fmt.Errorf("mercadopago: %w", err)
	}
	return p.InitPoint, nil
}

// Confirm fetches the payment a notification names. An error means
// MercadoPago could not be asked; the notification should be retried.
func (c *Client) Confirm(ctx context.Context, n paylink.Notification) (paylink.Confirmation, error) {
	id, err := strconv.Atoi(n.Object)
	if err != nil || id <= 0 {
		return paylink.Confirmation{}, fmt.Errorf("%w: payment id %q is not a number", paylink.ErrMalformed, n.Object)
	}
	p, err := c.payments.Get(ctx, id)
	if err != nil {
		return paylink.Confirmation{}, fmt.Errorf("mercadopago: get payment %d: %w", id, err)
	}
	return confirmation(p, c.cfg.Clock())
}

func confirmation(p *payment.Response, now time.Time) (paylink.Confirmation, error) {
	if p.Status != "approved" {
		// pending, in_process, rejected, refunded...: nothing to record.
		return paylink.Confirmation{Status: p.Status, ExternalID: strconv.Itoa(p.ID), Reference: p.ExternalReference}, nil
	}
	cur := strings.ToUpper(p.CurrencyID)
	if !acuerdo.ValidCurrency(cur) {
		return paylink.Confirmation{}, fmt.Errorf("%w: approved payment %d has currency %q", paylink.ErrMalformed, p.ID, p.CurrencyID)
	}
	amount, err := fromFloat(p.TransactionAmount, cur)
	if err != nil {
		return paylink.Confirmation{}, fmt.Errorf("%w: approved payment %d: %v", paylink.ErrMalformed, p.ID, err)
	}
	c := paylink.Confirmation{
		Paid:       true,
		Status:     p.Status,
		ExternalID: strconv.Itoa(p.ID),
		Reference:  p.ExternalReference,
		Amount:     amount,
		PaidAt:     p.DateApproved.UTC(),
		Method:     "mercadopago",
	}
	if p.PaymentMethodID != "" {
		c.Method = "mercadopago:" + p.PaymentMethodID
	}
	if p.DateApproved.IsZero() {
		c.PaidAt = now
	}
	return c, nil
}

func pow10(d int) float64 { return math.Pow(10, float64(d)) }

// toFloat is the decimal amount MercadoPago's unit_price takes. Amounts of
// debts are far below 2^53 minor units, so the float is exact to the cent.
func toFloat(m acuerdo.Money) float64 {
	return float64(m.Amount) / pow10(acuerdo.MinorDigits(m.Currency))
}

// fromFloat reads MercadoPago's decimal amount back into minor units; an
// amount finer than the currency's minor unit is an error, not rounded away.
func fromFloat(x float64, cur string) (acuerdo.Money, error) {
	scaled := x * pow10(acuerdo.MinorDigits(cur))
	r := math.Round(scaled)
	if math.IsNaN(x) || math.IsInf(x, 0) || r <= 0 || r > 1<<53 || math.Abs(scaled-r) > 1e-4 {
		return acuerdo.Money{}, fmt.Errorf("amount %v %s is not a positive amount in %s's minor units", x, cur, cur)
	}
	return acuerdo.Money{Amount: int64(r), Currency: cur}, nil
}

type idempotencyKey struct{}

func withIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// requester sends the SDK's requests to the configured API URL: the SDK has
// its host built in, so requests are re-addressed here (the same trick the
// Twilio client needs). It also replaces the SDK's random idempotency key with
// ours, so a retried link request cannot make two preferences.
type requester struct {
	base   *url.URL
	client *http.Client
}

func (q requester) Do(req *http.Request) (*http.Response, error) {
	u := *req.URL
	u.Scheme, u.Host = q.base.Scheme, q.base.Host
	u.Path = q.base.Path + req.URL.Path
	u.RawPath = ""
	r := req.Clone(req.Context())
	r.URL, r.Host = &u, ""
	if k, ok := req.Context().Value(idempotencyKey{}).(string); ok {
		r.Header.Set("X-Idempotency-Key", k)
	}
	return q.client.Do(r)
}
