package store_test

import (
	"context"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

func TestMediaQueueAndReceipts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	db, _ := storetest.Open(t, store.Options{Clock: func() time.Time { return now }})
	receive := func(phone, sid string, urls ...string) int64 {
		var media []store.InboundMedia
		for _, u := range urls {
			media = append(media, store.InboundMedia{URL: u, ContentType: "image/jpeg"})
		}
		conv, created, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, phone, acuerdo.Message{ProviderID: sid, CreatedAt: now}, media)
		if err != nil || !created {
			t.Fatalf("receive %s: %v %v", sid, created, err)
		}
		return conv
	}
	a := receive("+573001234567", "SM1", "https://api.example/m1", "https://api.example/m2")
	b := receive("+573001234568", "SM2", "https://api.example/m3")

	pending, err := db.PendingMedia(ctx, 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending = %d %v, want 3", len(pending), err)
	}
	if err := db.SaveMediaData(ctx, pending[0].ID, []byte("jpeg bytes"), "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := db.MediaUnavailable(ctx, pending[1], "twilio: HTTP 404 (permanent)"); err != nil {
		t.Fatal(err)
	}
	if pending, _ = db.PendingMedia(ctx, 10); len(pending) != 1 || pending[0].URL != "https://api.example/m3" {
		t.Fatalf("pending after saving two = %+v", pending)
	}
	audit, err := db.Audit(ctx, store.AuditFilter{})
	if err != nil || len(audit) != 1 || audit[0].Rule != "media_unavailable" || audit[0].ConversationID != a {
		t.Errorf("audit = %+v %v, want the unavailable media", audit, err)
	}

	// The report opens an hour after the receipts: they attach to it; b's
	// media has no report and stays loose.
	now = now.Add(time.Hour)
	cs, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: a, Reason: acuerdo.ReasonPaymentReport, State: acuerdo.CaseIncomplete})
	if err != nil {
		t.Fatal(err)
	}
	// Another debtor's report waits for a receipt that never comes.
	other, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234569")
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: other.ID, Reason: acuerdo.ReasonPaymentReport, State: acuerdo.CaseIncomplete})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.AttachReceipts(ctx, now.Add(-48*time.Hour)); err != nil || n != 2 {
		t.Fatalf("attached %d %v, want 2", n, err)
	}
	// With its receipts the report is complete: a person can verify it now.
	if open, _ := db.OpenCases(ctx, a); len(open) != 1 || open[0].State != acuerdo.CaseComplete {
		t.Fatalf("a's report %+v, want COMPLETO once its receipts are attached", open)
	}
	got, err := db.CaseMedia(ctx, cs.ID)
	if err != nil || len(got) != 2 || string(got[0].Data) != "jpeg bytes" || got[0].ContentType != "image/png" || got[0].Pending || got[0].Unavailable || !got[1].Unavailable {
		t.Fatalf("case media = %+v %v", got, err)
	}
	if open, _ := db.OpenCases(ctx, other.ID); len(open) != 1 || open[0].ID != waiting.ID || open[0].State != acuerdo.CaseIncomplete {
		t.Fatalf("the report without a receipt: %+v, want it still INCOMPLETO", open)
	}
	// A photo two days later is not this report's receipt; a second sweep
	// changes nothing.
	now = now.Add(48 * time.Hour)
	receive("+573001234567", "SM3", "https://api.example/m4")
	if n, err := db.AttachReceipts(ctx, now.Add(-72*time.Hour)); err != nil || n != 0 {
		t.Fatalf("second sweep attached %d %v, want 0", n, err)
	}
	// Unless the agent attaches it by URL.
	if n, err := db.AttachMediaToCase(ctx, cs.ID, []string{"https://api.example/m4", "https://api.example/m3"}); err != nil || n != 1 {
		t.Fatalf("AttachMediaToCase = %d %v, want 1 (m3 is another conversation's)", n, err)
	}
	_ = b
}
