package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// Twilio error codes the engine reacts to by name. The full permanent/retryable
// table is below; these are the ones that change what acuerdo does next.
const (
	// CodeOutsideWindow: free-form text outside the 24-hour window, or a template
	// sent as Body. Send an approved template (ContentSid) instead.
	CodeOutsideWindow = 63016
	// CodeRateLimited: the WhatsApp sender hit a messaging limit. Slow down; Twilio's
	// docs suggest waiting up to 24 hours for business-initiated limits.
	CodeRateLimited = 63018
	// CodeUnsubscribed: the recipient replied STOP to this sender.
	CodeUnsubscribed = 21610
	// CodeBlockedByUser: the recipient blocked the business on WhatsApp.
	CodeBlockedByUser = 63014
)

// SendError is a failed call to Twilio: a message create or a media download.
//
// Permanent means the same request will fail again (bad number, outside the window,
// unsubscribed, template mismatch, bad credentials): the engine should give up on
// this message, or change it (e.g. to a template), instead of retrying. Otherwise
// the failure is transient (429, 5xx, network, rate limits) and a later attempt can
// succeed. A network error after the request was written is ambiguous — Twilio may
// have queued the message — and Twilio's Messages API has no idempotency key, so a
// retry may duplicate it; the engine can accept that or reconcile by listing
// messages before retrying.
type SendError struct {
	Code       int           // Twilio error code (https://www.twilio.com/docs/errors), 0 if none
	Status     int           // HTTP status, 0 when no response arrived
	Message    string        // Twilio's message, or what went wrong locally
	MoreInfo   string        // Twilio's documentation link for Code
	Permanent  bool          // retrying the same request cannot succeed
	RetryAfter time.Duration // from a Retry-After header, 0 when absent
	Err        error         // the underlying error (network, context, ErrMediaTooLarge), if any
}

// Error renders the error for logs. Phone numbers inside Twilio's message (it quotes
// the To number in some errors) are masked, because logs must not carry full phone
// numbers; the Message field keeps the original for whoever needs it.
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString("twilio")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ": error %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(maskPhones(e.Message))
	}
	if e.Err != nil && (e.Message == "" || !strings.Contains(e.Message, e.Err.Error())) {
		b.WriteString(": ")
		b.WriteString(maskPhones(e.Err.Error()))
	}
	if e.Permanent {
		b.WriteString(" (permanent)")
	} else {
		b.WriteString(" (retryable)")
	}
	return b.String()
}

// Unwrap returns the underlying error so errors.Is(err, context.Canceled) and
// errors.Is(err, ErrMediaTooLarge) work.
func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a *SendError that retrying cannot fix. Any
// other non-nil error (one this package did not classify) is reported as not
// permanent, so that the engine's retry budget, not a guess here, ends it.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// ErrorCode returns the Twilio error code carried by err, or 0.
func ErrorCode(err error) int {
	var se *SendError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// retryableCodes are failures Twilio reports with a 4xx status or in a failed status
// callback that nevertheless clear up with time. They override the HTTP status.
var retryableCodes = map[int]string{
	20429: "too many requests to the REST API",
	20500: "Twilio internal error",
	20503: "Twilio service unavailable",
	63017: "account-wide rate limit (messages per second)",
	// 63018 "Rate limit exceeded for Channel": the WhatsApp sender's messaging limit
	// (WhatsApp 429, 471, 1015). Twilio's fix is to wait — up to 24 hours for
	// business-initiated tiers — so it is transient, with a long backoff.
	63018: "WhatsApp sender rate or messaging limit",
	63038: "account daily message limit; resets within 24 hours",
	63012: "WhatsApp returned an internal service error (WhatsApp 500, 1011, 1014)",
}

// permanentCodes are failures for which sending the same request again cannot
// succeed: the recipient, the content or the account must change first.
var permanentCodes = map[int]string{
	20003: "authentication failed: wrong account SID or auth token",
	20404: "resource not found (wrong account SID or API URL)",
	21211: "invalid 'To' phone number",
	21212: "invalid 'From' phone number",
	21222: "account SID has characters twilio-go refuses",
	21224: "auth token has characters twilio-go refuses",
	21408: "permission to send to this region is not enabled",
	21602: "message body is required",
	21606: "'From' is not a message-capable Twilio sender",
	21610: "recipient unsubscribed (replied STOP)",
	21614: "'To' is not a valid mobile number",
	21617: "body exceeds 1600 characters",
	21619: "a body, media or ContentSid is required",
	21655: "invalid ContentSid",
	21656: "invalid ContentVariables",
	21660: "'From' does not belong to this account",
	30007: "message filtered by the carrier or channel",
	63003: "the channel could not find the 'To' address (not on WhatsApp)",
	63005: "WhatsApp did not accept the content",
	63007: "no WhatsApp sender configured for 'From'",
	63013: "WhatsApp policy violation (e.g. empty template variable)",
	63014: "recipient blocked the business",
	63015: "sandbox recipient has not joined",
	63016: "outside the 24-hour window: send an approved template",
	63020: "business has not accepted Twilio's invitation",
	63021: "content rejected or unsupported by WhatsApp (e.g. template over 1024 characters)",
	63024: "invalid recipient (WhatsApp 1002, 1026: cannot receive this message)",
	63027: "template does not exist for this language and locale",
	63028: "number of template parameters does not match",
	63030: "parameter not supported for this channel message",
	63032: "WhatsApp will not deliver to this user (WhatsApp 472, user experiment)",
	63049: "Meta chose not to deliver this marketing message",
}

// unreachableCodes are the permanent failures that say the recipient itself
// cannot be reached on the channel, whatever is sent: the number must change.
var unreachableCodes = map[int]string{
	21211: acuerdo.UnreachableInvalidNumber,
	21614: acuerdo.UnreachableInvalidNumber,
	63003: acuerdo.UnreachableNotOnWhatsApp,
	63024: acuerdo.UnreachableInvalidRecipient,
	63014: acuerdo.UnreachableBlocked,
	21610: acuerdo.UnreachableUnsubscribed,
}

// UnreachableReason says why a Twilio error code (a send's or a failed or
// undelivered status callback's, as text) means the recipient cannot be
// reached (an acuerdo.Unreachable… reason), or "" when the code is about
// something else (the content, the window, the account, a rate limit).
func UnreachableReason(code string) string {
	n, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		return ""
	}
	return unreachableCodes[n]
}

