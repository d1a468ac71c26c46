package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// contenders is how many callers race for the same row. On PostgreSQL they
// run side by side (each statement on its own pooled connection), which is
// where a read-then-write without a row lock lets more than one through; on
// SQLite the single writer queues them, and the answer must be the same.
const contenders = 8

// race runs f from contenders goroutines released together and returns how
// many succeeded and the errors of the others.
func race(t *testing.T, f func(i int) error) (won int, lost []error) {
	t.Helper()
	start := make(chan struct{})
	errs := make([]error, contenders)
	var wg sync.WaitGroup
	for i := range contenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			lost = append(lost, err)
		}
	}
	return won, lost
}

// onlyConflicts fails unless every loser was told ECONFLICT (not an internal
// error: a deadlock or a serialization failure would be a bug too).
func onlyConflicts(t *testing.T, what string, lost []error) {
	t.Helper()
	for _, err := range lost {
		if acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
			t.Errorf("%s: a loser got %v, want ECONFLICT", what, err)
		}
	}
}

// TestReadThenWriteRaces: the transactions that decide on what they read
// (accepting a plan, claiming a case, a date change or pause under the
// once-per-period rules, asking the satisfaction question, reminding a
// promise) let exactly one of many simultaneous callers through, on both
// backends.
func TestReadThenWriteRaces(t *testing.T) {
	db, path, convID := paySetup(t)
	ctx := context.Background()
	acct, err := db.AccountByRef(ctx, "CR-1")
	if err != nil {
		t.Fatal(err)
	}
	cop := func(a int64) acuerdo.Money { return acuerdo.Money{Amount: a, Currency: "COP"} }

	t.Run("accept plan", func(t *testing.T) {
		plan, err := db.OfferPlan(ctx, acuerdo.Plan{AccountID: acct.ID, ConversationID: convID, Total: cop(300000), Installments: []acuerdo.Installment{
			{Seq: 1, DueDate: acuerdo.Date{Year: 2026, Month: 12, Day: 1}, Amount: cop(150000)},
			{Seq: 2, DueDate: acuerdo.Date{Year: 2027, Month: 1, Day: 1}, Amount: cop(150000)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		won, lost := race(t, func(int) error { _, err := db.AcceptPlan(ctx, plan.ID); return err })
		if won != 1 {
			t.Fatalf("%d accepts of one plan succeeded, want 1 (%v)", won, lost)
		}
		onlyConflicts(t, "accept", lost)
		if n := count(t, path, `SELECT COUNT(*) FROM installments WHERE plan_id = ?`, plan.ID); n != 2 {
			t.Errorf("%d installments scheduled, want 2", n)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM events WHERE type = ?`, store.EventPlanAccepted); n != 2 { // paySetup's plan and this one
			t.Errorf("%d plan.accepted events, want 2", n)
		}
	})

	t.Run("claim case", func(t *testing.T) {
		c, _ := caseFixture(t, db, "+573005550001", acuerdo.ReasonDispute)
		var users []store.User
		for i := range contenders {
			users = append(users, mustUser(t, db, fmt.Sprintf("op%d@example.com", i), store.RoleOperator))
		}
		won, lost := race(t, func(i int) error { return db.ClaimCase(ctx, c.ID, users[i].ID, false) })
		if won != 1 {
			t.Fatalf("%d claims of one case succeeded, want 1 (%v)", won, lost)
		}
		onlyConflicts(t, "claim", lost)
	})

	t.Run("date change once", func(t *testing.T) {
		// Every caller decided on the same fact: no date change yet.
		won, lost := race(t, func(i int) error {
			return db.ChangeDueDate(ctx, acct.ID, convID, acuerdo.Date{Year: 2026, Month: 12, Day: 10 + i}, nil)
		})
		if won != 1 {
			t.Fatalf("%d date changes passed a once-per-period check, want 1 (%v)", won, lost)
		}
		onlyConflicts(t, "date change", lost)
		if n := count(t, path, `SELECT COUNT(*) FROM negotiations WHERE account_id = ? AND kind = ?`, acct.ID, acuerdo.NegotiationDateChange); n != 1 {
			t.Errorf("%d date changes recorded, want 1", n)
		}
		// Deciding again on the fact as it now is goes through.
		last, err := db.LastNegotiation(ctx, acct.ID, acuerdo.NegotiationDateChange)
		if err != nil || last == nil {
			t.Fatalf("last date change %v, %v", last, err)
		}
		if err := db.ChangeDueDate(ctx, acct.ID, convID, acuerdo.Date{Year: 2026, Month: 12, Day: 28}, last); err != nil {
			t.Fatalf("a change decided on the latest fact: %v", err)
		}
	})

	t.Run("pause once", func(t *testing.T) {
		won, lost := race(t, func(i int) error {
			return db.PauseAccount(ctx, acct.ID, convID, acuerdo.Date{Year: 2026, Month: 12, Day: 10 + i}, nil)
		})
		if won != 1 {
			t.Fatalf("%d pauses passed a once-per-period check, want 1 (%v)", won, lost)
		}
		onlyConflicts(t, "pause", lost)
	})

	t.Run("survey asked once", func(t *testing.T) {
		won, lost := race(t, func(int) error { return db.CloseConversation(ctx, convID, "adiós", "¿Del 1 al 5?") })
		if won != contenders {
			t.Fatalf("closing: %d succeeded, errors %v", won, lost)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM outbox WHERE conversation_id = ? AND body = ?`, convID, "¿Del 1 al 5?"); n != 1 {
			t.Errorf("the satisfaction question was queued %d times, want 1", n)
		}
	})

	t.Run("promise reminded once", func(t *testing.T) {
		due, err := db.PendingPromises(ctx, acuerdo.Date{Year: 2027, Month: 1, Day: 1})
		if err != nil || len(due) == 0 {
			t.Fatalf("pending promises %v, %v", due, err)
		}
		out := store.Outgoing{Body: "recordatorio de promesa", Template: "promise_reminder", Business: true}
		won, lost := race(t, func(int) error { return db.RemindPromise(ctx, due[0], out) })
		if won != contenders {
			t.Fatalf("reminding: %d succeeded, errors %v", won, lost)
		}
		if n := count(t, path, `SELECT COUNT(*) FROM outbox WHERE body = ?`, out.Body); n != 1 {
			t.Errorf("the reminder was queued %d times, want 1", n)
		}
	})
}

// The frequency check is against what the caller saw: a change decided before
// another one was recorded is refused even when it arrives alone, later.
func TestChangeDueDateStaleDecision(t *testing.T) {
	db, _, convID := paySetup(t)
	ctx := context.Background()
	acct, _ := db.AccountByRef(ctx, "CR-1")
	seen := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	err := db.ChangeDueDate(ctx, acct.ID, convID, acuerdo.Date{Year: 2026, Month: 12, Day: 10}, &seen)
	if err != nil {
		t.Fatalf("no date change recorded, any seen passes: %v", err)
	}
	if err := db.ChangeDueDate(ctx, acct.ID, convID, acuerdo.Date{Year: 2026, Month: 12, Day: 11}, nil); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Fatalf("a change decided before the last one: %v, want ECONFLICT", err)
	}
}

// TestEarlyStatusRace: a status callback that arrives while the send's answer
// is being recorded (another replica's MarkSent) is never lost, whichever
// commits first: the message ends delivered and no early status is left
// behind. On PostgreSQL both run side by side.
func TestEarlyStatusRace(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	rank := func(s string) int {
		return map[string]int{acuerdo.MessageQueued: 1, acuerdo.MessageSent: 2, acuerdo.MessageDelivered: 3}[s]
	}
	const n = 40
	var items []store.OutboxItem
	for i := range n {
		conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, fmt.Sprintf("+5730077%05d", i))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, conv.ID, []store.Outgoing{{Body: "hola"}}); err != nil {
			t.Fatal(err)
		}
	}
	for len(items) < n {
		got, err := db.ClaimOutbox(ctx, n, time.Minute)
		if err != nil || len(got) == 0 {
			t.Fatalf("claimed %d, %v", len(got), err)
		}
		items = append(items, got...)
	}
	var wg sync.WaitGroup
	for i, it := range items {
		sid := fmt.Sprintf("SMrace%03d", i)
		if err := db.MarkSending(ctx, it, it.Body); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			if _, err := db.MarkSent(ctx, it, sid, acuerdo.MessageQueued, "", rank); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			if _, err := db.ApplyStatus(ctx, sid, acuerdo.MessageDelivered, "", rank); err != nil {
				t.Error(err)
			}
		}()
		close(start)
	}
	wg.Wait()
	if left := count(t, path, `SELECT COUNT(*) FROM early_statuses`); left != 0 {
		t.Errorf("%d early statuses never applied", left)
	}
	if lost := count(t, path, `SELECT COUNT(*) FROM messages WHERE provider_id LIKE 'SMrace%' AND status <> ?`, acuerdo.MessageDelivered); lost != 0 {
		t.Errorf("%d of %d messages lost their delivered callback", lost, n)
	}
}

