package tools_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/tools"
)

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// TestProposeDateChange: Ana's next due date is 2026-03-20, so the latest new
// date is 30 days later, 2026-04-19; one change per 90 days.
func TestProposeDateChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, date, rule string
	}{
		{"31 days", "2026-04-20", "date_change_max_days"},
		{"a year", "2027-03-20", "date_change_max_days"},
		{"yesterday", "2026-03-09", "date_change_in_past"},
		{"long ago", "1999-01-01", "date_change_in_past"},
		{"the current due date", "2026-03-20", "date_change_same_date"},
		{"no such day", "2026-02-30", "invalid_date"},
		{"month 13", "2026-13-01", "invalid_date"},
		{"year zero", "0000-00-00", "invalid_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			e := f.verified(t, anaPhone)
			r := f.refuse(t, e, tools.ProposeDateChange, fmt.Sprintf(`{"new_date":%q}`, tc.date), tc.rule)
			if tc.rule == "invalid_date" {
				return
			}
			if m := data(t, r); m["latest_allowed_date"] != "2026-04-19" {
				t.Errorf("the model sees %v; want latest_allowed_date 2026-04-19", m)
			}
			if len(r.Facts.Dates) != 1 || r.Facts.Dates[0].String() != "2026-04-19" {
				t.Errorf("facts %+v", r.Facts)
			}
		})
	}

	for _, date := range []string{"2026-04-19", "2026-03-10", "2026-03-21", "2026-03-11"} {
		t.Run("allowed "+date, func(t *testing.T) {
			f := newFixture(t)
			e := f.verified(t, anaPhone)
			r := f.allow(t, e, tools.ProposeDateChange, fmt.Sprintf(`{"new_date":%q}`, date), "date_change")
			if m := data(t, r); m["new_due_date"] != date || m["account_id"] != "CR-0001" {
				t.Errorf("data %v", m)
			}
			if got := f.account(t, "CR-0001").NextDueDate.String(); got != date {
				t.Errorf("stored next due date %s, want %s", got, date)
			}
			if n := f.count(t, "negotiations", "kind = 'date_change' AND old_value = '2026-03-20' AND new_value = ? AND conversation_id = ?", date, e.Conv.ID); n != 1 {
				t.Errorf("%d negotiations recorded", n)
			}
		})
	}

	t.Run("once per 90 days", func(t *testing.T) {
		f := newFixture(t)
		e := f.verified(t, anaPhone)
		f.allow(t, e, tools.ProposeDateChange, `{"new_date":"2026-04-19"}`, "date_change")
		// A second change, in this or another conversation, is refused for 90 days.
		other := f.verified(t, anaPhone)
		for _, c := range []struct {
			e    *tools.Env
			days int
			date string
		}{{e, 0, "2026-04-25"}, {e, 0, "2026-04-18"}, {other, 1, "2026-04-20"}, {other, 89, "2026-06-10"}} {
			f.clock.Set(t0.Add(day(c.days)))
			r := f.refuse(t, c.e, tools.ProposeDateChange, fmt.Sprintf(`{"new_date":%q}`, c.date), "date_change_frequency")
			if m := data(t, r); m["latest_allowed_date"] != nil || !strings.Contains(r.Message, "2026-06-08") {
				t.Errorf("day %d: %s", c.days, r.JSON())
			}
		}
		if got := f.account(t, "CR-0001").NextDueDate.String(); got != "2026-04-19" {
			t.Errorf("next due date %s after refusals", got)
		}
		// lookup_debt tells the model no date change is available now.
		f.clock.Set(t0.Add(day(10)))
		opts := accounts(t, f.allow(t, e, tools.LookupDebt, `{}`, "allowed"))["CR-0001"]["options"].(map[string]any)
		if opts["latest_new_due_date"] != nil || !strings.Contains(fmt.Sprint(opts["date_change"]), "2026-06-08") {
			t.Errorf("options %v", opts)
		}
		// 90 days later: allowed again; the due date has passed, so 30 days count from today.
		f.clock.Set(t0.Add(day(90)))
		r := f.refuse(t, other, tools.ProposeDateChange, `{"new_date":"2026-07-09"}`, "date_change_max_days")
		if m := data(t, r); m["latest_allowed_date"] != "2026-07-08" {
			t.Errorf("latest %v", m)
		}
		f.allow(t, other, tools.ProposeDateChange, `{"new_date":"2026-07-08"}`, "date_change")
		if got := f.account(t, "CR-0001").NextDueDate.String(); got != "2026-07-08" {
			t.Errorf("next due date %s", got)
		}
	})

	t.Run("no due date on file", func(t *testing.T) {
		f := newFixture(t)
		e := f.verified(t, carlosPhone)
		f.refuse(t, e, tools.ProposeDateChange, `{"new_date":"2026-04-10","account_id":"100123"}`, "date_change_max_days")
		f.refuse(t, e, tools.ProposeDateChange, `{"new_date":"2026-04-09"}`, "account_required")
		f.allow(t, e, tools.ProposeDateChange, `{"new_date":"2026-04-09","account_id":"100123"}`, "date_change")
		if got := f.account(t, "100123").NextDueDate.String(); got != "2026-04-09" {
			t.Errorf("next due date %s", got)
		}
		if got := f.account(t, "CR-9876").NextDueDate; !got.IsZero() {
			t.Errorf("the other account moved to %s", got)
		}
	})
}

