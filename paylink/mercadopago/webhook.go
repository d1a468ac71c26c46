package mercadopago

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"acuerdo/paylink"
)

// Signature headers of MercadoPago's webhooks.
const (
	SignatureHeader = "X-Signature"
	RequestIDHeader = "X-Request-Id"
)

// Verify checks a notification's x-signature and reads it.
func (c *Client) Verify(r *http.Request, body []byte) (paylink.Notification, error) {
	n, dataID, err := ParseNotification(r.URL.Query(), body)
	if err != nil {
		// The signature covers data.id, so an unreadable notification cannot
		// be verified at all; it is refused as malformed.
		return paylink.Notification{}, err
	}
	if err := VerifySignature(r.Header.Get(SignatureHeader), r.Header.Get(RequestIDHeader), dataID, c.cfg.WebhookSecret, c.cfg.Clock(), c.cfg.Tolerance); err != nil {
		return paylink.Notification{}, err
	}
	return n, nil
}

// Manifest is the string MercadoPago signs: "id:{data.id};request-id:{x-request-id};ts:{ts};",
// with data.id lower-cased (it may be alphanumeric) and any part whose value
// is absent left out, as MercadoPago's documentation specifies.
func Manifest(dataID, requestID, ts string) string {
	var b strings.Builder
	if dataID != "" {
		b.WriteString("id:" + strings.ToLower(dataID) + ";")
	}
	if requestID != "" {
		b.WriteString("request-id:" + requestID + ";")
	}
	if ts != "" {
		b.WriteString("ts:" + ts + ";")
	}
	return b.String()
}

// Sign returns the v1 signature of a manifest: hex HMAC-SHA256 under the
// application's secret. Tests use it to play MercadoPago.
func Sign(secret, manifest string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(manifest))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks an x-signature header, "ts=…,v1=…", for the
// notification of dataID, and that ts is within tolerance of now. MercadoPago
// sends ts in seconds or milliseconds; both are read.
func VerifySignature(header, requestID, dataID, secret string, now time.Time, tolerance time.Duration) error {
	ts, v1, err := parseSignature(header)
	if err != nil {
		return fmt.Errorf("%w: %v", paylink.ErrSignature, err)
	}
	want := Sign(secret, Manifest(dataID, requestID, ts))
	if !hmac.Equal([]byte(normalize(v1)), []byte(want)) {
		return paylink.ErrSignature
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%w: ts %q is not a Unix time", paylink.ErrSignature, ts)
	}
	at := time.Unix(n, 0)
	if n > 1e11 { // milliseconds: seconds would be the year 5000
		at = time.UnixMilli(n)
	}
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now", paylink.ErrStale, at.UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	return nil
}

// normalize lets an upper-case hex signature match.
func normalize(v1 string) string { return strings.ToLower(v1) }

func parseSignature(header string) (ts, v1 string, err error) {
	if header == "" {
		return "", "", fmt.Errorf("no %s header", SignatureHeader)
	}
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", "", fmt.Errorf("%q is not key=value", part)
		}
		switch strings.TrimSpace(k) {
		case "ts":
			ts = strings.TrimSpace(v)
		case "v1":
			v1 = strings.TrimSpace(v)
		}
	}
	if ts == "" || v1 == "" {
		return "", "", fmt.Errorf("want ts=…,v1=…")
	}
	return ts, v1, nil
}

type notification struct {
	ID     json.RawMessage `json:"id"`
	Type   string          `json:"type"`
	Action string          `json:"action"`
	Data   struct {
		ID json.RawMessage `json:"id"`
	} `json:"data"`
	DateCreated string `json:"date_created"`
}

// ParseNotification reads a webhook notification: the JSON body and the query
// MercadoPago adds to the notification URL (data.id and type). It returns the
// notification and the data.id the signature covers, which is the query's
// when present, as MercadoPago signs that one.
func ParseNotification(q url.Values, body []byte) (paylink.Notification, string, error) {
	var raw notification
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &raw); err != nil {
			return paylink.Notification{}, "", fmt.Errorf("%w: %v", paylink.ErrMalformed, err)
		}
	}
	dataID := q.Get("data.id")
	if dataID == "" {
		dataID = scalar(raw.Data.ID)
	}
	typ := raw.Type
	if typ == "" {
		typ = q.Get("type")
	}
	if dataID == "" || typ == "" {
		return paylink.Notification{}, "", fmt.Errorf("%w: want a type and data.id", paylink.ErrMalformed)
	}
	if id := scalar(raw.Data.ID); id != "" && q.Get("data.id") != "" && id != q.Get("data.id") {
		return paylink.Notification{}, "", fmt.Errorf("%w: data.id %q in the body but %q in the URL", paylink.ErrMalformed, id, q.Get("data.id"))
	}
	// The notification's own id identifies this event; MercadoPago sends a new
	// one for each change of the payment (created, updated), and the same one
	// again when it retries a delivery.
	eventID := scalar(raw.ID)
	if eventID == "" {
		eventID = typ + ":" + dataID
	}
	if raw.Action != "" {
		eventID += ":" + raw.Action
	}
	n := paylink.Notification{EventID: eventID, Type: typ, Object: dataID, Relevant: typ == "payment"}
	if t, err := time.Parse(time.RFC3339, raw.DateCreated); err == nil {
		n.At = t.UTC()
	}
	if n.Relevant {
		if id, err := strconv.ParseInt(dataID, 10, 64); err != nil || id <= 0 {
			return paylink.Notification{}, "", fmt.Errorf("%w: payment id %q is not a number", paylink.ErrMalformed, dataID)
		}
	}
	return n, dataID, nil
}

// scalar renders a JSON string or number as text; MercadoPago sends ids as
// either.
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
