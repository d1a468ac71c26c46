package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/policy"
)

// Under the shipped per-debtor gap (6 s) every message of a conversation goes
// out, each no sooner than the gap after the one before. Issue 10, item 1: the
// gap's read of the last send failed on every message after the first, which
// stayed pending for ever; tests that zeroed the gap never saw it.
func TestDefaultGapSendsEveryMessage(t *testing.T) {
	gap := policy.Default().DebtorMinGap
	if gap <= 0 {
		t.Fatal("the shipped policy has no per-debtor gap; this test is about it")
	}
	r := newRig(t, false, func(c *engine.Config) { c.Policy.DebtorMinGap = gap })
	r.receive(t, "SM1", "hola") // the greeting is two messages
	r.start()
	defer r.stop(t)
	eventually(t, "first message", func() bool { return len(r.snd.sent()) >= 1 })
	time.Sleep(100 * time.Millisecond) // many polls, no clock movement
	if n := len(r.snd.sent()); n != 1 {
		t.Fatalf("%d messages sent within the gap; want 1", n)
	}
	ctx := context.Background()
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	r.advance(gap)
	eventually(t, "second message after the gap", func() bool { return len(r.snd.sent()) >= 2 })

	// A later turn of the same conversation is paced from the last send too.
	r.receive(t, "SM2", "1020")
	eventually(t, "the next turn's reply queued", func() bool {
		var n int
		_ = r.sqlRow(t, `SELECT COUNT(*) FROM outbox WHERE conversation_id = ? AND state = 'pending'`, conv.ID).Scan(&n)
		return n > 0
	})
	time.Sleep(100 * time.Millisecond)
	if n := len(r.snd.sent()); n != 2 {
		t.Fatalf("%d messages sent within the gap; want 2", n)
	}
	for i := 0; i < 10 && r.pending(t, conv.ID) > 0; i++ {
		r.advance(gap)
		time.Sleep(50 * time.Millisecond)
	}
	eventually(t, "every message sent", func() bool { return r.pending(t, conv.ID) == 0 })
	var bad int
	_ = r.sqlRow(t, `SELECT COUNT(*) FROM outbox WHERE last_error LIKE '%Scan%' OR state <> 'sent'`).Scan(&bad)
	if bad != 0 {
		t.Fatalf("%d outbox rows not sent or failed to read", bad)
	}
	if s := r.snd.sent(); len(s) < 3 || !strings.HasPrefix(s[2], "+573001234567|") {
		t.Fatalf("sent %q", s)
	}
}
