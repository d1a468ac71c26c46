// Package stripe makes payment links with Stripe Checkout and reads Stripe's
// webhooks. A link is a Checkout Session in payment mode for exactly the
// amount the agent offered, tagged with the account and debtor; a webhook is
// verified (Stripe-Signature, with a tolerance against replays) and then
// confirmed by fetching the session from Stripe, because only Stripe's own
// answer, not the event's body, is evidence that money arrived.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"

	"acuerdo"
	"acuerdo/paylink"
)

// DefaultAPIURL is Stripe's API; STRIPE_API_URL replaces it (tests point it at
// stripe-mock or a local fake).
const DefaultAPIURL = "https://api.stripe.com"

// Config builds a Client.
type Config struct {
	APIKey        string // STRIPE_API_KEY
	WebhookSecret string // STRIPE_WEBHOOK_SECRET, whsec_…
	APIURL        string // STRIPE_API_URL; default DefaultAPIURL
	// SuccessURL is where Checkout sends the debtor after paying.
	SuccessURL string
	// Tolerance is how old a signed webhook may be (default 5 minutes, Stripe's
	// own default); older ones are refused as replays.
	Tolerance time.Duration
	// TTL is how long a link stays payable, counted from the start of the hour
	// it was made in (paylink.Issue): Checkout allows 30 minutes to 24 hours
	// after creation, so 2 to 24 hours here (default 24 h). The agent makes a
	// new link when one expired.
	TTL        time.Duration
	Ledger     paylink.Ledger
	Clock      acuerdo.Clock
	HTTPClient *http.Client
}

// Client talks to Stripe.
type Client struct {
	cfg Config
	api *stripeapi.Client
}

// New checks the configuration and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("stripe: STRIPE_API_KEY is not set")
	}
	if cfg.WebhookSecret == "" {
		return nil, errors.New("stripe: STRIPE_WEBHOOK_SECRET is not set: without it no payment notification can be verified (copy the endpoint's signing secret, whsec_…, from the Stripe dashboard)")
	}
	if cfg.Ledger == nil {
		return nil, errors.New("stripe: no ledger to record links in")
	}
	if cfg.SuccessURL == "" {
		return nil, errors.New("stripe: no success URL: set ACUERDO_PUBLIC_URL")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = 5 * time.Minute
	}
	if cfg.TTL <= 0 || cfg.TTL > 24*time.Hour {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.TTL < 2*time.Hour {
		cfg.TTL = 2 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	backend := stripeapi.GetBackendWithConfig(stripeapi.APIBackend, &stripeapi.BackendConfig{
		URL:        stripeapi.String(cfg.APIURL),
		HTTPClient: cfg.HTTPClient,
		// The library's retries reuse the idempotency key, so they are safe.
		MaxNetworkRetries: stripeapi.Int64(2),
		LeveledLogger:     &stripeapi.LeveledLogger{Level: stripeapi.LevelNull},
	})
	api := stripeapi.NewClient(cfg.APIKey, stripeapi.WithBackends(&stripeapi.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}))
	return &Client{cfg: cfg, api: api}, nil
}

// Name is the provider's name in the store and the audit log.
func (*Client) Name() string { return paylink.ProviderStripe }

// Link creates a Checkout Session for exactly r's amount and returns its URL.
// The session carries our reference (client_reference_id) and the account and
// debtor in its metadata and its payment's metadata, so the creditor finds them
// in Stripe's dashboard too. The reference is also the idempotency key.
func (c *Client) Link(ctx context.Context, r paylink.Request) (string, error) {
	if r.Amount.Amount <= 0 {
		return "", acuerdo.Errorf(acuerdo.EINVALID, "a payment link needs a positive amount")
	}
	unit, err := toStripe(r.Amount)
	if err != nil {
		return "", err
	}
	now := c.cfg.Clock()
	ref := paylink.Reference(r, now)
	meta := map[string]string{"account_ref": r.AccountRef, "debtor_id": strconv.FormatInt(r.DebtorID, 10), "scope": r.Scope, "acuerdo_ref": ref}
	params := &stripeapi.CheckoutSessionCreateParams{
		Mode:              stripeapi.String(string(stripeapi.CheckoutSessionModePayment)),
		ClientReferenceID: stripeapi.String(ref),
		SuccessURL:        stripeapi.String(c.cfg.SuccessURL),
		ExpiresAt:         stripeapi.Int64(paylink.Issue(now).Add(c.cfg.TTL).Unix()),
		Metadata:          meta,
		PaymentIntentData: &stripeapi.CheckoutSessionCreatePaymentIntentDataParams{Metadata: meta},
		// The debtor pays the debt's currency: with Adaptive Pricing Stripe
		// could present another, and the amount checks are in this one.
		AdaptivePricing: &stripeapi.CheckoutSessionCreateAdaptivePricingParams{Enabled: stripeapi.Bool(false)},
		LineItems: []*stripeapi.CheckoutSessionCreateLineItemParams{{
			Quantity: stripeapi.Int64(1),
			PriceData: &stripeapi.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:    stripeapi.String(strings.ToLower(r.Amount.Currency)),
				UnitAmount:  stripeapi.Int64(unit),
				ProductData: &stripeapi.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripeapi.String("Pago cuenta " + r.AccountRef)},
			},
		}},
	}
	params.SetIdempotencyKey(ref)
	s, err := c.api.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return "", fmt.Errorf("stripe: create checkout session: %w", err)
	}
	if s.URL == "" {
		return "", fmt.Errorf("stripe: checkout session %s came back without a URL", s.ID)
	}
	err = c.cfg.Ledger.RecordLink(ctx, paylink.Issued{Provider: paylink.ProviderStripe, Reference: ref, ProviderID: s.ID,
		AccountRef: r.AccountRef, DebtorID: r.DebtorID, Amount: r.Amount, Scope: r.Scope, URL: s.URL})
	if err != nil {
		return "", fmt.Errorf("stripe: %w", err)
	}
	return s.URL, nil
}

