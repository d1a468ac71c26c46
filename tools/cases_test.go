package tools_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/tools"
)

type storedCase struct {
	reason, summary, state string
	priority               int
	debtorID               int64
}

func (f *fixture) cases(tb testing.TB, convID int64) []storedCase {
	tb.Helper()
	rows, err := f.raw.QueryContext(f.ctx, `SELECT reason, summary, state, priority, COALESCE(debtor_id, 0) FROM cases WHERE conversation_id = ? ORDER BY id`, convID)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []storedCase
	for rows.Next() {
		var c storedCase
		if err := rows.Scan(&c.reason, &c.summary, &c.state, &c.priority, &c.debtorID); err != nil {
			tb.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestReportPayment: a payment report opens a case for a person to verify, with
// what the debtor said and how many receipts they attached, and leaves the bot
// talking. It needs no verification: it discloses nothing.
func TestReportPayment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, phone string
		verified    bool
		media       []string
		args        string
		want        []string
	}{
		{"verified, two receipts", anaPhone, true, []string{"https://api.twilio.com/m/1", "https://api.twilio.com/m/2"},
			`{"amount":"150000","date":"2026-03-09","note":"pagué por PSE"}`,
			[]string{"amount 150000", "paid on 2026-03-09", "pagué por PSE", "2 receipt file(s) attached"}},
		{"unverified, no receipt", anaPhone, false, nil, `{}`, []string{"no receipt attached yet"}},
		{"no arguments at all", carlosPhone, false, []string{"https://api.twilio.com/m/3"}, ``, []string{"1 receipt file(s) attached"}},
		{"stranger", strangerPhone, false, nil, `{"note":"ya pagué"}`, []string{"ya pagué", "no receipt attached yet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			e := f.env(t, tc.phone)
			if tc.verified {
				e = f.verified(t, tc.phone)
			}
			e.Media = tc.media
			before, err := f.db.Count(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			r := f.allow(t, e, tools.ReportPayment, tc.args, "payment_report")
			m := data(t, r)
			if m["case_id"] == nil || m["receipt_attached"] != (len(tc.media) > 0) || r.Escalated || r.OptedOut {
				t.Errorf("result %+v", r)
			}
			// Without a receipt the bot is still gathering: INCOMPLETO.
			state := acuerdo.CaseComplete
			if len(tc.media) == 0 {
				state = acuerdo.CaseIncomplete
			}
			cs := f.cases(t, e.Conv.ID)
			if len(cs) != 1 || cs[0].reason != acuerdo.ReasonPaymentReport || cs[0].state != state {
				t.Fatalf("cases %+v; want one payment report %s", cs, state)
			}
			for _, w := range tc.want {
				if !strings.Contains(cs[0].summary, w) {
					t.Errorf("summary %q lacks %q", cs[0].summary, w)
				}
			}
			if (e.Debtor == nil) != (cs[0].debtorID == 0) {
				t.Errorf("case debtor %d for debtor %v", cs[0].debtorID, e.Debtor)
			}
			stored, err := f.db.ConversationByID(f.ctx, e.Conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Paused || e.Conv.Paused {
				t.Error("a payment report paused the conversation")
			}
			// Nothing about the debt changes until a person verifies the payment.
			if after, _ := f.db.Count(f.ctx); after != before {
				t.Errorf("counts %+v -> %+v", before, after)
			}
			if open, err := f.db.OpenCases(f.ctx, e.Conv.ID); err != nil || len(open) != 1 {
				t.Errorf("open cases %+v, %v", open, err)
			}
		})
	}
}

// TestEscalateToHuman: every reason of the enum opens a case with its
// priority and pauses the bot in the conversation.
func TestEscalateToHuman(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		reason   string
		priority int
	}{
		{"legal", 5}, {"hardship", 4}, {"complaint", 4}, {"dispute", 3}, {"debtor_request", 2}, {"out_of_policy", 1}, {"other", 1},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			for _, phone := range []string{anaPhone, strangerPhone} {
				e := f.env(t, phone)
				summary := fmt.Sprintf("el deudor pide %s", tc.reason)
				r := f.allow(t, e, tools.EscalateToHuman, fmt.Sprintf(`{"reason":%q,"summary":%q}`, tc.reason, summary), "escalation_"+tc.reason)
				if !r.Escalated || r.OptedOut || data(t, r)["case_id"] == nil {
					t.Errorf("result %+v", r)
				}
				cs := f.cases(t, e.Conv.ID)
				if len(cs) != 1 || cs[0].reason != tc.reason || cs[0].summary != summary || cs[0].priority != tc.priority || cs[0].state != acuerdo.CaseComplete {
					t.Errorf("cases %+v", cs)
				}
				stored, err := f.db.ConversationByID(f.ctx, e.Conv.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !stored.Paused || !e.Conv.Paused {
					t.Errorf("conversation not paused: stored %v, agent's %v", stored.Paused, e.Conv.Paused)
				}
				if stored.OptedOut || stored.Verified {
					t.Errorf("stored %+v", stored)
				}
			}
		})
	}
	t.Run("enum enforced", func(t *testing.T) {
		e := f.env(t, anaPhone)
		for _, reason := range []string{"angry", "payment_report", "LEGAL", "legal "} {
			f.refuse(t, e, tools.EscalateToHuman, fmt.Sprintf(`{"reason":%q,"summary":"x"}`, reason), "invalid_arguments")
		}
		if len(f.cases(t, e.Conv.ID)) != 0 || e.Conv.Paused {
			t.Error("a refused escalation opened a case or paused the conversation")
		}
	})
}

// TestOptOut: the debtor's consent is revoked and the conversation opted out,
// together; a number outside the portfolio can opt out too.
func TestOptOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, args := range []string{`{}`, ``, `null`, " {} "} {
		t.Run(fmt.Sprintf("%q", args), func(t *testing.T) {
			e := f.env(t, luzPhone)
			r := f.allow(t, e, tools.OptOut, args, "opt_out")
			if !r.OptedOut || r.Escalated {
				t.Errorf("result %+v", r)
			}
			stored, err := f.db.ConversationByID(f.ctx, e.Conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !stored.OptedOut || !e.Conv.OptedOut || stored.Paused {
				t.Errorf("stored %+v, agent's %+v", stored, e.Conv)
			}
			c, err := f.db.Consent(f.ctx, e.Debtor.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Active() || c.RevokedAt == nil {
				t.Errorf("consent %+v still active", c)
			}
		})
	}

	t.Run("first revocation time kept", func(t *testing.T) {
		e := f.env(t, anaPhone)
		f.allow(t, e, tools.OptOut, `{}`, "opt_out")
		c, _ := f.db.Consent(f.ctx, e.Debtor.ID)
		if c.RevokedAt == nil || !c.RevokedAt.Equal(t0) {
			t.Errorf("consent %+v", c)
		}
		f.clock.Set(t0.Add(day(1)))
		defer f.clock.Set(t0)
		f.allow(t, f.env(t, anaPhone), tools.OptOut, `{}`, "opt_out")
		if c2, _ := f.db.Consent(f.ctx, e.Debtor.ID); c2.RevokedAt == nil || !c2.RevokedAt.Equal(t0) {
			t.Errorf("revocation moved: %+v", c2)
		}
	})

	t.Run("stranger", func(t *testing.T) {
		e := f.env(t, strangerPhone)
		before, _ := f.db.Count(f.ctx)
		f.allow(t, e, tools.OptOut, `{}`, "opt_out")
		if stored, _ := f.db.ConversationByID(f.ctx, e.Conv.ID); !stored.OptedOut {
			t.Error("conversation not opted out")
		}
		if after, _ := f.db.Count(f.ctx); after != before {
			t.Errorf("counts %+v -> %+v", before, after)
		}
		// The debtors' consents are untouched.
		c, err := f.db.Consent(f.ctx, f.account(t, "100123").DebtorID)
		if err != nil || !c.Active() {
			t.Errorf("Carlos's consent %+v, %v", c, err)
		}
	})

	t.Run("arguments refused", func(t *testing.T) {
		e := f.env(t, carlosPhone)
		f.refuse(t, e, tools.OptOut, `{"confirm":true}`, "invalid_arguments")
		if c, _ := f.db.Consent(f.ctx, e.Debtor.ID); !c.Active() {
			t.Error("a refused opt_out revoked consent")
		}
	})
}

func TestUnknownTool(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.verified(t, anaPhone)
	for _, name := range []string{"delete_debt", "", "Lookup_Debt", "lookup_debt ", "optout", "apply_discount", "verify_identity\x00"} {
		for _, args := range []string{`{}`, `{"account_id":"CR-0001"}`, `not json`, ``} {
			r := f.refuse(t, e, name, args, "unknown_tool")
			if r.Tool != name || strings.Contains(r.JSON(), "850000") {
				t.Errorf("%q: %+v", name, r)
			}
		}
	}
}

// TestConcurrentAccept: the same plan accepted twice at once (two deliveries of
// one message, two workers) binds once.
func TestConcurrentAccept(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.verified(t, anaPhone)
	for round := 0; round < 3; round++ {
		p := plan(t, f.allow(t, e, tools.OfferPaymentPlan, `{"installments":4}`, "plan"))
		before := f.lastAuditID(t)
		const workers = 6
		results := make([]tools.Result, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conv := *e.Conv // each worker loaded the conversation itself
				<-start
				results[i] = f.set.Call(f.ctx, &tools.Env{Conv: &conv, Debtor: e.Debtor}, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id))
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, r := range results {
			switch {
			case r.OK:
				ok++
			case r.Rule != "plan_already_accepted":
				t.Errorf("round %d: %+v", round, r)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d workers accepted the plan, want 1", round, ok)
		}
		if n := f.count(t, "installments", "plan_id = ?", p.id); n != 4 {
			t.Errorf("round %d: %d installments scheduled, want 4", round, n)
		}
		entries, err := f.db.Audit(f.ctx, store.AuditFilter{After: before})
		if err != nil {
			t.Fatal(err)
		}
		allowed, refused := 0, 0
		for _, a := range entries {
			switch {
			case a.Name == tools.AcceptPaymentPlan && a.Outcome == acuerdo.Allowed && a.Rule == "plan_accepted":
				allowed++
			case a.Name == tools.AcceptPaymentPlan && a.Outcome == acuerdo.Refused && a.Rule == "plan_already_accepted":
				refused++
			default:
				t.Errorf("audit %+v", a)
			}
		}
		if allowed != 1 || refused != workers-1 {
			t.Errorf("round %d: audit %d allowed, %d refused", round, allowed, refused)
		}
	}
}

// staleStore reads every plan as still offered, as a worker does that read it
// just before another accepted it.
type staleStore struct{ *store.DB }

func (s staleStore) Plan(ctx context.Context, id int64) (acuerdo.Plan, error) {
	p, err := s.DB.Plan(ctx, id)
	p.Status = acuerdo.PlanOffered
	return p, err
}

// TestAcceptRace: the store's conditional update decides a race the tool's own
// status check missed; the loser is told the plan is already accepted.
func TestAcceptRace(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(db *store.DB) tools.Store { return staleStore{db} })
	e := f.verified(t, anaPhone)
	p := plan(t, f.allow(t, e, tools.OfferPaymentPlan, `{"installments":2}`, "plan"))
	f.allow(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "plan_accepted")
	f.refuse(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "plan_already_accepted")
	if n := f.count(t, "installments", "plan_id = ?", p.id); n != 2 {
		t.Errorf("%d installments scheduled, want 2", n)
	}
}

// racingStore commits another date change or pause on the same account — an
// operator's, or another replica's — between the tool's policy decision and
// its write, once.
type racingStore struct {
	*store.DB
	raced *bool
}

func (s racingStore) ChangeDueDate(ctx context.Context, accountID, convID int64, d acuerdo.Date, seen *time.Time, audit ...acuerdo.AuditEntry) error {
	if !*s.raced {
		*s.raced = true
		if err := s.DB.ChangeDueDate(ctx, accountID, convID, d.AddDays(1), seen); err != nil {
			return err
		}
	}
	return s.DB.ChangeDueDate(ctx, accountID, convID, d, seen, audit...)
}

func (s racingStore) PauseAccount(ctx context.Context, accountID, convID int64, until acuerdo.Date, seen *time.Time, audit ...acuerdo.AuditEntry) error {
	if !*s.raced {
		*s.raced = true
		if err := s.DB.PauseAccount(ctx, accountID, convID, until, seen); err != nil {
			return err
		}
	}
	return s.DB.PauseAccount(ctx, accountID, convID, until, seen, audit...)
}

// TestNegotiationRace: a date change or pause committed by someone else after
// the tool checked the once-per-period rule makes the tool decide again, and
// the rule now refuses: the account gets one change, not two.
func TestNegotiationRace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ tool, args, rule, kind string }{
		{tools.ProposeDateChange, `{"new_date":"2026-04-01"}`, "date_change_frequency", acuerdo.NegotiationDateChange},
		{tools.ProposePause, `{"days":10}`, "pause_frequency", acuerdo.NegotiationPause},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			raced := false
			f := newFixtureWith(t, func(db *store.DB) tools.Store { return racingStore{db, &raced} })
			e := f.verified(t, anaPhone)
			r, a := f.call(t, e, tc.tool, tc.args)
			if !raced {
				t.Fatal("the store was never asked to write")
			}
			if r.OK || r.Rule != tc.rule || a.Outcome != acuerdo.Refused {
				t.Fatalf("ok=%v rule=%q (%s), audit %q; want refused by %q", r.OK, r.Rule, r.Message, a.Outcome, tc.rule)
			}
			if n := f.count(t, "negotiations", "kind = ?", tc.kind); n != 1 {
				t.Errorf("%d %s negotiations recorded, want the other writer's only", n, tc.kind)
			}
		})
	}
}
