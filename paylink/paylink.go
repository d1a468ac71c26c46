// Package paylink makes signed payment links from a URL template, like the
// creditor's own payment portal ("pago ágil") the original bot linked to. The
// amount travels in the URL, so the link carries an HMAC: a debtor who edits the
// amount gets a link the portal rejects.
package paylink

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// Request is what a link is for.
type Request struct {
	AccountRef string
	DebtorID   int64
	Amount     acuerdo.Money
	Scope      string // total, overdue, installment, custom
}

// Template fills a URL template and signs it.
type Template struct {
	// URL has the placeholders {ref}, {amount} (a decimal string), {currency},
	// {debtor}, {scope} and {expires} (Unix seconds), e.g.
	// https://pagos.example.co/pagar?ref={ref}&amount={amount}&currency={currency}&exp={expires}
	URL    string
	Secret []byte
	TTL    time.Duration // default 72 h
	Clock  acuerdo.Clock
}

// DefaultURL is used when no template is configured: a placeholder portal, so the
// demo shows a realistic link without pretending it reaches a real provider.
const DefaultURL = "https://pagos.example.com/pagar?ref={ref}&amount={amount}&currency={currency}&exp={expires}"

// Link returns the signed URL.
func (t Template) Link(_ context.Context, r Request) (string, error) {
	if len(t.Secret) == 0 {
		return "", errors.New("paylink: no signing secret configured")
	}
	if r.Amount.Amount <= 0 {
		return "", acuerdo.Errorf(acuerdo.EINVALID, "a payment link needs a positive amount")
	}
	ttl := t.TTL
	if ttl <= 0 {
		ttl = 72 * time.Hour
	}
	clock := t.Clock
	if clock == nil {
		clock = acuerdo.SystemClock
	}
	tmpl := t.URL
	if tmpl == "" {
		tmpl = DefaultURL
	}
	s := strings.NewReplacer(
		"{ref}", url.QueryEscape(r.AccountRef),
		"{amount}", r.Amount.Decimal(),
		"{currency}", r.Amount.Currency,
		"{debtor}", strconv.FormatInt(r.DebtorID, 10),
		"{scope}", url.QueryEscape(r.Scope),
		"{expires}", strconv.FormatInt(clock().Add(ttl).Unix(), 10),
	).Replace(tmpl)
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("paylink: template %q does not make a URL", tmpl)
	}
	q := u.Query()
	q.Set("sig", sign(t.Secret, q))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Verify checks a link's signature and expiry, as the payment portal would.
func (t Template) Verify(link string) error {
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	q := u.Query()
	got := q.Get("sig")
	q.Del("sig")
	if !hmac.Equal([]byte(got), []byte(sign(t.Secret, q))) {
		return errors.New("paylink: bad signature: the link was altered")
	}
	if exp, err := strconv.ParseInt(q.Get("exp"), 10, 64); err == nil {
		clock := t.Clock
		if clock == nil {
			clock = acuerdo.SystemClock
		}
		if clock().Unix() > exp {
			return errors.New("paylink: the link has expired")
		}
	}
	return nil
}

// sign is an HMAC-SHA256 over the query in canonical (sorted) form, so the order
// of parameters does not matter but every value does.
func sign(secret []byte, q url.Values) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(q.Encode()))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