// TestConsentRace: a consent granted through the API while the debtor's
// opt-out is being recorded on another replica never survives the opt-out:
// either the grant comes first and the opt-out withdraws it, or the grant
// sees the opt-out and is refused.
func TestConsentRace(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	const n = 30
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := im.Add(store.PortfolioRow{Debtor: acuerdo.Debtor{Phone: fmt.Sprintf("+5730088%05d", i), Name: "Ana"},
			Account: acuerdo.Account{Ref: fmt.Sprintf("CR-C%d", i), Balance: &acuerdo.Money{Amount: 1000, Currency: "COP"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range n {
		phone := fmt.Sprintf("+5730088%05d", i)
		d, err := db.DebtorByPhone(ctx, phone)
		if err != nil {
			t.Fatal(err)
		}
		conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phone)
		if err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, err := db.RecordConsent(ctx, d.ID, store.ConsentRecord{Channel: store.ConsentChannelWhatsApp, Scope: store.ConsentScopeCollections,
				Source: "web_form", GrantedAt: db.Now().Add(-time.Minute)})
			if err != nil && acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			if err := db.OptOut(ctx, conv.ID, d.ID); err != nil {
				t.Error(err)
			}
		}()
		close(start)
	}
	wg.Wait()
	if n := count(t, path, `SELECT COUNT(*) FROM consents WHERE revoked_at IS NULL`); n != 0 {
		t.Errorf("%d debtors who opted out still have a live consent", n)
	}
}

// TestLastAdminRace: two admins, each disabling the other at the same time
// on different replicas, cannot leave nobody to manage users: one change
// goes through and the other is told why not (ECONFLICT), not a deadlock.
func TestLastAdminRace(t *testing.T) {
	db, _ := openConsoleDB(t)
	ctx := context.Background()
	a := mustUser(t, db, "a@example.com", store.RoleAdmin)
	b := mustUser(t, db, "b@example.com", store.RoleAdmin)
	yes, no := true, false
	for round := range 5 {
		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, id := range []int64{a.ID, b.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = db.UpdateUser(ctx, id, store.UserChange{Disabled: &yes})
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			if err == nil {
				won++
				// Enabled again by the other, for the next round.
				if _, err := db.UpdateUser(ctx, []int64{a.ID, b.ID}[i], store.UserChange{Disabled: &no}); err != nil {
					t.Fatal(err)
				}
			} else if acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
				t.Errorf("round %d: %v, want ECONFLICT", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d of 2 disablings went through (%v), want 1", round, won, errs)
		}
	}
}

// TestExperimentCreationRace: experiments created at the same time on two
// replicas never both take a debtor (each reads who is busy, then assigns);
// and an email added twice at once makes one user and one ECONFLICT.
func TestExperimentCreationRace(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	seedPilot(t, db, 20)
	cop := filters(t, "CURRENCY=COP")
	won, lost := race(t, func(i int) error {
		_, err := db.CreateExperiment(ctx, store.NewExperiment{Name: fmt.Sprintf("p%d", i), Salt: "s", Treatment: 0.5, HorizonDays: 90, Filters: cop}, alternate)
		return err
	})
	if won < 1 {
		t.Fatalf("no experiment created: %v", lost)
	}
	for _, err := range lost {
		if acuerdo.ErrorCode(err) != acuerdo.EINVALID { // "no eligible debtors"
			t.Errorf("a loser got %v, want EINVALID (nobody left to assign)", err)
		}
	}
	if n := count(t, path, `SELECT COUNT(*) FROM (SELECT debtor_id FROM assignments GROUP BY debtor_id HAVING COUNT(*) > 1) twice`); n != 0 {
		t.Errorf("%d debtors assigned to two experiments at once", n)
	}

	won, lost = race(t, func(int) error {
		_, err := db.CreateUser(ctx, store.User{Email: "same@example.com", Role: store.RoleOperator, PasswordHash: "x"})
		return err
	})
	if won != 1 {
		t.Fatalf("%d users created with one email, want 1 (%v)", won, lost)
	}
	onlyConflicts(t, "create user", lost)
}
