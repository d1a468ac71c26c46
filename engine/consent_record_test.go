package engine_test

import (
	"context"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// TestConsentRecordsDecideContact: consent records as the creditor's API
// posts them (store.RecordConsent) are what the engine enforces before a
// business-initiated message: withdrawn, the message is held under the
// consent rule; given again later, the next one goes out.
func TestConsentRecordsDecideContact(t *testing.T) {
	r := newRig(t, false, nil)
	ctx := context.Background()
	ana, err := r.db.DebtorByPhone(ctx, "+573001234567")
	if err != nil {
		t.Fatal(err)
	}
	revoked := r.clock()
	if _, err := r.db.RecordConsent(ctx, ana.ID, store.ConsentRecord{Channel: "whatsapp", Scope: "collections", Source: "call_center", RevokedAt: &revoked}); err != nil {
		t.Fatal(err)
	}
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, ana.Phone)
	reminder := store.Outgoing{Body: "recordatorio", Template: "promise_reminder", Business: true,
		Variables: map[string]string{"name": "Ana", "amount": "$1", "date": "30/11/2026"}}
	if err := r.db.Enqueue(ctx, conv.ID, []store.Outgoing{reminder}); err != nil {
		t.Fatal(err)
	}
	r.start()
	defer r.stop(t)
	eventually(t, "held for consent", func() bool {
		a, _ := r.db.Audit(ctx, store.AuditFilter{})
		return len(a) > 0 && a[len(a)-1].Rule == "consent"
	})
	r.snd.mu.Lock()
	n := len(r.snd.tmpls) + len(r.snd.texts)
	r.snd.mu.Unlock()
	if n != 0 {
		t.Fatal("sent without consent")
	}
	r.advance(2 * time.Minute) // the debtor consents again, after withdrawing
	if _, err := r.db.RecordConsent(ctx, ana.ID, store.ConsentRecord{Channel: "whatsapp", Scope: "collections", Source: "web_form", GrantedAt: r.clock()}); err != nil {
		t.Fatal(err)
	}
	if err := r.db.Enqueue(ctx, conv.ID, []store.Outgoing{reminder}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sent once consent is given", func() bool { r.snd.mu.Lock(); defer r.snd.mu.Unlock(); return len(r.snd.tmpls) == 1 })
}
