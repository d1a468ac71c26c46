package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/engine"
	"acuerdo/store"
)

func TestInboundGetsReplyInOrder(t *testing.T) {
	r := newRig(t, false, nil)
	// Two messages before any worker runs fold into one turn.
	if !r.receive(t, "SMa", "hola") || !r.receive(t, "SMb", "necesito ayuda") {
		t.Fatal("first deliveries not created")
	}
	if r.receive(t, "SMa", "hola") {
		t.Fatal("a duplicate delivery was stored again")
	}
	r.start()
	defer r.stop(t)
	eventually(t, "greeting sent", func() bool { return len(r.snd.sent()) >= 2 })
	sent := r.snd.sent()
	if !strings.Contains(sent[0], "Acuerdo Demo") || !strings.Contains(sent[0], "Hola Ana") || !strings.Contains(sent[1], "4 dígitos") {
		t.Fatalf("replies out of order or wrong: %q", sent)
	}
	for _, s := range sent {
		if !strings.HasPrefix(s, "+573001234567|") {
			t.Fatalf("sent to the wrong number: %q", s)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(r.snd.sent()); n != 2 {
		t.Fatalf("%d messages sent for one folded turn; want 2", n)
	}
	conv, _ := r.db.Conversation(context.Background(), acuerdo.ChannelWhatsApp, "+573001234567")
	msgs, _ := r.db.Messages(context.Background(), conv.ID, 0)
	in := 0
	for _, m := range msgs {
		if m.Direction == acuerdo.Inbound {
			in++
		}
		if m.Direction == acuerdo.Outbound && (m.Status != acuerdo.MessageQueued || m.ProviderID == "") {
			t.Fatalf("outbound message not recorded as sent: %+v", m)
		}
	}
	if in != 2 {
		t.Fatalf("%d inbound messages stored; want 2", in)
	}
}

// Outside the 24-hour window a reply goes out as an approved template, with the
// configured content id and positional variables.
func TestOutsideWindowUsesTemplate(t *testing.T) {
	r := newRig(t, false, nil)
	r.receive(t, "SM1", "hola")
	r.start()
	eventually(t, "first reply", func() bool { return len(r.snd.sent()) >= 2 })
	r.stop(t)
	r.advance(25 * time.Hour)
	conv, _ := r.db.Conversation(context.Background(), acuerdo.ChannelWhatsApp, "+573001234567")
	if err := r.db.Enqueue(context.Background(), conv.ID, []store.Outgoing{{Body: "Un operador responde tarde", Author: acuerdo.AuthorOperator, Template: "reengage"}}); err != nil {
		t.Fatal(err)
	}
	r.start()
	defer r.stop(t)
	eventually(t, "template sent", func() bool { r.snd.mu.Lock(); defer r.snd.mu.Unlock(); return len(r.snd.tmpls) == 1 })
	tp := r.snd.tmpls[0]
	if tp.ContentID != "HX0001" || tp.Variables["1"] != "Ana" || tp.Variables["2"] != "Acuerdo Demo" {
		t.Fatalf("template %+v", tp)
	}
	if n := len(r.snd.sent()); n != 2 {
		t.Fatalf("free text sent outside the window: %d", n)
	}
}

// Without an approved template for the debtor's language, the message is held
// and the audit says why; when the debtor writes, it is released.
func TestHeldWithoutTemplate(t *testing.T) {
	r := newRig(t, false, func(c *engine.Config) { c.Templates = nil })
	conv, _ := r.db.Conversation(context.Background(), acuerdo.ChannelWhatsApp, "+573001234567")
	if err := r.db.Enqueue(context.Background(), conv.ID, []store.Outgoing{{Body: "hola", Template: "reengage"}}); err != nil {
		t.Fatal(err)
	}
	r.start()
	defer r.stop(t)
	eventually(t, "hold audited", func() bool {
		a, _ := r.db.Audit(context.Background(), store.AuditFilter{})
		return len(a) > 0 && a[len(a)-1].Kind == acuerdo.AuditContact && a[len(a)-1].Rule == "service_window"
	})
	if len(r.snd.sent()) != 0 {
		t.Fatal("a held message was sent")
	}
}

// A permanent provider error fails the message at once; a transient one is
// retried later.
func TestPermanentErrorNotRetried(t *testing.T) {
	r := newRig(t, false, nil)
	r.snd.fail = func(n int) error { return errPermanent }
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	conv, _ := r.db.Conversation(context.Background(), acuerdo.ChannelWhatsApp, "+573001234567")
	eventually(t, "failures recorded", func() bool {
		msgs, _ := r.db.Messages(context.Background(), conv.ID, 0)
		failed := 0
		for _, m := range msgs {
			if m.Status == acuerdo.MessageFailed && m.ErrorCode == "63016" {
				failed++
			}
		}
		return failed == 2
	})
	time.Sleep(30 * time.Millisecond)
	r.snd.mu.Lock()
	defer r.snd.mu.Unlock()
	if r.snd.n != 2 {
		t.Fatalf("%d send attempts for 2 messages; a permanent error was retried", r.snd.n)
	}
}

func TestTransientErrorRetriedWithBackoff(t *testing.T) {
	r := newRig(t, false, nil)
	r.snd.fail = func(n int) error {
		if n == 1 {
			return context.DeadlineExceeded
		}
		return nil
	}
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	eventually(t, "first attempt", func() bool { r.snd.mu.Lock(); defer r.snd.mu.Unlock(); return r.snd.n >= 1 })
	time.Sleep(30 * time.Millisecond)
	if len(r.snd.sent()) != 0 {
		t.Fatal("the messages after a failed one went out before it")
	}
	r.advance(3 * time.Second) // past the first backoff
	eventually(t, "retried and sent in order", func() bool { return len(r.snd.sent()) == 2 })
	if !strings.Contains(r.snd.sent()[0], "Acuerdo Demo") {
		t.Fatalf("order after retry: %q", r.snd.sent())
	}
}

// Status callbacks in any order end in the furthest state.
func TestStatusesAnyOrder(t *testing.T) {
	r := newRig(t, true, nil)
	defer r.stop(t)
	r.receive(t, "SM1", "hola")
	eventually(t, "sent", func() bool { return len(r.snd.sent()) == 2 })
	ctx := context.Background()
	for _, s := range []string{"read", "sent", "delivered", "queued"} {
		if err := r.eng.Status(ctx, "SMout1", s, ""); err != nil {
			t.Fatal(err)
		}
	}
	if st, _, _ := r.db.MessageStatus(ctx, "SMout1"); st != "read" {
		t.Fatalf("status %s; want read", st)
	}
	if err := r.eng.Status(ctx, "SMout2", "undelivered", "63024"); err != nil {
		t.Fatal(err)
	}
	if st, code, _ := r.db.MessageStatus(ctx, "SMout2"); st != "undelivered" || code != "63024" {
		t.Fatalf("status %s %s", st, code)
	}
	// A callback for a message whose send has not been recorded yet is kept and
	// applied when it is.
	if err := r.eng.Status(ctx, "SMlater", "delivered", ""); err != nil {
		t.Fatal(err)
	}
}

// A turn whose worker died is claimed again when its lease runs out.
func TestExpiredLeaseResumes(t *testing.T) {
	r := newRig(t, false, nil)
	r.receive(t, "SM1", "hola")
	claims, err := r.db.ClaimTurns(context.Background(), 1, time.Minute) // a worker claims it and dies
	if err != nil || len(claims) != 1 || claims[0].Attempts != 1 {
		t.Fatalf("claim %v %v", claims, err)
	}
	r.start()
	defer r.stop(t)
	time.Sleep(50 * time.Millisecond)
	if len(r.snd.sent()) != 0 {
		t.Fatal("a leased turn ran twice")
	}
	r.advance(2 * time.Minute)
	eventually(t, "turn resumed", func() bool { return len(r.snd.sent()) == 2 })
}

// After a crash between "sending" and the provider's answer, a message the
// provider has is marked sent, not resent; one it lacks is sent.
func TestReconcileAfterCrash(t *testing.T) {
	r := newRig(t, false, nil)
	ctx := context.Background()
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	_ = r.db.Enqueue(ctx, conv.ID, []store.Outgoing{{Body: "uno"}, {Body: "dos"}})
	// The first message was handed to the provider when the process died.
	items, _ := r.db.ClaimOutbox(ctx, 10, time.Minute)
	if len(items) != 1 {
		t.Fatalf("claimed %d; only the oldest of a conversation may be claimed", len(items))
	}
	if err := r.db.MarkSending(ctx, items[0], ""); err != nil {
		t.Fatal(err)
	}
	r.snd.found["uno"] = true
	r.advance(2 * time.Minute)
	r.start()
	defer r.stop(t)
	// The debtor never wrote, so the window is closed: "dos" goes as a template.
	eventually(t, "second sent", func() bool { r.snd.mu.Lock(); defer r.snd.mu.Unlock(); return len(r.snd.tmpls) == 1 })
	time.Sleep(30 * time.Millisecond)
	if n := len(r.snd.sent()); n != 0 || r.snd.finds != 1 {
		t.Fatalf("%d free-text sends, %d finds; the reconciled message went out again", n, r.snd.finds)
	}
	if st, _, _ := r.db.MessageStatus(ctx, "SMfound"); st != "sent" {
		t.Fatalf("reconciled status %q", st)
	}
}

// Business-initiated messages wait for contact hours.
func TestBusinessMessageWaitsForHours(t *testing.T) {
	r := newRig(t, false, nil)
	r.now.Store(time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC).UnixMicro()) // a Sunday
	ctx := context.Background()
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	_ = r.db.Enqueue(ctx, conv.ID, []store.Outgoing{{Body: "recordatorio", Template: "promise_reminder", Business: true,
		Variables: map[string]string{"name": "Ana", "amount": "$1", "date": "30/11/2026"}}})
	r.start()
	defer r.stop(t)
	eventually(t, "held for hours", func() bool {
		a, _ := r.db.Audit(ctx, store.AuditFilter{})
		return len(a) > 0 && a[len(a)-1].Rule == "contact_hours"
	})
	r.snd.mu.Lock()
	n := len(r.snd.tmpls) + len(r.snd.texts)
	r.snd.mu.Unlock()
	if n != 0 {
		t.Fatal("sent on a Sunday")
	}
	r.now.Store(time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC).UnixMicro()) // Monday 08:00 Bogotá
	eventually(t, "sent on Monday", func() bool { r.snd.mu.Lock(); defer r.snd.mu.Unlock(); return len(r.snd.tmpls) == 1 })
}

