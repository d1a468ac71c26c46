package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/importer"
	"acuerdo/store"
)

// TestRoundDecidesEachMessage: the facts a claimed round is decided on are
// read for the whole round at once, and each message is still decided on its
// own conversation's: in one claim, replies inside their windows go as free
// text (one to a number with no debtor), a reminder to a debtor with
// WhatsApp consent goes as a template, and reminders to a debtor who refused
// consent and to one who consented to SMS only are held under the consent
// rule.
func TestRoundDecidesEachMessage(t *testing.T) {
	r := newRig(t, false, nil)
	ctx := context.Background()
	tb, _ := importer.NewCSV(strings.NewReader("Credito,Numero,Nombre,Saldo,Cedula,Consentimiento\n" +
		"CR-2,3001230002,Beto Ruiz,100000,2,no\nCR-3,3001230003,Carla Gil,100000,3,si\nCR-4,3001230004,Dora Paz,100000,4,no\n"))
	if _, err := importer.Portfolio(ctx, r.db, tb, importer.Options{Country: "CO"}); err != nil {
		t.Fatal(err)
	}
	dora, err := r.db.DebtorByPhone(ctx, "+573001230004")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.RecordConsent(ctx, dora.ID, store.ConsentRecord{Channel: store.ConsentChannelSMS, Scope: store.ConsentScopeCollections, Source: "web_form", GrantedAt: r.clock()}); err != nil {
		t.Fatal(err)
	}
	conv := func(phone string) acuerdo.Conversation {
		c, err := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, phone)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	enqueue := func(c acuerdo.Conversation, out store.Outgoing) {
		if err := r.db.Enqueue(ctx, c.ID, []store.Outgoing{out}); err != nil {
			t.Fatal(err)
		}
	}
	now := r.clock()
	for _, phone := range []string{"+573001234567", "+573009990000"} { // Ana, and a number with no debtor
		c := conv(phone)
		c.LastInboundAt = &now
		if err := r.db.SaveConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		enqueue(c, store.Outgoing{Body: "respuesta " + phone})
	}
	reminder := func(name string) store.Outgoing {
		return store.Outgoing{Body: "recordatorio", Template: "promise_reminder", Business: true,
			Variables: map[string]string{"name": name, "amount": "$1", "date": "30/11/2026"}}
	}
	beto, carla, doraConv := conv("+573001230002"), conv("+573001230003"), conv("+573001230004")
	enqueue(beto, reminder("Beto"))
	enqueue(carla, reminder("Carla"))
	enqueue(doraConv, reminder("Dora"))

	r.start()
	defer r.stop(t)
	held := func() int {
		var n int
		if err := r.sqlRow(t, `SELECT COUNT(*) FROM outbox WHERE state = ? AND last_error LIKE 'consent%'`, store.OutboxHeld).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, "every message decided", func() bool {
		r.snd.mu.Lock()
		n := len(r.snd.texts) + len(r.snd.tmpls)
		r.snd.mu.Unlock()
		return n == 3 && held() == 2
	})
	texts := r.snd.sent()
	slices.Sort(texts)
	if want := []string{"+573001234567|respuesta +573001234567", "+573009990000|respuesta +573009990000"}; !slices.Equal(texts, want) {
		t.Errorf("free text sent: %q, want %q", texts, want)
	}
	r.snd.mu.Lock()
	tmpls := r.snd.tmpls
	r.snd.mu.Unlock()
	if len(tmpls) != 1 || tmpls[0].Name != "promise_reminder" || !strings.Contains(tmpls[0].Text, "Carla") {
		t.Errorf("templates sent: %+v, want Carla's reminder", tmpls)
	}
	for _, c := range []acuerdo.Conversation{beto, doraConv} {
		var state string
		if err := r.sqlRow(t, `SELECT state FROM outbox WHERE conversation_id = ?`, c.ID).Scan(&state); err != nil || state != store.OutboxHeld {
			t.Errorf("%s's reminder: %q, %v; want held", c.Phone, state, err)
		}
	}
}

// TestRoundGapRetries: messages the per-debtor gap holds back in one round
// are put back together, each until the gap after its own conversation's
// last send, and each goes out then.
func TestRoundGapRetries(t *testing.T) {
	const gap = 6 * time.Second
	r := newRig(t, false, func(c *engine.Config) { c.Policy.DebtorMinGap = gap })
	ctx := context.Background()
	t0 := r.clock()
	var convs []acuerdo.Conversation
	for _, phone := range []string{"+573001234567", "+573009990000"} {
		c, err := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, phone)
		if err != nil {
			t.Fatal(err)
		}
		c.LastInboundAt = &t0
		if err := r.db.SaveConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		convs = append(convs, c)
	}
	enqueue := func(c acuerdo.Conversation, body string) {
		t.Helper()
		if err := r.db.Enqueue(ctx, c.ID, []store.Outgoing{{Body: body}}); err != nil {
			t.Fatal(err)
		}
	}
	sent := func(n int) func() bool { return func() bool { return len(r.snd.sent()) == n } }
	// The first messages go 2 s apart.
	r.start()
	enqueue(convs[0], "a1")
	eventually(t, "a1", sent(1))
	r.advance(2 * time.Second)
	enqueue(convs[1], "b1")
	eventually(t, "b1", sent(2))
	r.stop(t)
	enqueue(convs[0], "a2")
	enqueue(convs[1], "b2")
	r.start()
	defer r.stop(t)
	due := func(c acuerdo.Conversation) (int64, string) {
		var nb int64
		var reason string
		if err := r.sqlRow(t, `SELECT not_before, last_error FROM outbox WHERE conversation_id = ? AND state = 'pending'`, c.ID).Scan(&nb, &reason); err != nil {
			return 0, err.Error()
		}
		return nb, reason
	}
	eventually(t, "both held by the gap", func() bool {
		_, a := due(convs[0])
		_, b := due(convs[1])
		return a == "per-debtor gap" && b == "per-debtor gap"
	})
	for i, want := range []time.Time{t0.Add(gap), t0.Add(2*time.Second + gap)} {
		if nb, _ := due(convs[i]); nb != want.UnixMicro() {
			t.Errorf("conversation %d due at %v, want %v", i, time.UnixMicro(nb).UTC(), want)
		}
	}
	r.advance(4 * time.Second) // t0+6s: a2's gap is over, b2's is not
	eventually(t, "a2", sent(3))
	time.Sleep(50 * time.Millisecond)
	if s := r.snd.sent(); len(s) != 3 || !strings.HasSuffix(s[2], "|a2") {
		t.Fatalf("sent %q; want a2 alone after its gap", s)
	}
	r.advance(2 * time.Second)
	eventually(t, "b2", sent(4))
}