// Confirm fetches the checkout session a notification names and reports what
// Stripe says about it. An error means Stripe could not be asked; the webhook
// should be retried.
func (c *Client) Confirm(ctx context.Context, n paylink.Notification) (paylink.Confirmation, error) {
	p := &stripeapi.CheckoutSessionRetrieveParams{}
	p.AddExpand("payment_intent")
	s, err := c.api.V1CheckoutSessions.Retrieve(ctx, n.Object, p)
	if err != nil {
		return paylink.Confirmation{}, fmt.Errorf("stripe: retrieve checkout session %s: %w", n.Object, err)
	}
	return confirmation(s, n, c.cfg.Clock())
}

// confirmation reads a retrieved session. Only payment_status "paid" of a
// payment-mode session is money; "unpaid" (a bank transfer still on its way)
// and "no_payment_required" are not.
func confirmation(s *stripeapi.CheckoutSession, n paylink.Notification, now time.Time) (paylink.Confirmation, error) {
	c := paylink.Confirmation{
		Paid:      s.Mode == stripeapi.CheckoutSessionModePayment && s.PaymentStatus == stripeapi.CheckoutSessionPaymentStatusPaid,
		Status:    string(s.PaymentStatus),
		Reference: s.ClientReferenceID,
		PaidAt:    n.At,
		Method:    "stripe",
	}
	if !c.Paid {
		return c, nil // nothing to record, so nothing more to read
	}
	cur := strings.ToUpper(string(s.Currency))
	if !acuerdo.ValidCurrency(cur) || s.AmountTotal <= 0 {
		return paylink.Confirmation{}, fmt.Errorf("%w: paid checkout session %s has amount %d %q", paylink.ErrMalformed, s.ID, s.AmountTotal, s.Currency)
	}
	c.Amount = fromStripe(s.AmountTotal, cur)
	if c.PaidAt.IsZero() {
		c.PaidAt = now
	}
	// The payment intent's id is what Stripe's payouts and the creditor's
	// reconciliation files carry; a session without one (it should not happen
	// in payment mode) falls back to the session's id.
	c.ExternalID = s.ID
	if s.PaymentIntent != nil && s.PaymentIntent.ID != "" {
		c.ExternalID = s.PaymentIntent.ID
		if len(s.PaymentIntent.PaymentMethodTypes) > 0 {
			c.Method = "stripe:" + s.PaymentIntent.PaymentMethodTypes[0]
		}
	}
	return c, nil
}

// zeroDecimal are the currencies Stripe counts in whole units although
// ISO 4217 (and acuerdo) may give them cents.
var zeroDecimal = map[string]bool{"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true, "KRW": true,
	"MGA": true, "PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true}

func stripeDigits(cur string) int {
	if zeroDecimal[cur] {
		return 0
	}
	if d := acuerdo.MinorDigits(cur); d == 3 {
		return 3
	}
	return 2
}

// toStripe converts minor units to Stripe's unit for the currency. An amount
// Stripe cannot express exactly is an error, never rounded.
func toStripe(m acuerdo.Money) (int64, error) {
	have, want := acuerdo.MinorDigits(m.Currency), stripeDigits(m.Currency)
	a := m.Amount
	for ; have < want; have++ {
		a *= 10
	}
	for ; have > want; have-- {
		if a%10 != 0 {
			return 0, acuerdo.Errorf(acuerdo.EINVALID, "Stripe takes %s in whole units; %s cannot be charged exactly", m.Currency, m.Decimal())
		}
		a /= 10
	}
	return a, nil
}

// fromStripe is toStripe's inverse.
func fromStripe(a int64, cur string) acuerdo.Money {
	have, want := stripeDigits(cur), acuerdo.MinorDigits(cur)
	for ; have < want; have++ {
		a *= 10
	}
	for ; have > want; have-- {
		a /= 10
	}
	return acuerdo.Money{Amount: a, Currency: cur}
}