// CodePermanent reports whether a Twilio error code (from a send or from a failed
// or undelivered status callback) is one retrying cannot fix. Codes it does not
// know are reported as not permanent; for a synchronous send, classify also looks
// at the HTTP status.
func CodePermanent(code int) bool {
	_, ok := permanentCodes[code]
	return ok
}

// classify decides Permanent from a Twilio code and an HTTP status. Codes win over
// statuses because Twilio answers some transient conditions with a 400 and a code;
// without a known code, 429, 408 and 5xx (and no response at all) are transient and
// any other 4xx is a request Twilio will keep refusing.
func classify(code, status int) bool {
	if _, ok := retryableCodes[code]; ok {
		return false
	}
	if _, ok := permanentCodes[code]; ok {
		return true
	}
	switch {
	case status == 0, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return false
	case status >= 400:
		return true
	}
	return false
}

// twilioError is the JSON body Twilio returns with a 4xx or 5xx, e.g.
// {"code":63016,"message":"…","more_info":"https://www.twilio.com/docs/errors/63016","status":400}.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// errorFromResponse builds a SendError from an HTTP error response. The body may be
// Twilio's JSON or, from a proxy or load balancer, anything at all.
func errorFromResponse(status int, header http.Header, body []byte) *SendError {
	se := &SendError{Status: status, RetryAfter: retryAfter(header)}
	var te twilioError
	if err := json.Unmarshal(body, &te); err == nil && (te.Code != 0 || te.Message != "") {
		se.Code, se.Message, se.MoreInfo = te.Code, te.Message, te.MoreInfo
	} else {
		se.Message = strings.TrimSpace(strconv.Itoa(status) + " " + http.StatusText(status))
	}
	se.Permanent = classify(se.Code, status)
	return se
}

// retryAfter reads a Retry-After header given in seconds; Twilio does not document
// one, but proxies in front of the fake or the real API may send it.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 86400*7 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

var phoneLike = regexp.MustCompile(`\+?[0-9][0-9 ()-]{5,}[0-9]`) // no dots: keeps IP addresses readable

// maskPhones keeps the last four digits of anything that looks like a phone number.
func maskPhones(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, func(m string) string {
		digits := 0
		for i := 0; i < len(m); i++ {
			if '0' <= m[i] && m[i] <= '9' {
				digits++
			}
		}
		if digits < 7 {
			return m // an error code, a year or a count, not a phone number
		}
		last := make([]byte, 0, 4)
		for i := len(m) - 1; i >= 0 && len(last) < 4; i-- {
			if '0' <= m[i] && m[i] <= '9' {
				last = append([]byte{m[i]}, last...)
			}
		}
		return "…" + string(last)
	})
}

// Ambiguous reports whether a failed send may nevertheless have created the
// message: the request may have reached Twilio and its answer was lost (a
// timeout, a reset connection, a cancelled call), Twilio answered 2xx without
// a usable body, or a gateway failed in front of it (500, 502, 504). Twilio's
// Messages API has no idempotency key, so such a send must be reconciled with
// the message list (Find) before any resend. A refusal that says nothing was
// created (429, 503, any 4xx, a connection never made) is not ambiguous.
func Ambiguous(err error) bool {
	var se *SendError
	if !errors.As(err, &se) || se.Permanent {
		return false
	}
	switch se.Status {
	case 0:
		if se.Err == nil || se.Message == "not sent" || se.Message == "not listed" {
			return false
		}
		var op *net.OpError
		if errors.As(se.Err, &op) && op.Op == "dial" {
			return false // no connection, so no request
		}
		var dns *net.DNSError
		return !errors.As(se.Err, &dns)
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return se.Status < 400
}

// RetryAfter returns how long Twilio (or a proxy in front of it) asked to wait
// before the next attempt, from a Retry-After header; 0 when it did not.
func RetryAfter(err error) time.Duration {
	var se *SendError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}
