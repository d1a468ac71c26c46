package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/store"
)

func (e *Engine) sendLoop(ctx context.Context) {
	lastReconcile := e.cfg.Clock()
	for ctx.Err() == nil {
		if e.cfg.Clock().Sub(lastReconcile) > e.cfg.StaleSend/2 {
			if err := e.reconcile(ctx); err != nil && ctx.Err() == nil {
				e.cfg.Logger.Error("reconcile", "err", err)
			}
			lastReconcile = e.cfg.Clock()
		}
		n := e.sendBatch(ctx)
		if n == 0 && !e.idle(ctx, e.outWake) {
			return
		}
	}
}

// drainOutbox sends what is due before shutdown, within ctx's deadline.
func (e *Engine) drainOutbox(ctx context.Context) {
	for ctx.Err() == nil && e.sendBatch(ctx) > 0 {
	}
}

// sendBatchSize is how many due messages one claim takes.
const sendBatchSize = 32

func (e *Engine) sendBatch(ctx context.Context) int {
	items, err := e.cfg.Store.ClaimOutbox(ctx, sendBatchSize, e.cfg.SendLease)
	if err != nil {
		if ctx.Err() == nil {
			e.cfg.Logger.Error("claim outbox", "err", err)
		}
		return 0
	}
	n := len(items)
	// A claim holds one message per conversation, so they may go out side by
	// side: a provider's latency then overlaps, and their records before and
	// after the provider's answer take one transaction each for the round,
	// not one per message. Messages to one number go in successive rounds.
	for len(items) > 0 {
		var round, later []store.OutboxItem
		seen := map[string]bool{}
		for _, it := range items {
			if seen[it.Recipient] {
				later = append(later, it)
				continue
			}
			seen[it.Recipient] = true
			round = append(round, it)
		}
		e.sendRound(ctx, round)
		items = later
	}
	return n
}

// sendJob is a message policy allowed to go now, and how.
type sendJob struct {
	it   store.OutboxItem
	snd  Sender
	conv acuerdo.Conversation
	tmpl *Template // instead of the free text, outside the window
	sent Sent
	err  error
	// A message that does not go now, recorded with the round's others
	// (one write for all, not one each): later, when not zero, is when it is
	// put back for (the per-debtor gap's end, or now at shutdown), for
	// the reason why; held is what policy holds it for.
	later    time.Time
	laterWhy string
	held     *store.Held
}