// TestProposePause: 1 to 30 days, once per 12 months.
func TestProposePause(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.verified(t, anaPhone)
	acct := f.account(t, "CR-0001")
	for _, days := range []int{31, 60, 365, 366} {
		r := f.refuse(t, e, tools.ProposePause, fmt.Sprintf(`{"days":%d}`, days), "pause_days")
		if !strings.Contains(r.Message, "1 to 30 days") {
			t.Errorf("%d days: %s", days, r.Message)
		}
	}
	r := f.allow(t, e, tools.ProposePause, `{"days":30}`, "pause")
	if m := data(t, r); m["paused_until"] != "2026-04-09" || m["account_id"] != "CR-0001" {
		t.Errorf("data %v", m)
	}
	if d, err := f.db.PausedUntil(f.ctx, acct.ID); err != nil || d.String() != "2026-04-09" {
		t.Errorf("paused until %v, %v", d, err)
	}
	if n := f.count(t, "negotiations", "kind = 'pause' AND account_id = ? AND new_value = '2026-04-09'", acct.ID); n != 1 {
		t.Errorf("%d pauses recorded", n)
	}
	// The conversation itself is not paused: the debtor can still talk to the bot.
	if c, _ := f.db.ConversationByID(f.ctx, e.Conv.ID); c.Paused || e.Conv.Paused {
		t.Error("a pause of collection paused the conversation")
	}

	other := f.verified(t, anaPhone)
	for _, c := range []struct {
		at   time.Time
		days int
	}{{t0, 1}, {t0.Add(day(31)), 10}, {time.Date(2027, 3, 10, 4, 0, 0, 0, time.UTC), 10}} {
		f.clock.Set(c.at)
		r := f.refuse(t, other, tools.ProposePause, fmt.Sprintf(`{"days":%d}`, c.days), "pause_frequency")
		if !strings.Contains(r.Message, "2027-03-10") {
			t.Errorf("at %v: %s", c.at, r.Message)
		}
	}
	f.clock.Set(t0.Add(day(40)))
	opts := accounts(t, f.allow(t, other, tools.LookupDebt, `{}`, "allowed"))["CR-0001"]["options"].(map[string]any)
	if opts["max_pause_days"] != nil || opts["pause"] == nil {
		t.Errorf("options %v after a pause", opts)
	}
	// Twelve months after the last pause, in Bogotá.
	f.clock.Set(time.Date(2027, 3, 10, 15, 0, 0, 0, time.UTC))
	f.allow(t, other, tools.ProposePause, `{"days":1}`, "pause")
	if d, _ := f.db.PausedUntil(f.ctx, acct.ID); d.String() != "2027-03-11" {
		t.Errorf("paused until %v", d)
	}
}

