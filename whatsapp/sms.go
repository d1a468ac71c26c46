package whatsapp

import (
	"fmt"
	"net/url"
	"strings"
)

// SMSPath is where Twilio posts inbound SMS (replies to an SMS first contact,
// STOP included): the same handling as WhatsApp, on the sms channel.
const SMSPath = "/webhooks/twilio/sms"

// NewSMS returns a Client that sends SMS through the same Twilio account:
// cfg.From is the SMS sender (TWILIO_SMS_FROM, "+E164"), and recipients are
// plain numbers rather than "whatsapp:" addresses. SMS has no templates:
// SendTemplate is not used on this channel (the engine renders the text).
func NewSMS(cfg Config) (*Client, error) {
	from, err := E164(cfg.From)
	if err != nil || strings.HasPrefix(strings.TrimSpace(cfg.From), "whatsapp:") {
		return nil, fmt.Errorf("sms config: TWILIO_SMS_FROM %q must be a phone number in E.164, e.g. +14155550100", cfg.From)
	}
	cfg.From = "whatsapp:" + from // New checks the rest of the settings
	c, err := New(cfg)
	if err != nil {
		return nil, fmt.Errorf("sms %w", err)
	}
	c.from, c.sms = from, true
	return c, nil
}

// SMS reports whether the client sends SMS.
func (c *Client) SMS() bool { return c.sms }

// WaMeLink is the click-to-chat link that opens a WhatsApp chat with the
// business number (whatsapp:+E164 or +E164) and text already typed, so the
// debtor only taps send: https://wa.me/<digits>?text=<text>.
func WaMeLink(business, text string) (string, error) {
	n, err := E164(business)
	if err != nil {
		return "", fmt.Errorf("wa.me link: %w", err)
	}
	link := "https://wa.me/" + strings.TrimPrefix(n, "+")
	if text != "" {
		// wa.me reads %20, not '+', as a space.
		link += "?text=" + strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
	}
	return link, nil
}
