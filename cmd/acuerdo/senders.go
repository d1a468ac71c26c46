package main

import (
	"context"
	"strconv"
	"time"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/store"
	"acuerdo/whatsapp"
)

// twilioSender adapts *whatsapp.Client to the engine's Sender and Finder. The
// engine must not depend on whatsapp (DESIGN §2), and the two Sent types differ,
// so the adapter lives here where the wiring is.
type twilioSender struct {
	c *whatsapp.Client
	// known reports whether a provider id is already recorded, so Find does not
	// take an earlier, identical message for the interrupted one.
	known func(ctx context.Context, providerID string) (bool, error)
}

func (s twilioSender) SendText(ctx context.Context, to, body string) (engine.Sent, error) {
	sent, err := s.c.SendText(ctx, to, body)
	return engine.Sent{ID: sent.SID, Status: sent.Status}, err
}

// SendTemplate sends the approved template by ContentSid with its variables;
// the rendered text is for channels that render templates themselves and is
// never sent as Body (Twilio refuses that outside the window).
func (s twilioSender) SendTemplate(ctx context.Context, to string, t engine.Template) (engine.Sent, error) {
	sent, err := s.c.SendTemplate(ctx, to, t.ContentID, t.Variables)
	return engine.Sent{ID: sent.SID, Status: sent.Status}, err
}

// smsSender sends SMS: there are no approved templates on this channel, so
// the text the engine rendered goes as the body, within the same contact
// policy (consent on the sms channel, hours, caps) as any business message.
type smsSender struct{ twilioSender }

func (s smsSender) SendTemplate(ctx context.Context, to string, t engine.Template) (engine.Sent, error) {
	return s.SendText(ctx, to, t.Text)
}

func (twilioSender) Permanent(err error) bool { return whatsapp.IsPermanent(err) }

func (twilioSender) Ambiguous(err error) bool { return whatsapp.Ambiguous(err) }

func (twilioSender) RetryAfter(err error) time.Duration { return whatsapp.RetryAfter(err) }

func (twilioSender) Unsubscribed(err error) bool {
	return whatsapp.ErrorCode(err) == whatsapp.CodeUnsubscribed
}

func (twilioSender) Code(err error) string {
	if c := whatsapp.ErrorCode(err); c != 0 {
		return strconv.Itoa(c)
	}
	return ""
}

// Find returns the newest matching message Twilio has that acuerdo has not
// recorded yet: two turns may send one debtor the same words minutes apart,
// and matching the first again would both resend the second and clash with
// the first's id.
func (s twilioSender) Find(ctx context.Context, to, body string, since time.Time) (engine.Sent, bool, error) {
	all, err := s.c.FindAll(ctx, to, body, since)
	if err != nil {
		return engine.Sent{}, false, err
	}
	for _, m := range all {
		if s.known != nil {
			k, err := s.known(ctx, m.SID)
			if err != nil {
				return engine.Sent{}, false, err
			}
			if k {
				continue
			}
		}
		return engine.Sent{ID: m.SID, Status: m.Status}, true, nil
	}
	return engine.Sent{}, false, nil
}

// recorded adapts the store to twilioSender.known.
func recorded(db *store.DB) func(context.Context, string) (bool, error) {
	return func(ctx context.Context, id string) (bool, error) {
		_, _, err := db.MessageStatus(ctx, id)
		if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
			return false, nil
		}
		return err == nil, err
	}
}

var (
	_ engine.Sender     = twilioSender{}
	_ engine.Finder     = twilioSender{}
	_ engine.SendErrors = twilioSender{}
)