type planData struct {
	id, total string
	amounts   []acuerdo.Money
	dates     []acuerdo.Date
}

func plan(tb testing.TB, r tools.Result) planData {
	tb.Helper()
	m := data(tb, r)
	p := planData{id: m["plan_id"].(string), total: m["total"].(string)}
	list, ok := m["installments"].([]any)
	if !ok {
		tb.Fatalf("no installments in %s", r.JSON())
	}
	for _, in := range list {
		// Each installment is "YYYY-MM-DD amount".
		s, _ := in.(string)
		date, amount, ok := strings.Cut(s, " ")
		if !ok {
			tb.Fatalf("installment %v in %s", in, r.JSON())
		}
		p.amounts = append(p.amounts, mustMoney(tb, amount))
		p.dates = append(p.dates, mustDate(tb, date))
	}
	return p
}

// TestOfferPaymentPlan: 2 to 12 monthly installments summing to the
// outstanding balance to the cent, the first at least 10 % and due in a week.
func TestOfferPaymentPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.verified(t, anaPhone)
	outstanding := int64(85000007)
	for _, n := range []int{1, 13, 60} {
		r := f.refuse(t, e, tools.OfferPaymentPlan, fmt.Sprintf(`{"installments":%d}`, n), "plan_installments")
		if !strings.Contains(r.Message, "2 to 12") {
			t.Errorf("%d: %s", n, r.Message)
		}
	}
	for _, n := range []int{2, 3, 7, 11, 12} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			r := f.allow(t, e, tools.OfferPaymentPlan, fmt.Sprintf(`{"installments":%d}`, n), "plan")
			p := plan(t, r)
			if len(p.amounts) != n || p.total != "850000.07" {
				t.Fatalf("%d installments, total %s", len(p.amounts), p.total)
			}
			var sum int64
			for i, a := range p.amounts {
				if a.Amount <= 0 {
					t.Errorf("installment %d is %v", i+1, a)
				}
				sum += a.Amount
				want := acuerdo.Date{Year: 2026, Month: time.March + time.Month(i), Day: 17}
				want = acuerdo.DateOf(want.Time(time.UTC)) // normalize past December
				if p.dates[i] != want {
					t.Errorf("installment %d due %s, want %s", i+1, p.dates[i], want)
				}
			}
			if sum != outstanding {
				t.Errorf("installments sum to %d, want %d", sum, outstanding)
			}
			if p.amounts[0].Amount*10 < outstanding {
				t.Errorf("first installment %v below 10 %%", p.amounts[0])
			}
			// The schedule is stored as offered, in this conversation, not yet binding.
			id, _ := strconv.ParseInt(p.id, 10, 64)
			stored, err := f.db.Plan(f.ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != acuerdo.PlanOffered || stored.ConversationID != e.Conv.ID || stored.Total.Amount != outstanding || len(stored.Installments) != n {
				t.Errorf("stored plan %+v", stored)
			}
			for i, in := range stored.Installments {
				if in.Amount != p.amounts[i] || in.DueDate != p.dates[i] {
					t.Errorf("stored installment %d %+v, offered %v on %s", i+1, in, p.amounts[i], p.dates[i])
				}
			}
			if n := f.count(t, "installments", "plan_id = ?", id); n != 0 {
				t.Errorf("%d installments scheduled before acceptance", n)
			}
			if len(r.Facts.PlanIDs) != 1 || r.Facts.PlanIDs[0] != p.id || len(r.Facts.Amounts) != n+1 {
				t.Errorf("facts %+v", r.Facts)
			}
		})
	}

	t.Run("an odd balance", func(t *testing.T) {
		for _, tc := range []struct {
			balance string
			n       int
			want    []int64
		}{
			{"0.11", 2, []int64{6, 5}},
			{"0.02", 2, []int64{1, 1}},
			{"1000.00", 3, []int64{33334, 33333, 33333}},
			{"1000.00", 12, []int64{10009, 8181, 8181, 8181, 8181, 8181, 8181, 8181, 8181, 8181, 8181, 8181}},
		} {
			f := newFixture(t)
			f.clock.Set(importTime.Add(time.Hour))
			reimport(t, f, "CR-5555,+573215550000,Luz Dary Peña,"+tc.balance+",,,0")
			f.clock.Set(t0)
			e := f.verified(t, luzPhone)
			p := plan(t, f.allow(t, e, tools.OfferPaymentPlan, fmt.Sprintf(`{"installments":%d}`, tc.n), "plan"))
			var got []int64
			for _, a := range p.amounts {
				got = append(got, a.Amount)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s in %d: %v, want %v", tc.balance, tc.n, got, tc.want)
			}
		}
	})

	t.Run("too small to split", func(t *testing.T) {
		f := newFixture(t)
		f.clock.Set(importTime.Add(time.Hour))
		reimport(t, f, "CR-5555,+573215550000,Luz Dary Peña,0.01,,,0")
		f.clock.Set(t0)
		e := f.verified(t, luzPhone)
		f.refuse(t, e, tools.OfferPaymentPlan, `{"installments":2}`, "plan_sum")
	})

	t.Run("nothing to split", func(t *testing.T) {
		f.refuse(t, f.verified(t, pedroPhone), tools.OfferPaymentPlan, `{"installments":2}`, "nothing_to_pay")
		f.refuse(t, f.verified(t, carlosPhone), tools.OfferPaymentPlan, `{"installments":2,"account_id":"CR-9876"}`, "nothing_to_pay")
		f.refuse(t, f.verified(t, carlosPhone), tools.OfferPaymentPlan, `{"installments":2}`, "account_required")
	})
}

func TestAcceptPaymentPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.verified(t, anaPhone)
	p := plan(t, f.allow(t, e, tools.OfferPaymentPlan, `{"installments":3}`, "plan"))
	id, _ := strconv.ParseInt(p.id, 10, 64)

	// A plan of another conversation, of the same debtor or another, is unknown here.
	sameDebtor := f.verified(t, anaPhone)
	luz := f.verified(t, luzPhone)
	for _, other := range []*tools.Env{sameDebtor, luz} {
		r := f.refuse(t, other, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "unknown_plan")
		if strings.Contains(r.JSON(), "850000") {
			t.Errorf("another conversation's plan disclosed: %s", r.JSON())
		}
	}
	for _, unknown := range []string{"0", "999", "999999999999", "000"} {
		f.refuse(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, unknown), "unknown_plan")
	}

	r := f.allow(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "plan_accepted")
	if m := data(t, r); m["accepted"] != true || m["plan_id"] != p.id {
		t.Errorf("data %v", m)
	}
	if len(r.Facts.Amounts) != 3 || len(r.Facts.Dates) != 3 || r.Facts.PlanIDs[0] != p.id {
		t.Errorf("facts %+v", r.Facts)
	}
	stored, err := f.db.Plan(f.ctx, id)
	if err != nil || stored.Status != acuerdo.PlanAccepted || stored.AcceptedAt == nil {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	if n := f.count(t, "installments", "plan_id = ? AND status = 'due'", id); n != 3 {
		t.Errorf("%d installments scheduled, want 3", n)
	}
	var sum int64
	if err := f.raw.QueryRow(`SELECT SUM(amount) FROM installments WHERE plan_id = ?`, id).Scan(&sum); err != nil || sum != 85000007 {
		t.Errorf("scheduled installments sum to %d, %v", sum, err)
	}

	// Accepting twice, with the id written differently too, binds nothing more.
	for _, again := range []string{p.id, "0" + p.id} {
		f.refuse(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, again), "plan_already_accepted")
	}
	// Another conversation still cannot see it.
	f.refuse(t, sameDebtor, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "unknown_plan")

	t.Run("expired", func(t *testing.T) {
		f := newFixture(t)
		e := f.verified(t, anaPhone)
		p := plan(t, f.allow(t, e, tools.OfferPaymentPlan, `{"installments":2}`, "plan"))
		f.clock.Set(t0.Add(7*24*time.Hour + time.Second))
		f.refuse(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "plan_expired")
		f.clock.Set(t0.Add(7 * 24 * time.Hour))
		f.allow(t, e, tools.AcceptPaymentPlan, fmt.Sprintf(`{"plan_id":%q}`, p.id), "plan_accepted")
	})
}

