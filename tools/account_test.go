package tools_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/store"
	"acuerdo/tools"
)

func accounts(tb testing.TB, r tools.Result) map[string]map[string]any {
	tb.Helper()
	m := data(tb, r)
	list, ok := m["accounts"].([]any)
	if !ok {
		tb.Fatalf("no accounts in %v", m)
	}
	out := map[string]map[string]any{}
	for _, a := range list {
		a := a.(map[string]any)
		out[a["account_id"].(string)] = a
	}
	return out
}

// TestLookupDebt: the outstanding balance is the reported balance less the
// payments made after it was reported; overdue is one installment per started
// 30 days past due (the whole balance without an installment amount); and the
// options are what policy allows today.
func TestLookupDebt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	t.Run("one account", func(t *testing.T) {
		e := f.verified(t, anaPhone)
		for _, args := range []string{`{}`, ``, `null`, `{"account_id":"CR-0001"}`, `{"account_id":" CR-0001 "}`} {
			r := f.allow(t, e, tools.LookupDebt, args, "allowed")
			m := data(t, r)
			if m["today"] != "2026-03-10" {
				t.Errorf("today %v", m["today"])
			}
			got := accounts(t, r)
			want := map[string]map[string]any{"CR-0001": {
				"account_id": "CR-0001", "currency": "COP", "days_past_due": float64(45),
				"balance": "850000.07", "overdue": "200000.00", "installment": "100000.00", "next_due_date": "2026-03-20",
				"options": map[string]any{"latest_new_due_date": "2026-04-19", "max_pause_days": float64(30), "plan_installments": "2-12"},
			}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: accounts\n%v\nwant\n%v", args, got, want)
			}
			// Every amount and date shown is a fact the reply may repeat.
			facts := fmt.Sprint(r.Facts.Amounts, r.Facts.Dates)
			for _, s := range []string{"850000.07", "200000.00", "100000.00", "2026-03-20", "2026-04-19"} {
				if !strings.Contains(facts, s) {
					t.Errorf("facts %s lack %s", facts, s)
				}
			}
		}
	})

	t.Run("several accounts, one of unknown balance", func(t *testing.T) {
		e := f.verified(t, carlosPhone)
		r := f.allow(t, e, tools.LookupDebt, `{}`, "allowed")
		got := accounts(t, r)
		want := map[string]map[string]any{
			"100123": {"account_id": "100123", "currency": "COP", "days_past_due": float64(10),
				"balance": "500000.00", "overdue": "500000.00",
				"options": map[string]any{"latest_new_due_date": "2026-04-09", "max_pause_days": float64(30), "plan_installments": "2-12"}},
			"CR-9876": {"account_id": "CR-9876", "currency": "COP", "days_past_due": float64(0), "balance": "unknown",
				"options": map[string]any{"latest_new_due_date": "2026-04-09", "max_pause_days": float64(30)}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("accounts\n%v\nwant\n%v", got, want)
		}
		r = f.allow(t, e, tools.LookupDebt, `{"account_id":"CR-9876"}`, "allowed")
		if got := accounts(t, r); len(got) != 1 || got["CR-9876"] == nil {
			t.Errorf("account_id CR-9876: %v", got)
		}
		// Another debtor's account is as unknown as one that does not exist.
		for _, ref := range []string{"CR-0001", "CR-4242"} {
			r := f.refuse(t, e, tools.LookupDebt, fmt.Sprintf(`{"account_id":%q}`, ref), "unknown_account")
			if strings.Contains(r.JSON(), "850000") {
				t.Errorf("another debtor's balance disclosed: %s", r.JSON())
			}
		}
	})

	t.Run("paid in full, not past due", func(t *testing.T) {
		e := f.verified(t, pedroPhone)
		got := accounts(t, f.allow(t, e, tools.LookupDebt, `{}`, "allowed"))["CR-7777"]
		if got["balance"] != "0.00" || got["overdue"] != "0.00" || got["options"].(map[string]any)["plan_installments"] != nil {
			t.Errorf("overpaid account: %v", got)
		}
		e = f.verified(t, luzPhone)
		got = accounts(t, f.allow(t, e, tools.LookupDebt, `{}`, "allowed"))["CR-5555"]
		if got["balance"] != "300000.00" || got["overdue"] != "0.00" || got["installment"] != "50000.00" {
			t.Errorf("current account: %v", got)
		}
	})

	t.Run("today is the debtor's date", func(t *testing.T) {
		// 03:00 UTC on the 11th is still the 10th in Bogotá.
		f.clock.Set(time.Date(2026, 3, 11, 3, 0, 0, 0, time.UTC))
		defer f.clock.Set(t0)
		e := f.verified(t, carlosPhone)
		r := f.allow(t, e, tools.LookupDebt, `{}`, "allowed")
		if m := data(t, r); m["today"] != "2026-03-10" {
			t.Errorf("today %v", m["today"])
		}
		if got := accounts(t, r)["100123"]["options"].(map[string]any)["latest_new_due_date"]; got != "2026-04-09" {
			t.Errorf("latest new due date %v", got)
		}
	})
}

