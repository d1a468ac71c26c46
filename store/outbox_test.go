package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

// TestOutboxBatches checks the sender's batched statements against what
// they replace: SendFacts, BusinessSends and CollectionsConsents read for
// many conversations what ConversationByID, DebtorByID and ConsentOn read for
// one, and a claimed batch's lease, sending and sent records land on every
// row (and only there) with each one's own values. Batches of 7 exercise the
// padding of the statements' lists (to 8).
func TestOutboxBatches(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	now := db.Now().UTC()
	phones := seedPilot(t, db, 6) // debtors 1–7; 5 has no consent
	if _, err := db.RecordConsent(ctx, 2, store.ConsentRecord{Channel: store.ConsentChannelSMS, Scope: store.ConsentScopeCollections, Source: "web_form",
		GrantedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var convs []acuerdo.Conversation
	for id := int64(1); id <= 6; id++ {
		c, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phones[id])
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, c)
	}
	stranger, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573009999999") // no debtor
	if err != nil {
		t.Fatal(err)
	}
	convs = append(convs, stranger)
	ids := make([]int64, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
		// Odd conversations' messages are business-initiated.
		if err := db.Enqueue(ctx, c.ID, []store.Outgoing{{Body: fmt.Sprintf("hola %d", i), Business: i%2 == 1}}); err != nil {
			t.Fatal(err)
		}
	}

	// The facts, against the one-row reads.
	const missing = 1 << 40
	facts, err := db.SendFacts(ctx, append(ids, missing), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != len(convs) {
		t.Fatalf("%d conversations' facts, want %d", len(facts), len(convs))
	}
	for _, c := range convs {
		f := facts[c.ID]
		want, err := db.ConversationByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f.Conversation, want) {
			t.Errorf("conversation %d: %+v, want %+v", c.ID, f.Conversation, want)
		}
		var wantDebtor acuerdo.Debtor
		if c.DebtorID != 0 {
			if wantDebtor, err = db.DebtorByID(ctx, c.DebtorID); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(f.Debtor, wantDebtor) {
			t.Errorf("conversation %d's debtor: %+v, want %+v", c.ID, f.Debtor, wantDebtor)
		}
		if !f.LastSentAt.IsZero() {
			t.Errorf("conversation %d: last sent %v before anything was sent", c.ID, f.LastSentAt)
		}
	}
	if stranger.DebtorID != 0 || facts[stranger.ID].Debtor.ID != 0 {
		t.Errorf("a conversation without a debtor got debtor %d", facts[stranger.ID].Debtor.ID)
	}

	// The claim leases every row it returns, once.
	items, err := db.ClaimOutbox(ctx, 10, time.Minute)
	if err != nil || len(items) != len(convs) {
		t.Fatalf("claimed %d of %d: %v", len(items), len(convs), err)
	}
	if n := count(t, path, `SELECT COUNT(*) FROM outbox WHERE attempts = 1 AND lease_until IS NOT NULL`); n != len(convs) {
		t.Errorf("%d rows leased once, want %d", n, len(convs))
	}
	if again, err := db.ClaimOutbox(ctx, 10, time.Minute); err != nil || len(again) != 0 {
		t.Errorf("claimed %d leased rows again: %v", len(again), err)
	}

	// Two go as templates: their outbox and message rows get the template's text.
	ss := make([]store.Sending, len(items))
	for i, it := range items {
		ss[i] = store.Sending{Item: it}
		if i == 1 || i == 4 {
			ss[i].Text = "plantilla " + it.Body
		}
	}
	if err := db.MarkSendingAll(ctx, ss); err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		want := it.Body
		if ss[i].Text != "" {
			want = ss[i].Text
		}
		if n := count(t, path, `SELECT COUNT(*) FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.id = ? AND o.state = ? AND o.body = ? AND m.body = ?`,
			it.ID, store.OutboxSending, want, want); n != 1 {
			t.Errorf("item %d: not sending with body %q", i, want)
		}
	}
	facts, err = db.SendFacts(ctx, ids, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		if !facts[c.ID].LastSentAt.Equal(now.Truncate(time.Microsecond)) {
			t.Errorf("conversation %d: last sent %v, want %v", c.ID, facts[c.ID].LastSentAt, now)
		}
	}
	if facts, err := db.SendFacts(ctx, ids, false); err != nil || !facts[ids[0]].LastSentAt.IsZero() {
		t.Errorf("last sent read when not asked for: %v, %v", facts[ids[0]].LastSentAt, err)
	}

	// Each acceptance lands on its own rows; an early callback's code comes back
	// at its place. One has no provider id, one went as a template, one has no status.
	rank := func(s string) int {
		return map[string]int{acuerdo.MessageQueued: 1, acuerdo.MessageSent: 2, acuerdo.MessageDelivered: 3, acuerdo.MessageFailed: 4}[s]
	}
	if _, err := db.ApplyStatus(ctx, "SMbatch3", acuerdo.MessageFailed, "63024", rank); err != nil {
		t.Fatal(err)
	}
	as := make([]store.Accepted, len(items))
	for i, it := range items {
		as[i] = store.Accepted{Item: it, ProviderID: fmt.Sprintf("SMbatch%d", i), Status: acuerdo.MessageSent}
	}
	as[0].ProviderID = ""
	as[1].TemplateID = "HX0001"
	as[2].Status = ""
	codes, err := db.MarkSentAll(ctx, as, rank)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "", "", "63024", "", "", ""}; !reflect.DeepEqual(codes, want) {
		t.Errorf("early codes %q, want %q", codes, want)
	}
	if n := count(t, path, `SELECT COUNT(*) FROM early_statuses`); n != 0 {
		t.Errorf("%d early statuses left", n)
	}
	for i, a := range as {
		status := a.Status
		switch i {
		case 2:
			status = acuerdo.MessageQueued
		case 3:
			status = acuerdo.MessageFailed // the early callback, further along
		}
		q := `SELECT COUNT(*) FROM outbox o JOIN messages m ON m.id = o.message_id
			WHERE o.id = ? AND o.state = ? AND o.lease_until IS NULL AND o.provider_id = ? AND COALESCE(m.provider_id, '') = ? AND m.template_id = ? AND m.status = ?`
		args := []any{a.Item.ID, store.OutboxSent, a.ProviderID, a.ProviderID, a.TemplateID, status}
		if n := count(t, path, q, args...); n != 1 {
			t.Errorf("acceptance %d (%+v) not recorded as sent", i, a)
		}
	}

	// Business sends: the odd conversations', since a time before now only.
	sends, err := db.BusinessSends(ctx, ids, now.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range convs {
		if want := i % 2; len(sends[c.ID]) != want {
			t.Errorf("conversation %d: %d business sends, want %d", i, len(sends[c.ID]), want)
		}
	}
	if later, err := db.BusinessSends(ctx, ids, now.Add(time.Minute)); err != nil || len(later) != 0 {
		t.Errorf("business sends after now: %v, %v", later, err)
	}

	// Consents, against ConsentOn on both channels.
	debtors := []int64{1, 2, 3, 4, 5, 6, 7, missing}
	consents, err := db.CollectionsConsents(ctx, debtors)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range debtors {
		for _, ch := range []string{acuerdo.ChannelWhatsApp, acuerdo.ChannelSMS} {
			var got *acuerdo.Consent
			for _, c := range consents[d] {
				if c.Channel == ch {
					got = &c
				}
			}
			want, err := db.ConsentOn(ctx, d, ch)
			if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
				if got != nil {
					t.Errorf("debtor %d %s: consent %+v, ConsentOn found none", d, ch, *got)
				}
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			if got == nil || !reflect.DeepEqual(*got, want) {
				t.Errorf("debtor %d %s: consent %+v, want %+v", d, ch, got, want)
			}
		}
	}
	if len(consents[2]) != 2 || len(consents[5]) != 0 && consents[5][0].Active() {
		t.Errorf("debtor 2 has %d consents (want WhatsApp and SMS); debtor 5's: %+v", len(consents[2]), consents[5])
	}
}

