// Package whatsapp is acuerdo's mouth and ears on WhatsApp through Twilio: it sends
// free-form replies and approved templates with twilio-go, verifies and parses the
// webhooks Twilio calls (inbound messages and status callbacks), downloads inbound
// media, and knows the 24-hour customer-service window.
//
// Every call here is one attempt. Retries, backoff and idempotency belong to the
// engine's outbox, which can see the whole picture (leases, rate limits, policy);
// this package only says, through IsPermanent, whether trying again can help.
package whatsapp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultAPIURL is Twilio's REST API base URL, used when Config.APIURL is empty.
const DefaultAPIURL = "https://api.twilio.com"

// Webhook paths acuerdo serves (DESIGN §3). They live here so that the status
// callback URL sent with every message and the route the web package mounts
// cannot drift apart.
const (
	InboundPath = "/webhooks/twilio/inbound"
	StatusPath  = "/webhooks/twilio/status"
)

// Window is WhatsApp's customer-service window: free-form messages are allowed only
// this long after the debtor's last inbound message; outside it only approved
// templates may be sent (Twilio answers 63016 otherwise).
const Window = 24 * time.Hour

// Config says how to reach Twilio. It is built in cmd (see ConfigFromEnv) and passed
// to New; nothing here reads the environment on its own.
type Config struct {
	AccountSID string // TWILIO_ACCOUNT_SID, "AC…"
	AuthToken  string // TWILIO_AUTH_TOKEN; also the key of webhook signatures
	From       string // TWILIO_WHATSAPP_FROM, e.g. "whatsapp:+14155238886"

	// APIURL is the base URL of Twilio's REST API (TWILIO_API_URL); tests point it
	// at a local fake. It may carry a path prefix. Empty means DefaultAPIURL.
	APIURL string

	// HTTPClient carries the requests; its Transport and Timeout are used, its
	// redirect policy is not (see Client). Nil means a client with a 15 s timeout.
	HTTPClient *http.Client

	// StatusCallback is the URL Twilio posts delivery statuses to for every message
	// sent; empty sends none.
	StatusCallback string

	// MessagingServiceSID ("MG…") is optional; when set it is sent along with From so
	// that Twilio applies the service's settings (some Content API features need it).
	MessagingServiceSID string
}

// ConfigFromEnv builds a Config from the variables of DESIGN §3, read through getenv
// (os.Getenv in cmd, a map in tests). The status callback is derived from
// ACUERDO_PUBLIC_URL so Twilio calls back the same host it delivers inbound
// messages to.
func ConfigFromEnv(getenv func(string) string) Config {
	cfg := Config{
		AccountSID: strings.TrimSpace(getenv("TWILIO_ACCOUNT_SID")),
		AuthToken:  strings.TrimSpace(getenv("TWILIO_AUTH_TOKEN")),
		From:       strings.TrimSpace(getenv("TWILIO_WHATSAPP_FROM")),
		APIURL:     strings.TrimSpace(getenv("TWILIO_API_URL")),
	}
	if pub := strings.TrimSpace(getenv("ACUERDO_PUBLIC_URL")); pub != "" {
		cfg.StatusCallback = strings.TrimRight(pub, "/") + StatusPath
	}
	return cfg
}

// Client sends WhatsApp messages and downloads media through one Twilio account.
// It is safe for concurrent use.
type Client struct {
	cfg  Config
	from string   // normalised "whatsapp:+E164" ("+E164" for SMS)
	sms  bool     // an SMS sender: recipients are plain numbers
	api  *url.URL // parsed APIURL
	http *http.Client
}

// New checks cfg and returns a Client. Errors say which setting is wrong, because
// they surface at start-up where an operator reads them.
func New(cfg Config) (*Client, error) {
	var problems []string
	if cfg.AccountSID == "" {
		problems = append(problems, "TWILIO_ACCOUNT_SID is empty")
	} else if !isAlnum(cfg.AccountSID) {
		// twilio-go refuses non-alphanumeric credentials on every call; say so now.
		problems = append(problems, "TWILIO_ACCOUNT_SID must be letters and digits (AC…)")
	}
	if cfg.AuthToken == "" {
		problems = append(problems, "TWILIO_AUTH_TOKEN is empty")
	} else if !isAlnum(cfg.AuthToken) {
		problems = append(problems, "TWILIO_AUTH_TOKEN must be letters and digits")
	}
	from, err := Address(cfg.From)
	if err != nil {
		problems = append(problems, fmt.Sprintf("TWILIO_WHATSAPP_FROM %q: %v (want e.g. whatsapp:+14155238886)", cfg.From, err))
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	api, err := url.Parse(strings.TrimRight(cfg.APIURL, "/"))
	if err != nil || (api.Scheme != "http" && api.Scheme != "https") || api.Host == "" || api.RawQuery != "" {
		problems = append(problems, fmt.Sprintf("TWILIO_API_URL %q must be an absolute http(s) URL without query, e.g. %s", cfg.APIURL, DefaultAPIURL))
	}
	if cfg.StatusCallback != "" {
		if u, err := url.Parse(cfg.StatusCallback); err != nil || !u.IsAbs() || u.Host == "" {
			problems = append(problems, fmt.Sprintf("status callback %q must be an absolute URL (check ACUERDO_PUBLIC_URL)", cfg.StatusCallback))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("whatsapp config: %s", strings.Join(problems, "; "))
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	return &Client{cfg: cfg, from: from, api: api, http: hc}, nil
}

// From returns the sender address messages go out from, "whatsapp:+E164".
func (c *Client) From() string { return c.from }

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// ErrInvalidAddress is returned (wrapped) for a phone number that is not E.164.
var ErrInvalidAddress = errors.New("not an E.164 phone number")

// Address normalises a phone number to Twilio's WhatsApp channel address
// "whatsapp:+E164". It accepts "+573001234567" or "whatsapp:+573001234567"; it does
// not guess country codes, which is the phone package's job before numbers get here.
func Address(phone string) (string, error) {
	n, err := E164(phone)
	if err != nil {
		return "", err
	}
	return "whatsapp:" + n, nil
}

// E164 strips the "whatsapp:" channel prefix and checks that what remains is an
// E.164 number ("+" and 7 to 15 digits, no leading zero).
func E164(addr string) (string, error) {
	n := strings.TrimSpace(addr)
	if len(n) >= len("whatsapp:") && strings.EqualFold(n[:len("whatsapp:")], "whatsapp:") {
		n = n[len("whatsapp:"):]
	}
	if !e164.MatchString(n) {
		return "", ErrInvalidAddress
	}
	return n, nil
}

// WindowOpen reports whether free-form text may be sent now: the debtor wrote within
// the last 24 hours. A nil lastInbound (never wrote) means closed. A lastInbound
// slightly in the future (clock skew between replicas) counts as open, since the
// message did arrive. Exactly 24 hours is closed: Twilio would refuse with 63016.
func WindowOpen(lastInbound *time.Time, now time.Time) bool {
	if lastInbound == nil || lastInbound.IsZero() {
		return false
	}
	return now.Sub(*lastInbound) < Window
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9') {
			return false
		}
	}
	return true
}
