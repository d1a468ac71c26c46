package whatsapp

import (
	"context"
	"strings"
	"time"

	twapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// findLimit bounds how many messages Find reads per query. Reconciliation asks
// about one recipient over a few minutes, where a handful of messages exist; the
// bound keeps a busy number from turning one lookup into a long crawl.
const findLimit = 100

// Find looks for a message this sender sent to `to` since `since` with exactly
// body, so that a send interrupted by a crash (the request may or may not have
// reached Twilio) is recorded instead of sent twice. It returns the message's SID
// and current status when found.
//
// It lists the account's messages (GET /2010-04-01/Accounts/{sid}/Messages.json)
// filtered by To, From and DateSent>since. A message Twilio has accepted but not
// yet handed to WhatsApp has no date_sent and escapes that filter, so when the
// filtered list has no match Find also reads the newest messages to the
// recipient without a date filter and keeps those created since `since`. Twilio
// rounds dates to the second, so `since` is rounded down to one too.
func (c *Client) Find(ctx context.Context, to, body string, since time.Time) (Sent, bool, error) {
	all, err := c.FindAll(ctx, to, body, since)
	if err != nil || len(all) == 0 {
		return Sent{}, false, err
	}
	return all[0], true, nil
}

// FindAll is Find returning every match, newest first. The same text can go to
// one debtor twice within minutes (two turns answered alike); a caller that
// knows which SIDs it already recorded picks the first it does not know, so an
// interrupted send is not mistaken for its identical predecessor.
func (c *Client) FindAll(ctx context.Context, to, body string, since time.Time) ([]Sent, error) {
	addr, err := Address(to)
	if err != nil {
		return nil, &SendError{Permanent: true, Message: "recipient is not an E.164 phone number", Err: err}
	}
	if c.sms {
		addr = strings.TrimPrefix(addr, "whatsapp:")
	}
	since = since.UTC().Truncate(time.Second)
	for _, dated := range []bool{true, false} {
		params := &twapi.ListMessageParams{}
		params.SetTo(addr)
		params.SetFrom(c.from)
		if dated {
			params.SetDateSentAfter(since)
		}
		params.SetPageSize(50)
		params.SetLimit(findLimit)
		if err := ctx.Err(); err != nil {
			return nil, &SendError{Message: "not listed", Err: err}
		}
		api, rt := c.apiService(ctx)
		msgs, err := api.ListMessage(params)
		if err != nil {
			return nil, c.sendError(ctx, rt, err)
		}
		if found := match(msgs, addr, body, since); len(found) > 0 {
			return found, nil
		}
	}
	return nil, nil
}

// match keeps the listed messages with the body, recipient and age wanted, in
// Twilio's order (newest first). The filters were also sent to Twilio; checking
// again here keeps a lenient or day-granular server filter from matching an
// older message.
func match(msgs []twapi.ApiV2010Message, to, body string, since time.Time) []Sent {
	var out []Sent
	want := strings.TrimSpace(body)
	for _, m := range msgs {
		if m.Sid == nil || *m.Sid == "" || m.Body == nil || strings.TrimSpace(*m.Body) != want {
			continue
		}
		if m.To != nil && *m.To != "" && !sameAddress(*m.To, to) {
			continue
		}
		if m.DateCreated != nil {
			if t, err := time.Parse(time.RFC1123Z, *m.DateCreated); err == nil && t.Before(since) {
				continue
			}
		}
		s := Sent{SID: *m.Sid}
		if m.Status != nil {
			s.Status = *m.Status
		}
		out = append(out, s)
	}
	return out
}

// sameAddress compares two WhatsApp addresses, with or without the prefix.
func sameAddress(a, b string) bool {
	x, err1 := E164(a)
	y, err2 := E164(b)
	return err1 == nil && err2 == nil && x == y
}
