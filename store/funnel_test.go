package store_test

import (
	"context"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
)

func TestExperimentFunnel(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	phones := seedPilot(t, db, 10)
	spec := store.NewExperiment{Name: "f", Salt: "s", Treatment: 0.5, HorizonDays: 90, Filters: filters(t, "CURRENCY=COP")}
	if _, err := db.CreateExperiment(ctx, spec, alternate); err != nil {
		t.Fatal(err)
	}
	// Debtor 2 (treatment) goes all the way; debtor 4 (treatment) is only reached;
	// debtor 1 (control) wrote on their own and was verified.
	conv := func(id int64) acuerdo.Conversation {
		c, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phones[id])
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c2, c4, c1 := conv(2), conv(4), conv(1)
	for _, c := range []acuerdo.Conversation{c2, c4} {
		if err := db.Enqueue(ctx, c.ID, []store.Outgoing{{Body: "hola"}}); err != nil {
			t.Fatal(err)
		}
		items, _ := db.ClaimOutbox(ctx, 1, time.Minute)
		_ = db.MarkSending(ctx, items[0], "")
		_, _ = db.MarkSent(ctx, items[0], "SM-"+c.Phone, "queued", "", func(s string) int { return map[string]int{"queued": 1, "delivered": 3}[s] })
		if _, err := db.ApplyStatus(ctx, "SM-"+c.Phone, "delivered", "", func(s string) int { return map[string]int{"queued": 1, "delivered": 3}[s] }); err != nil {
			t.Fatal(err)
		}
	}
	verified := acuerdo.AuditEntry{Kind: acuerdo.AuditTool, Name: "verify_identity", Outcome: acuerdo.Allowed, Rule: "identity_verified"}
	v2, v1 := verified, verified
	v2.ConversationID, v1.ConversationID = c2.ID, c1.ID
	if err := db.AppendAudit(ctx, v2, v1, acuerdo.AuditEntry{ConversationID: c2.ID, Kind: acuerdo.AuditTool, Name: "opt_out", Outcome: acuerdo.Allowed, Rule: "opt_out"}); err != nil {
		t.Fatal(err)
	}
	acct, _ := db.AccountByRef(ctx, "A-2")
	if _, err := db.CreatePromise(ctx, acuerdo.Promise{AccountID: acct.ID, ConversationID: c2.ID, Amount: acuerdo.Money{Amount: 500, Currency: "COP"}, DueDate: acuerdo.Date{Year: 2026, Month: 12, Day: 1}}); err != nil {
		t.Fatal(err)
	}
	pi, _ := db.BeginPaymentImport(ctx, "import")
	_ = pi.Add(acuerdo.Payment{AccountID: acct.ID, Amount: acuerdo.Money{Amount: 500, Currency: "COP"}, PaidAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), ExternalID: "p1"})
	if _, err := pi.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: c2.ID, DebtorID: 2, Reason: acuerdo.ReasonHardship}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: c4.ID, DebtorID: 4, Reason: acuerdo.ReasonPaymentReport}); err != nil {
		t.Fatal(err) // a payment report is not an escalation
	}
	raw, _ := store.OpenRaw(path)
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE cases SET useful = TRUE WHERE reason = 'hardship'`); err != nil {
		t.Fatal(err)
	}
	c2.DebtorID = 2
	if err := db.RecordSatisfaction(ctx, c2, 4); err != nil {
		t.Fatal(err)
	}

	f, err := db.ExperimentFunnel(ctx, "f", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 2 || f[0].Arm != acuerdo.ArmControl || f[1].Arm != acuerdo.ArmTreatment {
		t.Fatalf("funnel arms %+v", f)
	}
	ctl, trt := f[0], f[1]
	if ctl.Assigned != 5 || ctl.Reached != 0 || ctl.Verified != 1 || ctl.Promised != 0 {
		t.Fatalf("control funnel %+v", ctl)
	}
	want := store.Funnel{Arm: "treatment", Assigned: 5, Reached: 2, Verified: 1, Promised: 1, Kept: 1, OptedOut: 1, Escalated: 1, Useful: 1, Judged: 1, Rated: 1, RatingMean: 4}
	if trt != want {
		t.Fatalf("treatment funnel\n got %+v\nwant %+v", trt, want)
	}
	if _, err := db.ExperimentFunnel(ctx, "nope", time.Now()); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
		t.Fatalf("unknown experiment: %v", err)
	}
}
