package whatsapp

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"acuerdo"
)

// Inbound is a WhatsApp message a debtor sent, as Twilio posts it to the inbound
// webhook. Phone numbers are E.164 ("+573001234567"), without the "whatsapp:" prefix.
type Inbound struct {
	MessageSid    string  // Twilio's ID; the idempotency key of inbound messages
	AccountSid    string  // the account it arrived on; the web layer may check it
	From          string  // the debtor, E.164
	To            string  // our sender, E.164
	Body          string  // text; empty for media-only, location or some button replies
	ProfileName   string  // the WhatsApp display name; untrusted, may be empty
	WaID          string  // the sender's WhatsApp ID (digits, usually From without "+")
	ButtonText    string  // the label of a quick-reply button the debtor tapped
	ButtonPayload string  // the payload of that button, as set in the template
	MessageType   string  // Twilio's MessageType: text, image, button, location, …
	RepliedToSid  string  // OriginalRepliedMessageSid: the message this one quotes
	Media         []Media // attachments, in Twilio's order
}

// Media is one attachment of an inbound message. URL points at Twilio's API and
// redirects to a CDN; fetch it with Client.DownloadMedia.
type Media struct {
	URL         string
	ContentType string // lower-case type/subtype without parameters, e.g. "image/jpeg"
}

// Bounds on what an inbound webhook may carry. They are far above what WhatsApp
// sends (one attachment, 4096 characters of text) and exist so a forged or broken
// request cannot make the engine store or fetch unbounded data.
const (
	MaxMedia       = 10       // Twilio's per-message media limit
	maxBodyBytes   = 32 << 10 // WhatsApp text is at most 4096 characters
	maxFieldBytes  = 1024     // names, payloads, SIDs
	maxMediaURLLen = 2048
)

// ErrInvalidWebhook is wrapped by every error of ParseInbound and ParseStatus, so
// the web layer can answer 400 without inspecting messages.
var ErrInvalidWebhook = errors.New("invalid Twilio webhook")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidWebhook, fmt.Sprintf(format, args...))
}

