package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

// seedPilot imports n COP debtors (debtor i has DPD 10·i and consent unless i is a
// multiple of 5) and one BRL debtor, and returns their phones by debtor id.
func seedPilot(t *testing.T, db *store.DB, n int) map[int64]string {
	t.Helper()
	ctx := context.Background()
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	row := func(i int, cur string) store.PortfolioRow {
		consent := i%5 != 0
		return store.PortfolioRow{
			Debtor:  acuerdo.Debtor{Phone: fmt.Sprintf("+57300%07d", i), Name: fmt.Sprintf("Ana %d", i), Country: "CO", Locale: "es", Segment: []string{"a", "b"}[i%2]},
			Account: acuerdo.Account{Ref: fmt.Sprintf("A-%d", i), Balance: &acuerdo.Money{Amount: int64(1000 * i), Currency: cur}, DaysPastDue: 10 * i},
			Consent: &consent, KnownDaysPastDue: true,
		}
	}
	for i := 1; i <= n; i++ {
		if err := im.Add(row(i, "COP")); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Add(row(n+1, "BRL")); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	phones := map[int64]string{}
	for _, d := range mustDebtors(t, db) {
		phones[d.ID] = d.Phone
	}
	return phones
}

func mustDebtors(t *testing.T, db *store.DB) []acuerdo.Debtor {
	ds, err := db.Debtors(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// alternate assigns even debtor ids to treatment: predictable arms for tests.
func alternate(cs []store.Candidate) []acuerdo.Assignment {
	out := make([]acuerdo.Assignment, len(cs))
	for i, c := range cs {
		arm := acuerdo.ArmControl
		if c.DebtorID%2 == 0 {
			arm = acuerdo.ArmTreatment
		}
		out[i] = acuerdo.Assignment{DebtorID: c.DebtorID, Arm: arm, Stratum: "s"}
	}
	return out
}

func filters(t *testing.T, ss ...string) []store.Filter {
	var out []store.Filter
	for _, s := range ss {
		f, err := store.ParseFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func TestCreateExperiment(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	seedPilot(t, db, 20)
	spec := store.NewExperiment{Name: "p1", Salt: "s", Treatment: 0.5, Stratify: []string{"dpd"}, HorizonDays: 90}

	// Two currencies among eligible debtors: refused with the way out.
	if _, err := db.CreateExperiment(ctx, spec, alternate); acuerdo.ErrorCode(err) != acuerdo.EINVALID {
		t.Fatalf("mixed currencies: %v", err)
	}
	spec.Filters = filters(t, "CURRENCY=COP", "DPD>50", "SEGMENT!=x")
	c, err := db.CreateExperiment(ctx, spec, alternate)
	if err != nil {
		t.Fatal(err)
	}
	if c.Currency != "COP" || c.Arms[acuerdo.ArmControl]+c.Arms[acuerdo.ArmTreatment] != 15 || c.Busy != 0 {
		t.Fatalf("created %+v; want 15 COP debtors (DPD 60..200)", c)
	}
	if _, err := db.CreateExperiment(ctx, spec, alternate); acuerdo.ErrorCode(err) != acuerdo.ECONFLICT {
		t.Fatalf("same name again: %v", err)
	}
	// The running experiment's debtors are not eligible for another.
	spec.Name, spec.Filters = "p2", filters(t, "CURRENCY=COP")
	c2, err := db.CreateExperiment(ctx, spec, alternate)
	if err != nil {
		t.Fatal(err)
	}
	if n := c2.Arms[acuerdo.ArmControl] + c2.Arms[acuerdo.ArmTreatment]; n != 5 || c2.Busy != 15 {
		t.Fatalf("second experiment: %d debtors, %d busy; want 5 and 15", n, c2.Busy)
	}
	xs, err := db.Experiments(ctx)
	if err != nil || len(xs) != 2 {
		t.Fatalf("experiments: %v %v", xs, err)
	}
	x := xs[0]
	if x.Name != "p1" || x.Filter != "CURRENCY=COP AND DPD>50 AND SEGMENT!=x" || len(x.Arms) != 2 || x.Arms[1].Share != 0.5 ||
		x.Counts[acuerdo.ArmTreatment] != 8 || x.LaunchedAt != nil || !x.Running(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) ||
		x.Running(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("listed %+v", x)
	}
	for _, bad := range []string{"DPD", "DPD>x", "NAME=Ana", "SEGMENT>a", "=3"} {
		if _, err := store.ParseFilter(bad); acuerdo.ErrorCode(err) != acuerdo.EINVALID {
			t.Errorf("ParseFilter(%q) = %v; want EINVALID", bad, err)
		}
	}
}

func TestLaunchExperimentOnce(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	phones := seedPilot(t, db, 20)
	spec := store.NewExperiment{Name: "p1", Salt: "s", Treatment: 0.5, HorizonDays: 90, Filters: filters(t, "CURRENCY=COP")}
	if _, err := db.CreateExperiment(ctx, spec, alternate); err != nil {
		t.Fatal(err)
	}
	// Debtor 4 opted out on WhatsApp; 10 and 20 never consented.
	conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phones[4])
	if err != nil {
		t.Fatal(err)
	}
	if err := db.OptOut(ctx, conv.ID, 4); err != nil {
		t.Fatal(err)
	}
	first := func(t store.LaunchTarget) store.Outgoing {
		return store.Outgoing{Body: "hola " + t.Name, Template: "first_contact", Business: true}
	}
	l, err := db.LaunchExperiment(ctx, "p1", first)
	if err != nil {
		t.Fatal(err)
	}
	if l.Queued != 7 || l.Already != 0 || l.Skipped["opted_out"] != 1 || l.Skipped["no_consent"] != 2 {
		t.Fatalf("first launch %+v; want 7 queued, 1 opted out, 2 without consent", l)
	}
	l, err = db.LaunchExperiment(ctx, "p1", first)
	if err != nil || l.Queued != 0 || l.Already != 7 {
		t.Fatalf("second launch %+v %v; want nothing queued", l, err)
	}
	x, _ := db.ExperimentByName(ctx, "p1")
	if x.LaunchedAt == nil || x.Queued != 7 || x.Skipped != 3 {
		t.Fatalf("after launch %+v", x)
	}

	raw, err := store.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT c.debtor_id, COUNT(*) FROM outbox o JOIN conversations c ON c.id = o.conversation_id
		WHERE o.template = 'first_contact' AND o.business GROUP BY c.debtor_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var k int
		rows.Scan(&id, &k)
		if id%2 != 0 || k != 1 || id == 4 || id%5 == 0 {
			t.Errorf("debtor %d got %d first contacts; only consenting treatment debtors get exactly one", id, k)
		}
		n++
	}
	if n != 7 {
		t.Fatalf("%d debtors contacted, want 7", n)
	}
	if _, err := db.LaunchExperiment(ctx, "nope", first); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
		t.Fatalf("unknown experiment: %v", err)
	}
}

// TestExperimentData runs both ways the report reads payments: the scans of
// a pilot covering most of the portfolio and the join of a small one.
func TestExperimentData(t *testing.T) {
	for _, join := range []bool{false, true} {
		t.Run(fmt.Sprintf("join=%t", join), func(t *testing.T) {
			store.ForceReportJoin(t, join)
			testExperimentData(t)
		})
	}
}

func testExperimentData(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	phones := seedPilot(t, db, 4)
	spec := store.NewExperiment{Name: "p1", Salt: "s", Treatment: 0.5, HorizonDays: 90, Filters: filters(t, "CURRENCY=COP")}
	if _, err := db.CreateExperiment(ctx, spec, alternate); err != nil {
		t.Fatal(err)
	}
	assigned := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) // the test clock
	pi, err := db.BeginPaymentImport(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	pay := func(ref string, at time.Time, amount int64, id string) {
		acct, cur, err := pi.Account(ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := pi.Add(acuerdo.Payment{AccountID: acct, Amount: acuerdo.Money{Amount: amount, Currency: cur}, PaidAt: at, ExternalID: id, Method: "pse-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	pay("A-2", assigned.AddDate(0, 0, -200), 1, "old")       // before the prior window
	pay("A-2", assigned.AddDate(0, 0, -10), 50, "prior")     // prior
	pay("A-2", assigned.Add(time.Hour), 300, "day1")         // outcome, day 1
	pay("A-2", assigned.AddDate(0, 0, 40), 400, "later")     // after as-of
	pay("A-2", assigned.Add(30*time.Minute), 20, "early")    // recorded later, paid first
	pay("A-5", assigned.Add(time.Hour), 999, "other-cur")    // BRL debtor, not in the experiment
	pay("A-3", assigned.AddDate(0, 0, 5), 700, "control-d6") // control
	if _, err := pi.Commit(); err != nil {
		t.Fatal(err)
	}
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phones[2])
	db.AppendAudit(ctx,
		acuerdo.AuditEntry{Time: assigned.Add(time.Minute), ConversationID: conv.ID, Kind: acuerdo.AuditModel, Name: "m", Outcome: acuerdo.Allowed, Detail: `{"cost_usd":0.25,"prompt_tokens":10}`},
		acuerdo.AuditEntry{Time: assigned.Add(2 * time.Minute), ConversationID: conv.ID, Kind: acuerdo.AuditModel, Name: "m", Outcome: acuerdo.Allowed, Detail: `{"cost_usd":0.5}`},
		acuerdo.AuditEntry{Time: assigned.Add(-time.Minute), ConversationID: conv.ID, Kind: acuerdo.AuditModel, Name: "m", Outcome: acuerdo.Allowed, Detail: `{"cost_usd":9}`})

	d, err := db.ExperimentData(ctx, "p1", assigned.AddDate(0, 0, 30))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) != 4 || d.Currency != "COP" {
		t.Fatalf("rows %+v", d.Rows)
	}
	r := d.Rows[1]
	if r.DebtorID != 2 || r.Arm != acuerdo.ArmTreatment || r.Placed != 2000 || r.DaysPastDue != 20 || r.Prior != 50 || r.CostUSD != 0.75 || !r.AssignedAt.Equal(assigned) {
		t.Fatalf("debtor 2: %+v", r)
	}
	if len(d.Payments) != 3 || d.Payments[0].Amount != 20 || d.Payments[1].Amount != 300 || d.Payments[1].Row != 1 || d.Payments[2].Amount != 700 ||
		d.Payments[2].AccountRef != "A-3" || d.Payments[2].Row != 2 || d.Payments[1].Method != "pse-day1" || d.Payments[1].AccountRef != "A-2" {
		t.Fatalf("payments %+v", d.Payments)
	}
	if r.Country != "CO" || len(d.LLMCalls) != 2 || d.LLMCalls[0].PromptTokens != 10 || !d.LLMCalls[0].Priced || d.LLMCalls[0].Row != 1 {
		t.Fatalf("country %q, model calls %+v", r.Country, d.LLMCalls)
	}
}

// TestExperimentDataWork: the report sees the messages of the cohort's
// conversations after assignment (with the template the engine meant and the
// one the provider sent, but not the text) and the cases a person took.
func TestExperimentDataWork(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	phones := seedPilot(t, db, 4)
	spec := store.NewExperiment{Name: "p1", Salt: "s", Treatment: 0.5, HorizonDays: 90, Filters: filters(t, "CURRENCY=COP")}
	if _, err := db.CreateExperiment(ctx, spec, alternate); err != nil {
		t.Fatal(err)
	}
	assigned := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	if _, err := db.LaunchExperiment(ctx, "p1", func(x store.LaunchTarget) store.Outgoing {
		return store.Outgoing{Template: "first_contact", Author: acuerdo.AuthorBot}
	}); err != nil {
		t.Fatal(err)
	}
	conv, _ := db.Conversation(ctx, acuerdo.ChannelWhatsApp, phones[2])
	if _, err := db.AppendMessages(ctx,
		acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor, Body: "hola", Status: acuerdo.MessageReceived, CreatedAt: assigned.Add(time.Hour)},
		acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorOperator, Body: "Hola, soy Luisa", Status: acuerdo.MessageDelivered, CreatedAt: assigned.Add(2 * time.Hour)},
		acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor, Body: "antes", Status: acuerdo.MessageReceived, CreatedAt: assigned.Add(-time.Hour)},
	); err != nil {
		t.Fatal(err)
	}
	c, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, DebtorID: 2, Reason: acuerdo.ReasonHardship, State: acuerdo.CaseComplete})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, DebtorID: 2, Reason: acuerdo.ReasonDispute, State: acuerdo.CaseComplete}); err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, store.User{Email: "op@example.com", Role: store.RoleOperator, PasswordHash: "!"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ClaimCase(ctx, c.ID, u.ID, false); err != nil {
		t.Fatal(err)
	}
	d, err := db.ExperimentData(ctx, "p1", assigned.AddDate(0, 0, 30))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Rows[1]; got.DebtorID != 2 || got.OperatorCases != 1 {
		t.Fatalf("debtor 2 %+v: want one case a person took (the other is still waiting)", got)
	}
	var mine []store.CohortMessage
	for _, m := range d.Messages {
		if m.Row == 1 {
			mine = append(mine, m)
		}
	}
	if len(mine) != 3 || mine[0].Template != "first_contact" || mine[0].Direction != acuerdo.Outbound ||
		mine[1].Chars != 4 || mine[2].Author != acuerdo.AuthorOperator {
		t.Fatalf("debtor 2's messages %+v: want the first contact, then hola and the operator's reply, not the message before assignment", mine)
	}
}