// TestRetryAll: each message a round puts back waits for its own time and
// keeps its own reason; a message not among them keeps its lease.
func TestRetryAll(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	db, path := storetest.Open(t, store.Options{Clock: clk.now})
	ctx := context.Background()
	for i := range 3 {
		c, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, fmt.Sprintf("+5730055%05d", i))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, c.ID, []store.Outgoing{{Body: "hola"}}); err != nil {
			t.Fatal(err)
		}
	}
	items, err := db.ClaimOutbox(ctx, 10, 10*time.Minute)
	if err != nil || len(items) != 3 {
		t.Fatalf("claimed %d: %v", len(items), err)
	}
	start := clk.now()
	if err := db.RetryAll(ctx, []store.RetryAt{{items[0].ID, start.Add(time.Minute), "gap a"}, {items[1].ID, start.Add(2 * time.Minute), "gap b"}}); err != nil {
		t.Fatal(err)
	}
	for i, reason := range []string{"gap a", "gap b"} {
		if n := count(t, path, `SELECT COUNT(*) FROM outbox WHERE id = ? AND state = ? AND lease_until IS NULL AND last_error = ?`, items[i].ID, store.OutboxPending, reason); n != 1 {
			t.Errorf("item %d not put back with %q", i, reason)
		}
	}
	claim := func() []int64 {
		t.Helper()
		got, err := db.ClaimOutbox(ctx, 10, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, it := range got {
			ids = append(ids, it.ID)
		}
		return ids
	}
	if ids := claim(); len(ids) != 0 {
		t.Errorf("claimed %v before any was due (the third is still leased)", ids)
	}
	clk.add(time.Minute)
	if ids := claim(); !reflect.DeepEqual(ids, []int64{items[0].ID}) {
		t.Errorf("a minute later claimed %v, want only %d", ids, items[0].ID)
	}
	clk.add(time.Minute)
	if ids := claim(); !reflect.DeepEqual(ids, []int64{items[1].ID}) {
		t.Errorf("two minutes later claimed %v, want only %d", ids, items[1].ID)
	}
}

