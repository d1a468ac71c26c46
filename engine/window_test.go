package engine_test

import (
	"context"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/store"
)

// The service window is the configured one, not a fixed 24 hours, and a
// message that leaves outside it is business-initiated whoever queued it: an
// operator's reply three hours after the debtor wrote, with a 2-hour window
// and at 21:00 in Bogotá, is held for contact hours instead of going out as a
// template at night. (Issue 10, item 13.)
func TestOperatorReplyOutsideConfiguredWindow(t *testing.T) {
	r := newRig(t, false, func(c *engine.Config) { c.Policy.ServiceWindow = 2 * time.Hour })
	r.now.Store(time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC).UnixMicro()) // Tuesday 18:00 in Bogotá
	r.receive(t, "SM1", "hola")
	r.start()
	eventually(t, "the greeting", func() bool { return len(r.snd.sent()) == 2 })
	r.stop(t)
	r.advance(3 * time.Hour) // 21:00 in Bogotá; the 2-hour window closed an hour ago
	ctx := context.Background()
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	if err := r.db.Enqueue(ctx, conv.ID, []store.Outgoing{{Body: "Hola Ana, te escribe Marta del equipo", Author: acuerdo.AuthorOperator, Template: "reengage"}}); err != nil {
		t.Fatal(err)
	}
	r.start()
	defer r.stop(t)
	eventually(t, "held for contact hours", func() bool {
		a, _ := r.db.Audit(ctx, store.AuditFilter{})
		return len(a) > 0 && a[len(a)-1].Rule == "contact_hours"
	})
	r.snd.mu.Lock()
	n := len(r.snd.tmpls) + len(r.snd.texts)
	r.snd.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d messages sent; the operator's reply went out at night", n)
	}
	r.now.Store(time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC).UnixMicro()) // Wednesday 08:00
	eventually(t, "sent as a template in contact hours", func() bool { r.snd.mu.Lock(); defer r.snd.mu.Unlock(); return len(r.snd.tmpls) == 1 })
}