// TestOverdueEstimate: one installment per started 30 days past due, capped at
// what is outstanding.
func TestOverdueEstimate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dpd  string
		want string
	}{
		{"0", "0.00"}, {"1", "100000.00"}, {"30", "100000.00"}, {"31", "200000.00"}, {"60", "200000.00"},
		{"61", "300000.00"}, {"240", "800000.00"}, {"241", "850000.07"}, {"1000", "850000.07"},
	} {
		t.Run(tc.dpd, func(t *testing.T) {
			f := newFixture(t)
			f.clock.Set(importTime.Add(time.Hour))
			reimport(t, f, "CR-0001,+573001234567,Ana María Pérez,,,,"+tc.dpd)
			f.clock.Set(t0)
			e := f.verified(t, anaPhone)
			got := accounts(t, f.allow(t, e, tools.LookupDebt, `{}`, "allowed"))["CR-0001"]
			if got["overdue"] != tc.want || got["balance"] != "850000.07" {
				t.Errorf("%s days past due: overdue %v, balance %v; want %s", tc.dpd, got["overdue"], got["balance"], tc.want)
			}
		})
	}
}

// reimport updates accounts from portfolio rows with the columns
// Credito,Numero,Nombre,Saldo,Cuota,Vencimiento,Dias mora.
func reimport(tb testing.TB, f *fixture, rows ...string) {
	tb.Helper()
	csv := "Credito,Numero,Nombre,Saldo,Cuota,Vencimiento,Dias mora\n" + strings.Join(rows, "\n") + "\n"
	if err := importCSV(f, csv); err != nil {
		tb.Fatal(err)
	}
}

