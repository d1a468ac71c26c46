package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// TestEventsWithChanges: each change writes its event in its own
// transaction, with the debtor and account it is about; an erasure removes
// the phone number from events still to be sent.
func TestEventsWithChanges(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	im, _ := db.BeginPortfolioImport(ctx)
	bal := acuerdo.Money{Amount: 100000, Currency: "COP"}
	_ = im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: "+573001234567", Name: "Ana", Country: "CO"}, Account: acuerdo.Account{Ref: "CR-1", Balance: &bal, InstallmentAmount: acuerdo.Money{Currency: "COP"}}})
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	a, _ := db.AccountByRef(ctx, "CR-1")
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	if _, err := db.CreatePromise(ctx, acuerdo.Promise{AccountID: a.ID, ConversationID: conv.ID, Amount: acuerdo.Money{Amount: 5000, Currency: "COP"}, DueDate: acuerdo.Date{Year: 2026, Month: 3, Day: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, Reason: acuerdo.ReasonDispute}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordPaymentLink(ctx, a.ID, conv.ID, acuerdo.Money{Amount: 5000, Currency: "COP"}, "total", "https://pay.example/x?ref=CR-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.OptOut(ctx, conv.ID, conv.DebtorID); err != nil {
		t.Fatal(err)
	}
	pi, _ := db.BeginPaymentImport(ctx, "import")
	_ = pi.Add(acuerdo.Payment{AccountID: a.ID, Amount: acuerdo.Money{Amount: 100, Currency: "COP"}, PaidAt: time.Now(), ExternalID: "F-1"})
	if _, err := pi.Commit(); err != nil {
		t.Fatal(err)
	}
	evs, err := db.EventDeliveries(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
		if e.DebtorID != conv.DebtorID || e.State != store.EventPending {
			t.Errorf("event %+v: want debtor %d, pending", e, conv.DebtorID)
		}
	}
	// Newest first; a payment from a file emits nothing; an opt-out also
	// tells the creditor the number is no longer to be contacted.
	if got := strings.Join(types, " "); got != "contact.unreachable debtor.opted_out payment_link.sent case.opened promise.created" {
		t.Fatalf("events %s", got)
	}
	p, _ := db.EventPayload(ctx, evs[4].EventID)
	for _, want := range []string{`"account_ref":"CR-1"`, `"amount":"50.00"`, `"phone":"+573001234567"`, `"type":"promise.created"`} {
		if !strings.Contains(string(p), want) {
			t.Errorf("promise event %s lacks %s", p, want)
		}
	}
	if _, err := db.Erase(ctx, "+573001234567"); err != nil {
		t.Fatal(err)
	}
	raw, _ := store.OpenRaw(path)
	defer raw.Close()
	rows, err := raw.Query(`SELECT payload FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		n++
		if strings.Contains(s, "3001234567") || strings.Contains(s, "pay.example") {
			t.Errorf("erased debtor's event still holds personal data: %s", s)
		}
	}
	if n != 5 {
		t.Errorf("%d events after erase, want 5 (they stay, anonymised)", n)
	}
}

// TestCaseClosedEvent: the helper for code that closes cases reports the
// state and verdict the transaction wrote.
func TestCaseClosedEvent(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	c, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, Reason: acuerdo.ReasonHardship})
	if err != nil {
		t.Fatal(err)
	}
	// The store's own storage of times, so the event reads back as it would.
	raw, _ := store.OpenRaw(path)
	defer raw.Close()
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET state = ?, useful = TRUE WHERE id = ?`, acuerdo.CaseResolved, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := store.CaseClosedEvent(ctx, tx, c.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	evs, _ := db.EventDeliveries(ctx, store.EventFilter{})
	if len(evs) != 2 || evs[0].Type != store.EventCaseClosed {
		t.Fatalf("events %+v", evs)
	}
	p, _ := db.EventPayload(ctx, evs[0].EventID)
	for _, want := range []string{`"state":"RESUELTO"`, `"useful":true`, `"reason":"hardship"`, `"phone":"+573001234567"`} {
		if !strings.Contains(string(p), want) {
			t.Errorf("case.closed %s lacks %s", p, want)
		}
	}
}