// sendRound delivers messages to distinct recipients side by side.
func (e *Engine) sendRound(ctx context.Context, items []store.OutboxItem) {
	now := e.cfg.Clock()
	facts, err := e.roundFacts(ctx, items, now)
	if err != nil {
		// Nothing was decided: the claim's lease runs out and they are claimed again.
		if ctx.Err() == nil {
			e.cfg.Logger.Error("deliver", "messages", len(items), "err", err)
		}
		return
	}
	// The messages are decided in turn: prepare reads nothing (roundFacts
	// did), writes only for a message with no sender and waits only for the
	// send rate's limiter, which lets one message through at a time anyway;
	// goroutines side by side would cost more in scheduling (about a
	// millisecond a round on a busy machine) than the decisions.
	var jobs []*sendJob
	var later []store.RetryAt
	var held []store.Held
	for _, it := range items {
		j, err := e.prepare(ctx, it, facts[it.ConversationID], now)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				e.cfg.Logger.Error("deliver", "outbox", it.ID, "err", err)
			}
		case j == nil:
		case !j.later.IsZero():
			later = append(later, store.RetryAt{ID: it.ID, NotBefore: j.later, Reason: j.laterWhy})
		case j.held != nil:
			held = append(held, *j.held)
		default:
			jobs = append(jobs, j)
		}
	}
	// One write each for the round's messages put back (under the default
	// gap, every turn's second reply) and held, not one a message; recorded
	// even if shutdown began. Not written, their leases run out and they are
	// claimed again.
	rec := context.WithoutCancel(ctx)
	if err := e.cfg.Store.RetryAll(rec, later); err != nil {
		e.cfg.Logger.Error("deliver", "messages", len(later), "err", err)
	}
	if err := e.cfg.Store.HoldAll(rec, held); err != nil {
		e.cfg.Logger.Error("hold", "messages", len(held), "err", err)
	}
	if len(jobs) == 0 {
		return
	}
	marks := make([]store.Sending, len(jobs))
	for i, j := range jobs {
		marks[i] = store.Sending{Item: j.it, Text: j.it.Body}
		if j.tmpl != nil {
			marks[i].Text = j.tmpl.Text
		}
	}
	// Recorded before any provider call: after a crash these are reconciled,
	// never blindly resent. Not recorded, nothing is sent; the claim's lease
	// runs out and they are claimed again.
	if err := e.cfg.Store.MarkSendingAll(ctx, marks); err != nil {
		if ctx.Err() == nil {
			e.cfg.Logger.Error("record sends", "messages", len(jobs), "err", err)
		}
		return
	}
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		if j.tmpl != nil {
			j.sent, j.err = j.snd.SendTemplate(ctx, j.it.Recipient, *j.tmpl)
		} else {
			j.sent, j.err = j.snd.SendText(ctx, j.it.Recipient, j.it.Body)
		}
	})
	// The provider's answers are recorded even if shutdown began meanwhile.
	var accepted []store.Accepted
	for _, j := range jobs {
		if j.err != nil {
			e.cfg.Metrics.outbound(j.it.Channel, "error")
			if err := e.sendFailed(rec, j.snd, j.it, j.conv, j.err); err != nil {
				e.cfg.Logger.Error("deliver", "outbox", j.it.ID, "err", err)
			}
			continue
		}
		e.cfg.Metrics.outbound(j.it.Channel, "sent")
		a := store.Accepted{Item: j.it, ProviderID: j.sent.ID, Status: j.sent.Status}
		if j.tmpl != nil {
			a.TemplateID = j.tmpl.ContentID
		}
		accepted = append(accepted, a)
	}
	if len(accepted) == 0 {
		return
	}
	codes, err := e.cfg.Store.MarkSentAll(rec, accepted, e.cfg.Rank)
	if err != nil {
		e.cfg.Logger.Error("record sent messages", "messages", len(accepted), "err", err)
	}
	for i, code := range codes {
		if code == "" {
			continue
		}
		if err := e.markUnreachable(rec, accepted[i].Item.ConversationID, code); err != nil {
			e.cfg.Logger.Error("deliver", "outbox", accepted[i].Item.ID, "err", err)
		}
	}
}

// parallel runs fn(0) … fn(n-1) side by side and waits for them.
func parallel(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	wg.Wait()
}

// sendFacts is what prepare decides one message on beside the message,
// read for a whole round by roundFacts.
type sendFacts struct {
	store.SendFacts
	// For a message the contact policy may apply to (business-initiated, or
	// outside the service window): the debtor's consent on the
	// conversation's channel (nil when none is recorded), when
	// business-initiated messages went to the conversation in the last 8 days,
	// and the debtor's arm and variant, whose send window applies too.
	consent *acuerdo.Consent
	sent    []time.Time
	variant store.ArmVariant
}

