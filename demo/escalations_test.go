package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/demo"
	"acuerdo/store"
)

func TestSeedEscalations(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "d.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	if _, err := demo.Seed(ctx, db, demo.New(1, now, true), 40); err != nil {
		t.Fatal(err)
	}
	n, err := demo.SeedEscalations(ctx, db, now)
	if err != nil || n != 3 {
		t.Fatalf("seeded %d escalations (%v), want 3", n, err)
	}
	cases, err := db.Cases(ctx, store.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]int64{}
	for _, c := range cases {
		reasons[c.Reason] = c.ID
		conv, err := db.ConversationByID(ctx, c.ConversationID)
		if err != nil || !conv.Paused || conv.Channel != acuerdo.ChannelSandbox {
			t.Errorf("case %d: conversation %+v (%v), want paused on the sandbox", c.ID, conv, err)
		}
	}
	for _, r := range []string{acuerdo.ReasonPaymentReport, acuerdo.ReasonHardship, acuerdo.ReasonDebtorRequest} {
		if reasons[r] == 0 {
			t.Errorf("no %s case", r)
		}
	}
	media, err := db.CaseMedia(ctx, reasons[acuerdo.ReasonPaymentReport])
	if err != nil || len(media) != 1 || media[0].ContentType != "application/pdf" {
		t.Fatalf("receipt: %+v %v", media, err)
	}
}