// TestRecordPromiseToPay: an amount more than 0 and at most the balance, on a
// date from today to 30 days out.
func TestRecordPromiseToPay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ana := f.verified(t, anaPhone)
	acct := f.account(t, "CR-0001")
	for _, tc := range []struct {
		name, amount, date, rule string
	}{
		{"yesterday", "1000", "2026-03-09", "promise_date"},
		{"31 days out", "1000", "2026-04-10", "promise_date"},
		{"next year", "1000", "2027-03-10", "promise_date"},
		{"a cent above the balance", "850000.08", "2026-03-15", "amount_out_of_range"},
		{"the reported balance, before payments", "1000000.07", "2026-03-15", "amount_out_of_range"},
		{"zero", "0", "2026-03-15", "amount_out_of_range"},
		{"zero cents", "0.00", "2026-03-15", "amount_out_of_range"},
		{"three decimals", "10.001", "2026-03-15", "invalid_amount"},
		{"no such day", "1000", "2026-02-29", "invalid_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.refuse(t, ana, tools.RecordPromiseToPay, fmt.Sprintf(`{"amount":%q,"date":%q}`, tc.amount, tc.date), tc.rule)
			if tc.rule == "promise_date" && !strings.Contains(r.Message, "2026-03-10 and 2026-04-09") {
				t.Errorf("message %q", r.Message)
			}
		})
	}
	for _, tc := range []struct{ amount, date, want string }{
		{"1000", "2026-03-10", "1000.00"},
		{"850000.07", "2026-04-09", "850000.07"},
		{"0.01", "2026-03-20", "0.01"},
	} {
		r := f.allow(t, ana, tools.RecordPromiseToPay, fmt.Sprintf(`{"amount":%q,"date":%q}`, tc.amount, tc.date), "promise")
		if m := data(t, r); m["amount"] != tc.want || m["date"] != tc.date || m["promise_id"] == nil {
			t.Errorf("data %v", m)
		}
		ps, err := f.db.Promises(f.ctx, acct.ID)
		if err != nil || len(ps) == 0 {
			t.Fatal(ps, err)
		}
		if p := ps[0]; p.Amount != mustMoney(t, tc.want) || p.DueDate.String() != tc.date || p.Status != acuerdo.PromisePending || p.ConversationID != ana.Conv.ID {
			t.Errorf("stored promise %+v", p)
		}
	}

	t.Run("unknown balance", func(t *testing.T) {
		e := f.verified(t, carlosPhone)
		f.allow(t, e, tools.RecordPromiseToPay, `{"amount":"99999999","date":"2026-03-31","account_id":"CR-9876"}`, "promise")
		f.refuse(t, e, tools.RecordPromiseToPay, `{"amount":"500000.01","date":"2026-03-31","account_id":"100123"}`, "amount_out_of_range")
		f.refuse(t, e, tools.RecordPromiseToPay, `{"amount":"1000","date":"2026-03-31"}`, "account_required")
	})
	t.Run("paid in full", func(t *testing.T) {
		f.refuse(t, f.verified(t, pedroPhone), tools.RecordPromiseToPay, `{"amount":"1","date":"2026-03-31"}`, "amount_out_of_range")
	})
	t.Run("the debtor's today", func(t *testing.T) {
		// 03:00 UTC on the 11th is 22:00 on the 10th in Bogotá: the 10th is today.
		f.clock.Set(time.Date(2026, 3, 11, 3, 0, 0, 0, time.UTC))
		defer f.clock.Set(t0)
		f.allow(t, ana, tools.RecordPromiseToPay, `{"amount":"1000","date":"2026-03-10"}`, "promise")
		f.refuse(t, ana, tools.RecordPromiseToPay, `{"amount":"1000","date":"2026-04-10"}`, "promise_date")
	})
}