// TestSendPaymentLink: each scope links the exact amount, the link verifies,
// and a custom amount must be more than 0 and at most the balance.
func TestSendPaymentLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ana := f.verified(t, anaPhone)
	for _, tc := range []struct {
		name, args, amount string
	}{
		{"total", `{"scope":"total"}`, "850000.07"},
		{"total, account named", `{"scope":"total","account_id":"CR-0001"}`, "850000.07"},
		{"overdue", `{"scope":"overdue"}`, "200000.00"},
		{"installment", `{"scope":"installment"}`, "100000.00"},
		{"custom", `{"scope":"custom","amount":"150000"}`, "150000.00"},
		{"custom, one decimal", `{"scope":"custom","amount":"1234.5"}`, "1234.50"},
		{"custom, cents", `{"scope":"custom","amount":"0.01"}`, "0.01"},
		{"custom, the whole balance", `{"scope":"custom","amount":"850000.07"}`, "850000.07"},
		{"custom, leading zeros", `{"scope":"custom","amount":"000150000.00"}`, "150000.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snapshot(t, ana)
			r := f.allow(t, ana, tools.SendPaymentLink, tc.args, "allowed")
			before.wroteOnly(t, f, tc.name, "INSERT events") // a link stores only the creditor's event
			m := data(t, r)
			link, _ := m["url"].(string)
			if m["amount"] != tc.amount || m["currency"] != "COP" || m["account_id"] != "CR-0001" {
				t.Errorf("data %v; want amount %s", m, tc.amount)
			}
			if err := f.links.Verify(link); err != nil {
				t.Fatalf("link %s does not verify: %v", link, err)
			}
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("amount") != tc.amount || q.Get("currency") != "COP" || q.Get("ref") != "CR-0001" {
				t.Errorf("link %s; want amount %s COP for CR-0001", link, tc.amount)
			}
			if exp := fmt.Sprint(t0.Add(72 * time.Hour).Unix()); q.Get("exp") != exp {
				t.Errorf("link expires %s, want %s", q.Get("exp"), exp)
			}
			want := mustMoney(t, tc.amount)
			if !reflect.DeepEqual(r.Facts.Amounts, []acuerdo.Money{want}) || !reflect.DeepEqual(r.Facts.URLs, []string{link}) {
				t.Errorf("facts %+v", r.Facts)
			}
			// The link is bound to its amount: edited, it no longer verifies.
			q.Set("amount", "1.00")
			u.RawQuery = q.Encode()
			if err := f.links.Verify(u.String()); err == nil {
				t.Errorf("an edited link verifies: %s", u)
			}
		})
	}

	for _, tc := range []struct {
		name, phone, args, rule string
	}{
		{"custom zero", anaPhone, `{"scope":"custom","amount":"0"}`, "amount_out_of_range"},
		{"custom zero with decimals", anaPhone, `{"scope":"custom","amount":"0.00"}`, "amount_out_of_range"},
		{"custom a cent above the balance", anaPhone, `{"scope":"custom","amount":"850000.08"}`, "amount_out_of_range"},
		{"custom the reported balance, before payments", anaPhone, `{"scope":"custom","amount":"1000000.07"}`, "amount_out_of_range"},
		{"custom far above", anaPhone, `{"scope":"custom","amount":"999999999999999"}`, "amount_out_of_range"},
		{"custom three decimals for COP", anaPhone, `{"scope":"custom","amount":"100.001"}`, "invalid_amount"},
		{"custom without amount", anaPhone, `{"scope":"custom"}`, "amount_required"},
		{"other debtor's account", anaPhone, `{"scope":"total","account_id":"100123"}`, "unknown_account"},
		{"several accounts, none named", carlosPhone, `{"scope":"total"}`, "account_required"},
		{"unknown balance", carlosPhone, `{"scope":"total","account_id":"CR-9876"}`, "nothing_to_pay"},
		{"unknown balance, custom", carlosPhone, `{"scope":"custom","amount":"1000","account_id":"CR-9876"}`, "nothing_to_pay"},
		{"no installment amount", carlosPhone, `{"scope":"installment","account_id":"100123"}`, "no_installment"},
		{"nothing overdue", luzPhone, `{"scope":"overdue"}`, "nothing_overdue"},
		{"paid in full", pedroPhone, `{"scope":"total"}`, "nothing_to_pay"},
		{"paid in full, custom", pedroPhone, `{"scope":"custom","amount":"1"}`, "nothing_to_pay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ana
			if tc.phone != anaPhone {
				e = f.verified(t, tc.phone)
			}
			r := f.refuse(t, e, tools.SendPaymentLink, tc.args, tc.rule)
			if len(r.Facts.URLs) > 0 || strings.Contains(r.JSON(), "http") {
				t.Errorf("refusal carries a link: %s", r.JSON())
			}
			if tc.rule == "account_required" && !strings.Contains(r.Message, "100123") {
				t.Errorf("account_required does not list the accounts: %s", r.Message)
			}
		})
	}

	t.Run("several accounts, one named", func(t *testing.T) {
		e := f.verified(t, carlosPhone)
		r := f.allow(t, e, tools.SendPaymentLink, `{"scope":"overdue","account_id":"100123"}`, "allowed")
		if m := data(t, r); m["amount"] != "500000.00" || m["account_id"] != "100123" {
			t.Errorf("data %v", m)
		}
	})

	t.Run("installment capped at the balance", func(t *testing.T) {
		f := newFixture(t)
		f.clock.Set(importTime.Add(time.Hour))
		reimport(t, f, "CR-5555,+573215550000,Luz Dary Peña,30000.50,50000,,0")
		f.clock.Set(t0)
		e := f.verified(t, luzPhone)
		r := f.allow(t, e, tools.SendPaymentLink, `{"scope":"installment"}`, "allowed")
		if m := data(t, r); m["amount"] != "30000.50" {
			t.Errorf("data %v", m)
		}
	})
}

type failingLinks struct{}

func (failingLinks) Link(context.Context, paylink.Request) (string, error) {
	return "", errors.New("provider down")
}

type failingStore struct {
	*store.DB
}

func (failingStore) OfferPlan(context.Context, acuerdo.Plan, ...acuerdo.AuditEntry) (acuerdo.Plan, error) {
	return acuerdo.Plan{}, errors.New("disk full")
}

// TestToolError: a failure below the tools is an error result, audited with
// outcome error, and changes nothing.
func TestToolError(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, func(db *store.DB) tools.Store { return failingStore{db} })
	e := f.verified(t, anaPhone)
	r := f.refuse(t, e, tools.OfferPaymentPlan, `{"installments":3}`, "tool_error")
	_, a := f.call(t, e, tools.OfferPaymentPlan, `{"installments":4}`)
	if a.Outcome != acuerdo.Failed || a.Rule != "tool_error" || !strings.Contains(a.Detail, "disk full") {
		t.Errorf("audit %+v", a)
	}
	if strings.Contains(r.JSON(), "disk full") {
		t.Errorf("the model sees the internal error: %s", r.JSON())
	}

	f.set.Links = failingLinks{}
	f.refuse(t, e, tools.SendPaymentLink, `{"scope":"total"}`, "tool_error")
}
