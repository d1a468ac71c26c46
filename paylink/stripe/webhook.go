package stripe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/paylink"
)

// SignatureHeader is the header Stripe signs webhooks in.
const SignatureHeader = "Stripe-Signature"

// Verify checks a webhook's Stripe-Signature against the endpoint secret and
// the clock, then reads the event. It is written here rather than taken from
// stripe-go's webhook package because that one reads the system clock; tests
// of replays need the injectable one. Tests cross-check it against stripe-go's
// signer.
func (c *Client) Verify(r *http.Request, body []byte) (paylink.Notification, error) {
	if err := VerifySignature(r.Header.Get(SignatureHeader), body, c.cfg.WebhookSecret, c.cfg.Clock(), c.cfg.Tolerance); err != nil {
		return paylink.Notification{}, err
	}
	return ParseEvent(body)
}

// VerifySignature checks a Stripe-Signature header, "t=UNIX,v1=HEX[,v1=HEX…]":
// some v1 must be the HMAC-SHA256 of "t.body" under secret, and t within
// tolerance of now either way. A header that does not parse is a bad
// signature, not a malformed event: nothing about the request can be trusted.
func VerifySignature(header string, body []byte, secret string, now time.Time, tolerance time.Duration) error {
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return fmt.Errorf("%w: %v", paylink.ErrSignature, err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	want := mac.Sum(nil)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return paylink.ErrSignature
	}
	// Checked after the signature, so a forgery is reported as one even when
	// its timestamp is also old.
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now", paylink.ErrStale, time.Unix(ts, 0).UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	return nil
}

func parseSignature(header string) (int64, [][]byte, error) {
	if header == "" {
		return 0, nil, fmt.Errorf("no %s header", SignatureHeader)
	}
	var ts int64 = -1
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return 0, nil, fmt.Errorf("%q is not key=value", part)
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return 0, nil, fmt.Errorf("timestamp %q is not a Unix time", v)
			}
			ts = n
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				continue // a signature of a scheme we do not know; others may match
			}
			sigs = append(sigs, b)
		}
	}
	if ts < 0 {
		return 0, nil, fmt.Errorf("no timestamp")
	}
	if len(sigs) == 0 {
		return 0, nil, fmt.Errorf("no v1 signature")
	}
	return ts, sigs, nil
}

// Event types that can mean a checkout was paid. "completed" with
// payment_status "paid" is a card payment; a delayed method (a bank debit)
// completes "unpaid" and later sends async_payment_succeeded. Both are
// confirmed with Stripe, so their order does not matter.
const (
	EventCheckoutCompleted    = "checkout.session.completed"
	EventAsyncPaymentSucceded = "checkout.session.async_payment_succeeded"
)

type event struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object struct {
			ID          string `json:"id"`
			Object      string `json:"object"`
			AmountTotal *int64 `json:"amount_total"`
			Currency    string `json:"currency"`
		} `json:"object"`
	} `json:"data"`
}

// ParseEvent reads a Stripe event's JSON into a notification.
func ParseEvent(body []byte) (paylink.Notification, error) {
	var e event
	if err := json.Unmarshal(body, &e); err != nil {
		return paylink.Notification{}, fmt.Errorf("%w: %v", paylink.ErrMalformed, err)
	}
	if e.Object != "event" || e.ID == "" || e.Type == "" {
		return paylink.Notification{}, fmt.Errorf("%w: not a Stripe event (want object \"event\" with an id and a type)", paylink.ErrMalformed)
	}
	n := paylink.Notification{EventID: e.ID, Type: e.Type, Object: e.Data.Object.ID}
	if e.Created > 0 {
		n.At = time.Unix(e.Created, 0).UTC()
	}
	if e.Type != EventCheckoutCompleted && e.Type != EventAsyncPaymentSucceded {
		return n, nil
	}
	o := e.Data.Object
	if o.Object != "checkout.session" || o.ID == "" {
		return n, fmt.Errorf("%w: %s without a checkout session", paylink.ErrMalformed, e.Type)
	}
	n.Relevant = true
	if o.AmountTotal != nil {
		cur := strings.ToUpper(o.Currency)
		if !acuerdo.ValidCurrency(cur) {
			return n, fmt.Errorf("%w: currency %q", paylink.ErrMalformed, o.Currency)
		}
		m := fromStripe(*o.AmountTotal, cur)
		n.Claimed = &m
	}
	return n, nil
}
