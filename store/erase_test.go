package store_test

import (
	"context"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/store"
)

func TestErase(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	im, _ := db.BeginPortfolioImport(ctx)
	yes := true
	bal := acuerdo.Money{Amount: 100000, Currency: "COP"}
	_ = im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: "+573001234567", Name: "Ana Pérez", DocumentID: "1020304050", Email: "ana@example.com", Country: "CO", Locale: "es"},
		Account: acuerdo.Account{Ref: "CR-1", Balance: &bal, InstallmentAmount: acuerdo.Money{Currency: "COP"}}, Consent: &yes})
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	if _, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: "SM1", Body: "soy Ana, mi cédula es 1020304050"}, []store.InboundMedia{{URL: "https://api.twilio.com/m/1", ContentType: "image/jpeg"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, Reason: acuerdo.ReasonHardship, Summary: "Ana perdió su trabajo"}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Count(ctx)

	out, err := db.Erase(ctx, "+573001234567", acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "erase", Outcome: acuerdo.Allowed, Rule: "data_subject_request"})
	if err != nil || out.Messages != 1 || out.Media != 1 || out.Cases != 1 || out.Conversations != 1 {
		t.Fatalf("Erase = %+v, %v", out, err)
	}
	after, _ := db.Count(ctx)
	if after.Debtors != before.Debtors || after.Accounts != before.Accounts || after.Consents != 0 {
		t.Fatalf("counts %+v -> %+v", before, after)
	}
	// Nothing personal is left anywhere in the database file's tables.
	raw, _ := store.OpenRaw(path)
	defer raw.Close()
	for _, q := range []string{
		`SELECT name || phone || document_id || email FROM debtors`,
		`SELECT body FROM messages`, `SELECT summary FROM cases`, `SELECT phone FROM conversations`, `SELECT url FROM media`,
		`SELECT args || detail FROM audit`,
	} {
		rows, err := raw.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			for _, secret := range []string{"Ana", "Pérez", "1020304050", "3001234567", "ana@example.com", "trabajo", "twilio"} {
				if strings.Contains(s, secret) {
					t.Errorf("%s still holds %q: %q", q, secret, s)
				}
			}
		}
		rows.Close()
	}
	if _, err := db.Erase(ctx, "+573001234567"); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
		t.Fatalf("second erase: %v", err)
	}
	if a, _ := db.Audit(ctx, store.AuditFilter{}); len(a) != 1 || a[0].Name != "erase" {
		t.Fatalf("audit %+v", a)
	}
}
