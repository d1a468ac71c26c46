package paylink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// Provider names, as stored with links, payments and webhook events.
const (
	ProviderTemplate    = "template"
	ProviderStripe      = "stripe"
	ProviderMercadoPago = "mercadopago"
)

// Issued is a link a payment provider made: what it was for, so that when the
// provider later says it was paid, the payment is checked against the amount
// the debtor was offered rather than trusted.
type Issued struct {
	Provider   string
	Reference  string // ours: Stripe's client_reference_id, MercadoPago's external_reference
	ProviderID string // the provider's: checkout session id, preference id
	AccountRef string
	DebtorID   int64
	Amount     acuerdo.Money
	Scope      string
	URL        string
}

// Ledger keeps the links providers issue. store.DB implements it.
type Ledger interface {
	RecordLink(ctx context.Context, l Issued) error
}

// Reference names a link request: the same account, amount, scope and debtor in
// the same UTC hour give the same reference. It doubles as the idempotency key,
// so an agent that asks twice in a conversation (or a retry after a timeout)
// gets the provider's first link back instead of a second one to pay. Every
// parameter sent with the key must be the same on a retry (Stripe refuses a
// key reused with other parameters), so times derive from Issue, not now.
func Reference(r Request, now time.Time) string {
	h := sha256.New()
	for _, s := range []string{r.AccountRef, strconv.FormatInt(r.DebtorID, 10), strconv.FormatInt(r.Amount.Amount, 10), r.Amount.Currency, r.Scope, Issue(now).Format(time.RFC3339)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return referencePrefix + hex.EncodeToString(h.Sum(nil))[:24]
}

// referencePrefix starts every Reference, so a webhook about a checkout that
// acuerdo did not make (the creditor's other sales on the same account) is
// told apart from a forged one.
const referencePrefix = "acu_"

// IsReference reports whether ref looks like one of ours.
func IsReference(ref string) bool { return strings.HasPrefix(ref, referencePrefix) }

// Issue is the instant a provider link made at now counts from: the start of
// its UTC hour, the granularity of Reference.
func Issue(now time.Time) time.Time { return now.UTC().Truncate(time.Hour) }

// Notification is what a verified provider webhook says happened. It is a
// claim to check with the provider, never a payment by itself.
type Notification struct {
	EventID string // the provider's id of this delivery's event, for deduplication
	Type    string // the event type, e.g. checkout.session.completed, payment
	// Object is the provider's id of what to confirm: a checkout session, a
	// payment.
	Object string
	// Relevant is false for events that can never mean money arrived (a
	// session expired, a merchant order); they are acknowledged and ignored.
	Relevant bool
	// Claimed is the amount the event itself states, when it states one; a
	// confirmation that disagrees with it is refused.
	Claimed *acuerdo.Money
	At      time.Time // when the provider says the event happened; zero if it does not say
}

// Confirmation is the provider's own answer about a payment, fetched over its
// API after a webhook named it.
type Confirmation struct {
	Paid       bool   // settled: money arrived
	Status     string // the provider's status word, for logs and audits
	ExternalID string // the provider's payment id: what the creditor's files carry
	Reference  string // the link's Reference
	Amount     acuerdo.Money
	PaidAt     time.Time
	Method     string
}

// Webhook errors. A request that fails these changes nothing; the handler
// audits it and answers 4xx.
var (
	// ErrSignature: the signature is missing or does not match; the request
	// did not come from the provider (or the secret is misconfigured).
	ErrSignature = errors.New("signature does not match")
	// ErrStale: a genuine signature, but outside the tolerance window; a
	// replay of an old request.
	ErrStale = errors.New("signature timestamp outside the tolerance window")
	// ErrMalformed: signed, but not a notification we can read.
	ErrMalformed = errors.New("malformed notification")
)