// roundFacts reads what prepare decides a round's messages on, with a few
// queries for the whole round rather than several a message: the
// conversations, their debtors and when each one's last message went, then,
// for those the contact policy may apply to, consents, recent
// business-initiated sends and the debtors' variants. A conversation that
// does not exist is missing from the map.
func (e *Engine) roundFacts(ctx context.Context, items []store.OutboxItem, now time.Time) (map[int64]*sendFacts, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ConversationID
	}
	fs, err := e.cfg.Store.SendFacts(ctx, ids, e.cfg.Policy.DebtorMinGap > 0)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*sendFacts, len(fs))
	var contact, debtors []int64
	for _, it := range items {
		f, ok := fs[it.ConversationID]
		if !ok {
			continue
		}
		out[it.ConversationID] = &sendFacts{SendFacts: f}
		if it.Business || !e.cfg.Policy.FreeFormAllowed(f.Conversation.LastInboundAt, now).Allowed {
			contact = append(contact, it.ConversationID)
			if f.Debtor.ID != 0 {
				debtors = append(debtors, f.Debtor.ID)
			}
		}
	}
	if len(contact) == 0 {
		return out, nil
	}
	sent, err := e.cfg.Store.BusinessSends(ctx, contact, now.AddDate(0, 0, -8))
	if err != nil {
		return nil, err
	}
	consents, err := e.cfg.Store.CollectionsConsents(ctx, debtors)
	if err != nil {
		return nil, err
	}
	variants, err := e.cfg.Store.DebtorVariants(ctx, debtors)
	if err != nil {
		return nil, err
	}
	for _, id := range contact {
		f := out[id]
		f.sent, f.variant = sent[id], variants[f.Debtor.ID]
		// An SMS needs the debtor's SMS consent; WhatsApp (and the sandbox,
		// which stands in for it) the WhatsApp one.
		channel := acuerdo.ChannelWhatsApp
		if f.Conversation.Channel == acuerdo.ChannelSMS {
			channel = acuerdo.ChannelSMS
		}
		for _, c := range consents[f.Debtor.ID] {
			if c.Channel == channel {
				f.consent = &c
			}
		}
	}
	return out, nil
}

// prepare decides whether a message may go now: the per-debtor gap, the
// contact policy for business-initiated messages, and the 24-hour window,
// which decides between free text and an approved template. A message that
// may not go now gets a job that says so (later, held), which sendRound
// records with the round's others; one without a sender is failed here, and
// prepare returns nil. f is what roundFacts read for its conversation (nil if
// there is none).
func (e *Engine) prepare(ctx context.Context, it store.OutboxItem, f *sendFacts, now time.Time) (*sendJob, error) {
	snd, ok := e.cfg.Senders[it.Channel]
	if !ok {
		return nil, e.cfg.Store.Fail(ctx, it, "", errNoSender.Error())
	}
	if f == nil {
		return nil, acuerdo.Errorf(acuerdo.ENOTFOUND, "no conversation %d", it.ConversationID)
	}
	conv, debtor := f.Conversation, f.Debtor
	if conv.DebtorID != 0 && debtor.ID == 0 {
		return nil, acuerdo.Errorf(acuerdo.ENOTFOUND, "no debtor %d", conv.DebtorID)
	}
	if gap := e.cfg.Policy.DebtorMinGap; gap > 0 && it.Channel == acuerdo.ChannelWhatsApp {
		last := f.LastSentAt
		if !last.IsZero() && now.Sub(last) < gap {
			return &sendJob{it: it, later: last.Add(gap), laterWhy: "per-debtor gap"}, nil
		}
	}
	open := e.cfg.Policy.FreeFormAllowed(conv.LastInboundAt, now)
	// Outside the service window a message is business-initiated whatever
	// queued it (an operator's late reply, a payment's thank-you): the contact
	// policy applies to the template that goes instead.
	if it.Business || !open.Allowed {
		d, until := e.contactAllowed(conv, debtor, f, now)
		if !d.Allowed {
			return e.hold(it, d, until), nil
		}
		if debtor.ID != 0 {
			if d, until := variantWindow(f.variant.Variant, f.variant.Arm, debtor, now); !d.Allowed {
				return e.hold(it, d, until), nil
			}
		}
	}
	j := &sendJob{it: it, snd: snd, conv: conv}
	if !open.Allowed || it.Body == "" {
		t, ok := e.template(it, conv, debtor)
		if !ok {
			return e.hold(it, policy.Decision{Rule: open.Rule, Reason: "outside the 24-hour window and no approved template is configured for " + it.Template + "/" + locale(conv, debtor)}, time.Time{}), nil
		}
		j.tmpl = &t
	}
	if err := e.limiter.Wait(ctx); err != nil {
		return &sendJob{it: it, later: now, laterWhy: "shutting down"}, nil
	}
	return j, nil
}

