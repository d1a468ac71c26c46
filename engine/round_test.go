package engine_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"acuerdo"
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