// A debtor who goes quiet mid-flow gets one nudge, then a polite close.
func TestNudges(t *testing.T) {
	r := newRig(t, true, nil)
	defer r.stop(t)
	r.receive(t, "SM1", "hola")
	eventually(t, "greeting", func() bool { return len(r.snd.sent()) == 2 })
	r.advance(6 * time.Minute)
	eventually(t, "nudge", func() bool { return len(r.snd.sent()) == 3 })
	if s := r.snd.sent()[2]; !strings.Contains(s, "¿Sigues ahí?") {
		t.Fatalf("nudge %q", s)
	}
	r.advance(6 * time.Minute)
	// The close comes with the satisfaction question, inside the window.
	eventually(t, "close and survey", func() bool { return len(r.snd.sent()) == 5 })
	if s := r.snd.sent()[4]; !strings.Contains(s, "del 1 (mala) al 5") {
		t.Fatalf("survey %q", s)
	}
	r.advance(6 * time.Minute)
	time.Sleep(50 * time.Millisecond)
	if n := len(r.snd.sent()); n != 5 {
		t.Fatalf("%d messages after closing; want 5", n)
	}
	r.receive(t, "SM2", "4")
	eventually(t, "thanks", func() bool { return len(r.snd.sent()) == 6 })
	ratings, err := r.db.Ratings(context.Background(), time.Time{})
	if err != nil || len(ratings) != 1 || ratings[0].Rating != 4 || ratings[0].DebtorID == 0 {
		t.Fatalf("ratings %+v %v", ratings, err)
	}
	// A later "4" is a menu answer again, not a second rating.
	r.advance(time.Minute)
	r.receive(t, "SM3", "4")
	time.Sleep(100 * time.Millisecond)
	if ratings, _ := r.db.Ratings(context.Background(), time.Time{}); len(ratings) != 1 {
		t.Fatalf("a second rating was stored: %+v", ratings)
	}
}