// TestHoldAll: of a round's holds, one until a time goes back to the queue
// for then, one until the situation changes stays held; each keeps its
// reason, and its audit line is written with it.
func TestHoldAll(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	db, path := storetest.Open(t, store.Options{Clock: clk.now})
	ctx := context.Background()
	var convs []int64
	for i := range 2 {
		c, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, fmt.Sprintf("+5730066%05d", i))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, c.ID, []store.Outgoing{{Body: "recordatorio", Business: true}}); err != nil {
			t.Fatal(err)
		}
		convs = append(convs, c.ID)
	}
	items, err := db.ClaimOutbox(ctx, 10, 10*time.Minute)
	if err != nil || len(items) != 2 {
		t.Fatalf("claimed %d: %v", len(items), err)
	}
	audit := func(i int, rule string) []acuerdo.AuditEntry {
		return []acuerdo.AuditEntry{{Time: clk.now(), ConversationID: items[i].ConversationID, Kind: acuerdo.AuditContact, Name: "send", Outcome: acuerdo.Refused, Rule: rule}}
	}
	if err := db.HoldAll(ctx, []store.Held{
		{Item: items[0], Reason: "contact_hours: at night", Until: clk.now().Add(time.Hour), Audit: audit(0, "contact_hours")},
		{Item: items[1], Reason: "consent: none recorded", Audit: audit(1, "consent")},
	}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ state, reason string }{{store.OutboxPending, "contact_hours: at night"}, {store.OutboxHeld, "consent: none recorded"}} {
		if n := count(t, path, `SELECT COUNT(*) FROM outbox WHERE id = ? AND state = ? AND lease_until IS NULL AND last_error = ?`, items[i].ID, want.state, want.reason); n != 1 {
			t.Errorf("item %d not %s with %q", i, want.state, want.reason)
		}
	}
	entries, err := db.Audit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[int64]string{}
	for _, e := range entries {
		rules[e.ConversationID] = e.Rule
	}
	if rules[convs[0]] != "contact_hours" || rules[convs[1]] != "consent" {
		t.Errorf("audit rules by conversation %v", rules)
	}
	clk.add(time.Hour)
	got, err := db.ClaimOutbox(ctx, 10, time.Minute)
	if err != nil || len(got) != 1 || got[0].ID != items[0].ID {
		t.Errorf("an hour later claimed %+v, %v; want only the one held until then", got, err)
	}
}