// ParseInbound reads Twilio's inbound-message webhook parameters (a verified
// request's form). MessageSid, From and To are required; media fields are checked
// against NumMedia. Text is returned as valid UTF-8 (invalid bytes become U+FFFD)
// so it can be stored and shown safely.
func ParseInbound(form url.Values) (Inbound, error) {
	var in Inbound
	var err error
	if in.MessageSid, err = sid(form, "MessageSid", true); err != nil {
		return Inbound{}, err
	}
	if in.AccountSid, err = sid(form, "AccountSid", false); err != nil {
		return Inbound{}, err
	}
	if in.From, err = address(form, "From"); err != nil {
		return Inbound{}, err
	}
	if in.To, err = address(form, "To"); err != nil {
		return Inbound{}, err
	}
	if in.RepliedToSid, err = sid(form, "OriginalRepliedMessageSid", false); err != nil {
		return Inbound{}, err
	}
	if in.Body, err = text(form, "Body", maxBodyBytes); err != nil {
		return Inbound{}, err
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{
		{&in.ProfileName, "ProfileName"},
		{&in.ButtonText, "ButtonText"},
		{&in.ButtonPayload, "ButtonPayload"},
		{&in.MessageType, "MessageType"},
	} {
		if *f.dst, err = text(form, f.name, maxFieldBytes); err != nil {
			return Inbound{}, err
		}
	}
	if in.WaID = strings.TrimSpace(form.Get("WaId")); in.WaID != "" && !digits(in.WaID, 5, 20) {
		return Inbound{}, invalid("WaId is not a WhatsApp ID (5 to 20 digits)")
	}
	if in.Media, err = media(form); err != nil {
		return Inbound{}, err
	}
	return in, nil
}

func media(form url.Values) ([]Media, error) {
	raw := strings.TrimSpace(form.Get("NumMedia"))
	if raw == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 || n > MaxMedia {
		return nil, invalid("NumMedia %s is not a number from 0 to %d", quoteShort(raw), MaxMedia)
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]Media, 0, n)
	for i := 0; i < n; i++ {
		uk, tk := "MediaUrl"+strconv.Itoa(i), "MediaContentType"+strconv.Itoa(i)
		u := strings.TrimSpace(form.Get(uk))
		if u == "" {
			return nil, invalid("NumMedia is %d but %s is missing", n, uk)
		}
		if len(u) > maxMediaURLLen {
			return nil, invalid("%s is longer than %d bytes", uk, maxMediaURLLen)
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" || pu.User != nil {
			return nil, invalid("%s is not an absolute http(s) URL", uk)
		}
		ct := strings.TrimSpace(form.Get(tk))
		if ct == "" {
			return nil, invalid("NumMedia is %d but %s is missing", n, tk)
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !strings.Contains(mt, "/") {
			return nil, invalid("%s %s is not a media type", tk, quoteShort(ct))
		}
		out = append(out, Media{URL: u, ContentType: mt})
	}
	return out, nil
}

// Status is a delivery update Twilio posts to the status callback of a message
// acuerdo sent.
type Status struct {
	MessageSid    string
	MessageStatus string // lower-case; KnownStatus says whether StatusRank can place it
	ErrorCode     int    // Twilio error code on failed/undelivered, 0 otherwise
	ErrorMessage  string // Twilio's description of ErrorCode; may be empty
	AccountSid    string
	To            string // E.164 when present and well formed, else empty
}

// ParseStatus reads Twilio's status-callback parameters. MessageSid and
// MessageStatus are required (SmsStatus, the legacy name, is accepted when
// MessageStatus is absent). A well-formed status StatusRank does not know is
// accepted (KnownStatus reports it): Twilio adds statuses, and retries a callback it
// got a 4xx for, so refusing one only multiplies it.
func ParseStatus(form url.Values) (Status, error) {
	var st Status
	var err error
	if st.MessageSid, err = sid(form, "MessageSid", true); err != nil {
		return Status{}, err
	}
	if st.AccountSid, err = sid(form, "AccountSid", false); err != nil {
		return Status{}, err
	}
	s := strings.ToLower(strings.TrimSpace(form.Get("MessageStatus")))
	if s == "" {
		s = strings.ToLower(strings.TrimSpace(form.Get("SmsStatus")))
	}
	if s == "" {
		return Status{}, invalid("MessageStatus is missing")
	}
	if !isStatusWord(s) {
		return Status{}, invalid("MessageStatus %s is not a Twilio message status", quoteShort(s))
	}
	st.MessageStatus = s
	if raw := strings.TrimSpace(form.Get("ErrorCode")); raw != "" {
		code, err := strconv.Atoi(raw)
		if err != nil || code < 0 || code > 999999 {
			return Status{}, invalid("ErrorCode %s is not a Twilio error code", quoteShort(raw))
		}
		st.ErrorCode = code
	}
	if st.ErrorMessage, err = text(form, "ErrorMessage", maxFieldBytes); err != nil {
		return Status{}, err
	}
	if to, err := E164(form.Get("To")); err == nil {
		st.To = to // informative only: the SID identifies the message
	}
	return st, nil
}

// isStatusWord reports whether s looks like a Twilio status: a short word of
// lower-case letters and underscores, safe to store and to use as a metric
// label.
func isStatusWord(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// KnownStatus reports whether StatusRank can place status.
func KnownStatus(status string) bool { return StatusRank(status) > 0 }

// Twilio message statuses beyond those the domain package names; the list is
// Twilio's published one (Message resource, "Message Status values").
const (
	statusScheduled          = "scheduled"
	statusAccepted           = "accepted"
	statusSending            = "sending"
	statusReceiving          = "receiving"
	statusCanceled           = "canceled"
	statusPartiallyDelivered = "partially_delivered"
)

// statusRanks orders Twilio's message statuses along a message's life. Callbacks
// arrive in any order (Twilio sends them concurrently), so the engine applies one
// only when its rank is higher than the stored status's. The terminal failures
// share the top rank: once a message failed, was undelivered or was canceled, no
// later callback moves it, and whichever of them arrived first stays.
var statusRanks = map[string]int{
	statusScheduled:            10,
	statusAccepted:             20,
	acuerdo.MessageQueued:      30,
	statusSending:              40,
	statusReceiving:            40, // inbound lane, kept comparable with outbound
	acuerdo.MessageSent:        50,
	statusPartiallyDelivered:   55, // some parts of a multi-part message arrived
	acuerdo.MessageReceived:    60,
	acuerdo.MessageDelivered:   60,
	acuerdo.MessageRead:        70,
	acuerdo.MessageUndelivered: 100,
	acuerdo.MessageFailed:      100,
	statusCanceled:             100,
}

// StatusRank returns the position of a Twilio message status in its life cycle:
// scheduled < accepted < queued < sending < sent < delivered < read < the terminal
// failed, undelivered and canceled (equal). Apply a callback only when
// StatusRank(new) > StatusRank(stored); then a late "sent" never undoes
// "delivered" and nothing undoes a failure. Unknown or empty statuses rank 0.
func StatusRank(status string) int {
	return statusRanks[status]
}

// sid reads an identifier. Twilio SIDs are two letters and 32 hex digits; the check
// is looser (letters and digits, bounded) so local fakes may use short IDs, while
// still keeping values safe to use as keys and in logs.
func sid(form url.Values, name string, required bool) (string, error) {
	v := strings.TrimSpace(form.Get(name))
	if v == "" {
		if required {
			return "", invalid("%s is missing", name)
		}
		return "", nil
	}
	if len(v) > 64 || !isAlnum(v) {
		return "", invalid("%s %s is not a Twilio SID", name, quoteShort(v))
	}
	return v, nil
}

// address reads a required "whatsapp:+E164" (or bare "+E164") parameter.
func address(form url.Values, name string) (string, error) {
	raw := form.Get(name)
	if strings.TrimSpace(raw) == "" {
		return "", invalid("%s is missing", name)
	}
	n, err := E164(raw)
	if err != nil {
		// The value is a phone number at best: do not echo it into logs.
		return "", invalid("%s is not a WhatsApp address like whatsapp:+<country code><number>", name)
	}
	return n, nil
}

// text reads free text, bounded in bytes, as valid UTF-8.
func text(form url.Values, name string, max int) (string, error) {
	v := form.Get(name)
	if len(v) > max {
		return "", invalid("%s is longer than %d bytes", name, max)
	}
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	return v, nil
}

func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