// TestRolloutVariant: while the experiment runs, each debtor gets their arm's
// variant; after its horizon, a rollout of the winning arm for one band makes
// its variant the default for that band's debtors except the holdout, and
// leaves other bands alone.
func TestRolloutVariant(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)}
	db, _ := storetest.Open(t, store.Options{Clock: clk.now})
	ctx := context.Background()
	seedPilot(t, db, 30) // debtor i has DPD 10·i: debtors 4-6 are in dpd_031_060
	warm := acuerdo.Variant{Template: "first_contact_warm", WindowStart: 18, WindowEnd: 20}
	arms := []acuerdo.Arm{{Name: acuerdo.ArmControl, Share: 0.5}, {Name: "warm", Share: 0.5, Variant: warm}}
	spec := store.NewExperiment{Name: "tone", Salt: "s", Arms: arms, HorizonDays: 30, Filters: filters(t, "CURRENCY=COP")}
	if _, err := db.CreateExperiment(ctx, spec, func(cs []store.Candidate) []acuerdo.Assignment {
		out := make([]acuerdo.Assignment, len(cs))
		for i, c := range cs {
			out[i] = acuerdo.Assignment{DebtorID: c.DebtorID, Arm: []string{"control", "warm"}[c.DebtorID%2], Stratum: "s"}
		}
		return out
	}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]string{4: "control", 5: "warm"} {
		v, arm, err := db.DebtorVariant(ctx, id)
		if err != nil || arm != want || (arm == "warm") != (v == warm) {
			t.Fatalf("debtor %d during the pilot: %s %+v %v", id, arm, v, err)
		}
	}
	sameInBatch(t, db, 30)
	if _, err := db.AddRollout(ctx, "tone", "control", "dpd_031_060", 0.1); acuerdo.ErrorCode(err) != acuerdo.EINVALID {
		t.Fatalf("rolling out control: %v", err)
	}
	if _, err := db.AddRollout(ctx, "tone", "warm", "dpd_031_060", 0); acuerdo.ErrorCode(err) != acuerdo.EINVALID {
		t.Fatalf("a rollout without holdout: %v", err)
	}
	if _, err := db.AddRollout(ctx, "tone", "warm", "dpd_031_060", 0.5); err != nil {
		t.Fatal(err)
	}
	clk.mu.Lock()
	clk.t = clk.t.AddDate(0, 0, 31) // the pilot is over
	clk.mu.Unlock()
	counts := map[string]int{}
	for id := int64(1); id <= 30; id++ {
		v, arm, err := db.DebtorVariant(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		band := experiments.DPDBand(10 * int(id))
		want := experiments.RolloutArm("s", "dpd_031_060", 0.5, "warm", id)
		switch {
		case band != "dpd_031_060" && (arm != "" || !v.IsZero()):
			t.Errorf("debtor %d in %s got %s %+v from a rollout of another band", id, band, arm, v)
		case band == "dpd_031_060" && arm != want:
			t.Errorf("debtor %d: %s, want %s", id, arm, want)
		case arm == "warm" && v != warm, arm == experiments.Holdout && !v.IsZero():
			t.Errorf("debtor %d (%s) variant %+v", id, arm, v)
		}
		counts[arm]++
	}
	if counts["warm"]+counts[experiments.Holdout] != 3 {
		t.Errorf("rollout reached %v, want the band's 3 debtors", counts)
	}
	sameInBatch(t, db, 30)
}

// sameInBatch checks that DebtorVariants, which the sender asks for a round's
// debtors at once, says for each of debtors 1..n (and one that does not
// exist) what DebtorVariant says for them one by one.
func sameInBatch(t *testing.T, db *store.DB, n int64) {
	t.Helper()
	ctx := context.Background()
	ids := []int64{1 << 40}
	for id := int64(1); id <= n; id++ {
		ids = append(ids, id)
	}
	got, err := db.DebtorVariants(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		v, arm, err := db.DebtorVariant(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := (store.ArmVariant{Variant: v, Arm: arm}); got[id] != want {
			t.Errorf("debtor %d: %+v in a batch, %+v alone", id, got[id], want)
		}
	}
}