// markSent records an accepted send. A status callback that beat the send's
// answer (Twilio's can) is applied then, and an error code it carried counts
// as it would have in order: an unreachable number is marked so.
func (e *Engine) markSent(ctx context.Context, it store.OutboxItem, providerID, status, templateID string) error {
	code, err := e.cfg.Store.MarkSent(ctx, it, providerID, status, templateID, e.cfg.Rank)
	if err != nil || code == "" {
		return err
	}
	return e.markUnreachable(ctx, it.ConversationID, code)
}

// sendFailed records a failed send. A permanent failure ends the message (and
// an unsubscribed recipient is opted out); a send the provider may have
// accepted stays "sending", to be reconciled with the provider's message list
// before anything is resent (a debtor once got one payment link five times);
// any other failure is retried after the backoff or, if later, the wait the
// provider asked for.
func (e *Engine) sendFailed(ctx context.Context, snd Sender, it store.OutboxItem, conv acuerdo.Conversation, err error) error {
	info, _ := snd.(SendErrors)
	if snd.Permanent(err) {
		if info != nil && info.Unsubscribed(err) && !conv.OptedOut {
			e.cfg.Logger.Info("the recipient unsubscribed at the provider; recording the opt-out", "conversation", conv.ID)
			if oerr := e.cfg.Store.OptOut(ctx, conv.ID, conv.DebtorID, acuerdo.AuditEntry{Time: e.cfg.Clock(), ConversationID: conv.ID,
				Kind: acuerdo.AuditContact, Name: "opt_out", Outcome: acuerdo.Allowed, Rule: "provider_unsubscribed", Detail: snd.Code(err)}); oerr != nil {
				return oerr
			}
		}
		if err := e.cfg.Store.Fail(ctx, it, snd.Code(err), err.Error()); err != nil {
			return err
		}
		return e.markUnreachable(ctx, it.ConversationID, snd.Code(err))
	}
	if info != nil && info.Ambiguous(err) {
		e.cfg.Logger.Warn("send outcome unknown; it will be reconciled with the provider before any resend", "outbox", it.ID, "err", err)
		return e.cfg.Store.SendUnknown(ctx, it, err.Error())
	}
	wait := backoff(it.Attempts)
	if info != nil {
		wait = max(wait, info.RetryAfter(err))
	}
	return e.cfg.Store.Retry(ctx, it.ID, e.cfg.Clock().Add(wait), err.Error())
}

// hold is the job of a message policy holds (until zero: until the situation
// changes); sendRound records it with the round's other holds.
func (e *Engine) hold(it store.OutboxItem, d policy.Decision, until time.Time) *sendJob {
	e.cfg.Metrics.held(d.Rule)
	entry := acuerdo.AuditEntry{Time: e.cfg.Clock(), ConversationID: it.ConversationID, Kind: acuerdo.AuditContact, Name: "send",
		Outcome: acuerdo.Refused, Rule: d.Rule, Detail: d.Reason}
	return &sendJob{it: it, held: &store.Held{Item: it, Reason: d.Rule + ": " + d.Reason, Until: until, Audit: []acuerdo.AuditEntry{entry}}}
}

// contactAllowed applies consent, opt-out, hours and frequency to a
// business-initiated message; until is when to try again, zero for never.
func (e *Engine) contactAllowed(conv acuerdo.Conversation, d acuerdo.Debtor, f *sendFacts, now time.Time) (policy.Decision, time.Time) {
	ct := policy.Contact{Country: d.Country, TimeZone: d.TimeZone, OptedOut: conv.OptedOut, LastInbound: conv.LastInboundAt, Unreachable: d.Unreachable,
		Sent: f.sent}
	if d.ID != 0 {
		ct.Consent = f.consent
	}
	dec := e.cfg.Policy.BusinessInitiated(ct, now)
	var until time.Time
	switch dec.Rule {
	case policy.RuleContactHours:
		until = e.cfg.Policy.NextContactTime(d.Country, d.TimeZone, now)
	case policy.RuleFrequencyCap:
		until = now.Add(24 * time.Hour)
	}
	return dec, until
}

