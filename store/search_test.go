package store_test

import (
	"context"
	"testing"

	"acuerdo"
	"acuerdo/store"
)

// Search ignores case on both backends (SQLite's LIKE does, PostgreSQL's not).
func TestSearchIgnoresCase(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	im, _ := db.BeginPortfolioImport(ctx)
	bal := acuerdo.Money{Amount: 100000, Currency: "COP"}
	_ = im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: "+573001234567", Name: "Ana Pérez"},
		Account: acuerdo.Account{Ref: "CR-Ab1", Balance: &bal, InstallmentAmount: acuerdo.Money{Currency: "COP"}}})
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	d, _ := db.DebtorByPhone(ctx, "+573001234567")
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, DebtorID: d.ID, Reason: acuerdo.ReasonDispute}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ana", "ANA PÉ", "cr-ab1", "Ana"} {
		if got, err := db.Cases(ctx, store.CaseFilter{Query: q}); err != nil || len(got) != 1 {
			t.Errorf("cases matching %q: %d, %v; want 1", q, len(got), err)
		}
		if got, n, err := db.Contacts(ctx, store.ContactFilter{Query: q, Since: clk.now().AddDate(0, 0, -1)}); err != nil || n != 1 || len(got) != 1 {
			if q != "cr-ab1" { // contacts are searched by phone and name only
				t.Errorf("contacts matching %q: %d, %v; want 1", q, n, err)
			}
		}
	}
}