// failingAgent fails every turn, like a bug on one conversation's data would.
type failingAgent struct{ calls *int32 }

func (f failingAgent) Turn(context.Context, int64, agent.Inbound) (agent.Result, error) {
	atomic.AddInt32(f.calls, 1)
	return agent.Result{}, errors.New("boom")
}

// A turn that keeps failing is retried with backoff, then answered with the safe
// reply and handed to a person, instead of being retried for ever.
func TestFailingTurnHandedOver(t *testing.T) {
	var calls int32
	r := newRig(t, false, func(c *engine.Config) { c.Agent = failingAgent{&calls} })
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	for i := 1; i < 5; i++ {
		n := int32(i)
		eventually(t, fmt.Sprintf("attempt %d", i), func() bool { return atomic.LoadInt32(&calls) >= n })
		r.advance(time.Minute) // past the attempt's backoff
	}
	eventually(t, "safe reply", func() bool { return len(r.snd.sent()) == 1 })
	if s := r.snd.sent()[0]; !strings.Contains(s, "una persona de nuestro equipo") {
		t.Fatalf("reply %q", s)
	}
	if got := atomic.LoadInt32(&calls); got != 5 {
		t.Fatalf("%d attempts; want 5", got)
	}
	ctx := context.Background()
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	if cases, _ := r.db.OpenCases(ctx, conv.ID); len(cases) != 1 || !conv.Paused {
		t.Fatalf("cases %+v, paused %v", cases, conv.Paused)
	}
	if n, _ := r.db.PendingTurns(ctx); n != 0 {
		t.Fatalf("%d turns still pending", n)
	}
	a, _ := r.db.Audit(ctx, store.AuditFilter{})
	if len(a) == 0 || a[len(a)-1].Rule != "turn_retries_exhausted" {
		t.Fatalf("audit %+v", a)
	}
}