// template picks the approved template for a message that cannot go as free
// text, in the debtor's language, if one is configured for the channel.
func (e *Engine) template(it store.OutboxItem, conv acuerdo.Conversation, d acuerdo.Debtor) (Template, bool) {
	name := it.Template
	if name == "" {
		name = "reengage"
	}
	t, ok := prompts.LookupTemplate(name)
	if !ok {
		return Template{}, false
	}
	loc := locale(conv, d)
	vars := map[string]string{"name": firstName(d.Name), "creditor": e.cfg.Policy.CreditorName}
	for k, v := range it.Variables {
		vars[k] = v
	}
	out := Template{Name: name, Locale: loc, Text: t.Render(loc, vars), Variables: t.Positional(vars)}
	if it.Channel == acuerdo.ChannelWhatsApp {
		id, ok := e.cfg.Templates[name+"/"+loc]
		if !ok {
			return Template{}, false
		}
		out.ContentID = id
	}
	return out, true
}

// reconcile settles messages left in the sending state by a crash: a message the
// provider has is marked sent; one it never received goes back to the queue.
// Without a way to ask the provider, it is marked failed for a person to check,
// rather than risk sending a debtor the same message twice.
//
// Only sends older than StaleSend are looked at: a younger one may still be in
// flight in this or another replica. A provider that cannot be asked now leaves
// the row for the next pass; it is never guessed at.
func (e *Engine) reconcile(ctx context.Context) error {
	items, err := e.cfg.Store.Sending(ctx, e.cfg.Clock().Add(-e.cfg.StaleSend))
	if err != nil {
		return err
	}
	for _, it := range items {
		snd := e.cfg.Senders[it.Channel]
		f, ok := snd.(Finder)
		if !ok {
			if err := e.cfg.Store.Fail(ctx, it, "", "send interrupted by a restart and cannot be confirmed"); err != nil {
				return err
			}
			continue
		}
		since := it.CreatedAt
		if it.SendingAt != nil {
			since = it.SendingAt.Add(-time.Minute)
		}
		sent, found, err := f.Find(ctx, it.Recipient, it.Body, since)
		if err != nil {
			e.cfg.Logger.Warn("cannot reconcile an interrupted send yet", "outbox", it.ID, "err", err)
			continue
		}
		if found {
			err = e.markSent(ctx, it, sent.ID, sent.Status, "")
		} else {
			err = e.cfg.Store.Retry(ctx, it.ID, e.cfg.Clock(), "not received by the provider before a restart")
		}
		if err != nil {
			return err
		}
		e.cfg.Logger.Info("reconciled an interrupted send", "outbox", it.ID, "found", found)
	}
	return nil
}

// backoff grows exponentially from 2 s to 5 minutes.
func backoff(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

func locale(conv acuerdo.Conversation, d acuerdo.Debtor) string {
	if conv.Locale != "" {
		return prompts.Locale(conv.Locale)
	}
	return prompts.Locale(d.Locale)
}

func firstName(s string) string {
	for i, r := range s {
		if r == ' ' {
			return s[:i]
		}
	}
	return s
}

// RuleVariantWindow is the hold reason of a business-initiated message outside
// the send window its pilot arm sets.
const RuleVariantWindow = "variant_window"

// variantWindow applies a pilot arm's send window (in the debtor's local
// time) on top of the contact policy, which has already allowed the send:
// outside it the message waits for the window's next opening.
func variantWindow(v acuerdo.Variant, arm string, d acuerdo.Debtor, now time.Time) (policy.Decision, time.Time) {
	loc := time.UTC
	if l, err := time.LoadLocation(d.TimeZone); err == nil && d.TimeZone != "" {
		loc = l
	}
	lt := now.In(loc)
	if v.InWindow(lt.Hour()) {
		return policy.Decision{Allowed: true}, time.Time{}
	}
	next := time.Date(lt.Year(), lt.Month(), lt.Day(), v.WindowStart, 0, 0, 0, loc)
	if !next.After(lt) {
		next = next.AddDate(0, 0, 1)
	}
	return policy.Decision{Rule: RuleVariantWindow, Reason: fmt.Sprintf("arm %s sends between %02d:00 and %02d:00 in %s; %s is outside",
		arm, v.WindowStart, v.WindowEnd, loc, lt.Format("15:04"))}, next.UTC()
}
