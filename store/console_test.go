package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

// testClock is a settable clock shared by the store under test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openConsoleDB(t *testing.T) (*store.DB, *testClock) {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}
	db, _ := storetest.Open(t, store.Options{Clock: clk.now})
	return db, clk
}

func mustUser(t *testing.T, db *store.DB, email, role string) store.User {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(context.Background(), store.User{Email: email, Role: role, PasswordHash: string(h)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCreateUserValidates(t *testing.T) {
	db, _ := openConsoleDB(t)
	ctx := context.Background()
	mustUser(t, db, "Ana@Example.com", store.RoleAdmin)
	for _, tc := range []struct {
		name string
		u    store.User
		code string
	}{
		{"duplicate in another case", store.User{Email: "ana@example.COM", Role: store.RoleOperator, PasswordHash: "x"}, acuerdo.ECONFLICT},
		{"bad email", store.User{Email: "not an email", Role: store.RoleOperator, PasswordHash: "x"}, acuerdo.EINVALID},
		{"bad role", store.User{Email: "b@example.com", Role: "root", PasswordHash: "x"}, acuerdo.EINVALID},
		{"no password", store.User{Email: "c@example.com", Role: store.RoleOperator}, acuerdo.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.CreateUser(ctx, tc.u); acuerdo.ErrorCode(err) != tc.code {
				t.Errorf("err = %v, want code %s", err, tc.code)
			}
		})
	}
	if u, err := db.UserByEmail(ctx, " ANA@example.com "); err != nil || u.Email != "ana@example.com" {
		t.Errorf("lookup is not case-insensitive: %+v %v", u, err)
	}
}

func TestSessionsOnePerUserAndExpiry(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	u := mustUser(t, db, "op@example.com", store.RoleOperator)
	start := func(hash string) {
		t.Helper()
		if err := db.StartSession(ctx, store.Session{TokenHash: hash, UserID: u.ID, CSRF: "c-" + hash, ExpiresAt: clk.now().Add(12 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	start("first")
	if _, got, err := db.SessionUser(ctx, "first", time.Hour); err != nil || got.ID != u.ID {
		t.Fatalf("first session: %+v %v", got, err)
	}
	start("second")
	if _, _, err := db.SessionUser(ctx, "first", time.Hour); acuerdo.ErrorCode(err) != acuerdo.EUNAUTHORIZED {
		t.Errorf("a new login must end the old session; err = %v", err)
	}
	// Idle: an hour and a minute without activity ends it.
	clk.add(61 * time.Minute)
	if _, _, err := db.SessionUser(ctx, "second", time.Hour); acuerdo.ErrorCode(err) != acuerdo.EUNAUTHORIZED {
		t.Errorf("idle session still valid: %v", err)
	}
	// Absolute: activity does not extend a session past its end.
	start("third")
	for i := 0; i < 13; i++ {
		clk.add(59 * time.Minute)
		if err := db.TouchSession(ctx, "third"); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.SessionUser(ctx, "third", time.Hour); acuerdo.ErrorCode(err) != acuerdo.EUNAUTHORIZED {
		t.Errorf("session past its absolute end still valid: %v", err)
	}
	// Disabling a user ends their sessions.
	start("fourth")
	mustUser(t, db, "admin@example.com", store.RoleAdmin)
	yes := true
	if _, err := db.UpdateUser(ctx, u.ID, store.UserChange{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionUser(ctx, "fourth", time.Hour); acuerdo.ErrorCode(err) != acuerdo.EUNAUTHORIZED {
		t.Errorf("disabled user's session still valid: %v", err)
	}
}

func TestLastAdminStays(t *testing.T) {
	db, _ := openConsoleDB(t)
	ctx := context.Background()
	a := mustUser(t, db, "admin@example.com", store.RoleAdmin)
	op := store.RoleOperator
	yes := true
	if _, err := db.UpdateUser(ctx, a.ID, store.UserChange{Role: &op}); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Errorf("demoting the last admin: %v", err)
	}
	if _, err := db.UpdateUser(ctx, a.ID, store.UserChange{Disabled: &yes}); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Errorf("disabling the last admin: %v", err)
	}
	o := mustUser(t, db, "op@example.com", store.RoleOperator)
	name := "Olga"
	if _, err := db.UpdateUser(ctx, o.ID, store.UserChange{Name: &name}); err != nil {
		t.Errorf("editing an operator while one admin exists: %v", err)
	}
}

// TestReserveLoginAttempt: attempts are reserved against every limit in one
// step; a burst of parallel reservations gets exactly Max through (issue 10,
// item 9), a refused one counts nothing and says when the window ends, and a
// window that ended starts over.
func TestReserveLoginAttempt(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	email := store.LoginLimit{Key: "email:a@example.com", Max: 5, Window: 15 * time.Minute}
	addr := store.LoginLimit{Key: "addr:203.0.113.7", Max: 20, Window: 15 * time.Minute}

	const burst = 15
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for i := 0; i < burst; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := db.ReserveLoginAttempt(ctx, email, addr)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != email.Max {
		t.Fatalf("%d of %d parallel attempts reserved, want %d", granted, burst, email.Max)
	}
	ok, retryAt, err := db.ReserveLoginAttempt(ctx, email, addr)
	if err != nil || ok || !retryAt.Equal(clk.now().Add(15*time.Minute)) {
		t.Fatalf("over the limit: ok %v retry at %v err %v", ok, retryAt, err)
	}
	// Refused attempts counted nothing against the address: 5 of its 20.
	other := store.LoginLimit{Key: "email:b@example.com", Max: 100, Window: 15 * time.Minute}
	for i := 0; i < 15; i++ {
		if ok, _, _ := db.ReserveLoginAttempt(ctx, other, addr); !ok {
			t.Fatalf("the address was refused after %d more attempts, want 15", i)
		}
	}
	if ok, _, _ := db.ReserveLoginAttempt(ctx, other, addr); ok {
		t.Fatal("the address's 21st attempt was reserved")
	}
	// An unchecked attempt is given back; a success resets the account.
	if err := db.ReleaseLoginAttempt(ctx, []string{email.Key}, addr.Key); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := db.ReserveLoginAttempt(ctx, email, addr); !ok {
		t.Fatal("no attempt after a reset and a give-back")
	}
	clk.add(16 * time.Minute)
	for i := 0; i < email.Max; i++ {
		if ok, _, _ := db.ReserveLoginAttempt(ctx, email, addr); !ok {
			t.Fatalf("a new window refused attempt %d", i+1)
		}
	}
}

// caseFixture opens an escalation on a fresh conversation.
func caseFixture(t *testing.T, db *store.DB, phone, reason string) (acuerdo.Case, acuerdo.Conversation) {
	t.Helper()
	ctx := context.Background()
	conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phone)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, Reason: reason, Summary: "needs a person", Priority: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c, conv
}

func TestCaseLifeCycle(t *testing.T) {
	db, _ := openConsoleDB(t)
	ctx := context.Background()
	ana := mustUser(t, db, "ana@example.com", store.RoleOperator)
	bob := mustUser(t, db, "bob@example.com", store.RoleOperator)
	c, conv := caseFixture(t, db, "+573001112233", acuerdo.ReasonDispute)
	paused := func() bool {
		t.Helper()
		cv, err := db.ConversationByID(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		return cv.Paused
	}
	if err := db.ClaimCase(ctx, c.ID, ana.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := db.ClaimCase(ctx, c.ID, bob.ID, false); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Errorf("second claim: %v, want a conflict", err)
	}
	v, _ := db.CaseByID(ctx, c.ID)
	if v.State != acuerdo.CaseInProgress || v.AssigneeID != ana.ID || v.ClaimedAt == nil || !paused() {
		t.Errorf("after claim: %+v paused=%v", v, paused())
	}
	if err := db.HandBack(ctx, c.ID); err != nil || paused() {
		t.Errorf("hand back: err %v, paused %v", err, paused())
	}
	if err := db.CloseCase(ctx, c.ID, acuerdo.CaseInProgress, nil, ""); acuerdo.ErrorCode(err) != acuerdo.EINVALID {
		t.Errorf("closing with an open state: %v", err)
	}
	yes := true
	if err := db.CloseCase(ctx, c.ID, acuerdo.CaseResolved, &yes, "agreed a new date"); err != nil {
		t.Fatal(err)
	}
	v, _ = db.CaseByID(ctx, c.ID)
	if v.State != acuerdo.CaseResolved || v.Useful == nil || !*v.Useful || v.Outcome != "agreed a new date" || v.ClosedAt == nil {
		t.Errorf("after close: %+v", v)
	}
	if err := db.CloseCase(ctx, c.ID, acuerdo.CaseCancelled, nil, ""); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Errorf("closing twice: %v", err)
	}
	if err := db.ClaimCase(ctx, c.ID, ana.ID, false); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Errorf("claiming a closed case: %v", err)
	}
}

func TestCloseKeepsBotPausedForOtherEscalation(t *testing.T) {
	db, _ := openConsoleDB(t)
	ctx := context.Background()
	c1, conv := caseFixture(t, db, "+573001112244", acuerdo.ReasonDispute)
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, Reason: acuerdo.ReasonLegal, Priority: 5}); err != nil {
		t.Fatal(err)
	}
	if err := db.CloseCase(ctx, c1.ID, acuerdo.CaseResolved, nil, ""); err != nil {
		t.Fatal(err)
	}
	if cv, _ := db.ConversationByID(ctx, conv.ID); !cv.Paused {
		t.Error("closing one escalation resumed the bot while another is open")
	}
}

func TestExpireCases(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	old, _ := caseFixture(t, db, "+573001110001", acuerdo.ReasonHardship)
	op := mustUser(t, db, "op@example.com", store.RoleOperator)
	taken, _ := caseFixture(t, db, "+573001110002", acuerdo.ReasonHardship)
	if err := db.ClaimCase(ctx, taken.ID, op.ID, false); err != nil {
		t.Fatal(err)
	}
	clk.add(47 * time.Hour)
	fresh, _ := caseFixture(t, db, "+573001110003", acuerdo.ReasonHardship)
	clk.add(2 * time.Hour)
	n, err := db.ExpireCases(ctx, clk.now().Add(-store.CaseExpiry))
	if err != nil || n != 1 {
		t.Fatalf("expired %d, err %v; want 1", n, err)
	}
	for _, tc := range []struct {
		id   int64
		want string
	}{{old.ID, acuerdo.CaseExpired}, {taken.ID, acuerdo.CaseInProgress}, {fresh.ID, acuerdo.CaseComplete}} {
		if v, _ := db.CaseByID(ctx, tc.id); v.State != tc.want {
			t.Errorf("case %d is %s, want %s", tc.id, v.State, tc.want)
		}
	}
	if n, _ := db.ExpireCases(ctx, clk.now().Add(-store.CaseExpiry)); n != 0 {
		t.Errorf("expiring again changed %d cases", n)
	}
}

func TestCasesFilterAndOrder(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	low, _ := caseFixture(t, db, "+573001119991", acuerdo.ReasonOther)
	clk.add(time.Minute)
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001119992")
	high, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, Reason: acuerdo.ReasonLegal, Priority: 5})
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.Cases(ctx, store.CaseFilter{})
	if err != nil || len(all) != 2 || all[0].ID != high.ID || all[1].ID != low.ID {
		t.Fatalf("order: %+v %v", all, err)
	}
	for _, tc := range []struct {
		name string
		f    store.CaseFilter
		want int
	}{
		{"by reason", store.CaseFilter{Reason: acuerdo.ReasonLegal}, 1},
		{"by phone digits", store.CaseFilter{Query: "9992"}, 1},
		{"by case id", store.CaseFilter{Query: "#1"}, 1},
		{"like wildcards are literal", store.CaseFilter{Query: "%"}, 0},
		{"closed only", store.CaseFilter{States: []string{acuerdo.CaseResolved}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Cases(ctx, tc.f)
			if err != nil || len(got) != tc.want {
				t.Errorf("%d cases, err %v; want %d", len(got), err, tc.want)
			}
		})
	}
}

func TestConsoleCountsAndContacts(t *testing.T) {
	db, clk := openConsoleDB(t)
	ctx := context.Background()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Yesterday: one contact with a template send (billed) and a failed one (not).
	clk.add(-24 * time.Hour)
	old, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001110000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendMessages(ctx,
		acuerdo.Message{ConversationID: old.ID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Body: "hola", TemplateID: "HX1", Status: acuerdo.MessageDelivered},
		acuerdo.Message{ConversationID: old.ID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Body: "hola", TemplateID: "HX1", Status: acuerdo.MessageFailed}); err != nil {
		t.Fatal(err)
	}
	clk.add(24 * time.Hour)
	// Today: a new contact who writes and is escalated, and a tool record.
	c, conv := caseFixture(t, db, "+573001119999", acuerdo.ReasonHardship)
	if _, err := db.AppendMessages(ctx,
		acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor, Body: "no puedo pagar", Status: acuerdo.MessageReceived},
		acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Internal, Author: acuerdo.AuthorTool, Body: "{}", Status: acuerdo.MessageSent}); err != nil {
		t.Fatal(err)
	}
	got, err := db.ConsoleCounts(ctx, day, month)
	if err != nil {
		t.Fatal(err)
	}
	want := store.ConsoleCounts{Contacts: 2, NewToday: 1, MessagesToday: 1, TemplatesMonth: 1, OpenByState: map[string]int{acuerdo.CaseComplete: 1}}
	if got.Contacts != want.Contacts || got.NewToday != want.NewToday || got.MessagesToday != want.MessagesToday ||
		got.TemplatesMonth != want.TemplatesMonth || got.OpenByState[acuerdo.CaseComplete] != 1 || len(got.OpenByState) != 1 {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	cs, total, err := db.Contacts(ctx, store.ContactFilter{Sort: "created_asc"})
	if err != nil || total != 2 || len(cs) != 2 || cs[0].ConversationID != old.ID || cs[1].OpenCases != 1 || cs[1].Messages != 1 || cs[0].LastMessageAt == nil {
		t.Fatalf("contacts %+v total %d err %v", cs, total, err)
	}
	if cs, total, _ := db.Contacts(ctx, store.ContactFilter{Since: day}); total != 1 || cs[0].ConversationID != conv.ID {
		t.Errorf("contacts since today: %+v", cs)
	}
	// Erased people are no longer contacts.
	if _, err := db.Erase(ctx, "+573001119999"); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := db.Contacts(ctx, store.ContactFilter{}); total != 1 {
		t.Errorf("%d contacts after erasing one of two", total)
	}
	if v, _ := db.CaseByID(ctx, c.ID); v.Summary != "" {
		t.Error("erasure left the case summary")
	}
}

// TestPaymentActionsNeedAPaymentReport: confirming or rejecting a payment
// only applies to payment reports (the console's end-to-end test covers the
// recording itself).
func TestPaymentActionsNeedAPaymentReport(t *testing.T) {
	db, _ := openConsoleDB(t)
	ctx := context.Background()
	conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, Reason: acuerdo.ReasonDispute})
	if err != nil {
		t.Fatal(err)
	}
	amount := acuerdo.Money{Amount: 100, Currency: "COP"}
	if _, err := db.ConfirmPayment(ctx, c.ID, 1, amount, time.Now(), ""); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Errorf("confirming a payment on a dispute: %v", err)
	}
	if err := db.RejectPayment(ctx, c.ID, "no", store.Outgoing{Body: "x"}); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Errorf("rejecting a payment on a dispute: %v", err)
	}
}
