package tools_test

import (
	"fmt"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/tools"
)

// accountCalls are schema-valid calls of every tool that touches an account.
var accountCalls = []struct{ tool, args string }{
	{tools.LookupDebt, `{}`},
	{tools.LookupDebt, `null`},
	{tools.LookupDebt, `{"account_id":"CR-0001"}`},
	{tools.LookupDebt, `{"account_id":"100123"}`},
	{tools.SendPaymentLink, `{"scope":"total"}`},
	{tools.SendPaymentLink, `{"scope":"overdue"}`},
	{tools.SendPaymentLink, `{"scope":"installment","account_id":"CR-0001"}`},
	{tools.SendPaymentLink, `{"scope":"custom","amount":"1000"}`},
	{tools.ProposeDateChange, `{"new_date":"2026-03-25"}`},
	{tools.ProposePause, `{"days":10}`},
	{tools.OfferPaymentPlan, `{"installments":3}`},
	{tools.AcceptPaymentPlan, `{"plan_id":"1"}`},
	{tools.RecordPromiseToPay, `{"amount":"1000","date":"2026-03-15"}`},
}

// secrets are details of the portfolio no refusal may show.
var secrets = []string{"850000", "1000000", "500000", "200000", "100000", "CR-0001", "100123", "CR-9876", "2026-03-20", "4050", "0123", "9876", "Ana", "Carlos"}

func noDisclosure(tb testing.TB, what string, r tools.Result) {
	tb.Helper()
	for _, s := range append([]string{r.JSON(), r.Message}, r.Facts.URLs...) {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				tb.Errorf("%s discloses %q: %s", what, secret, s)
			}
		}
	}
	if r.Data != nil || len(r.Facts.Amounts)+len(r.Facts.Dates)+len(r.Facts.URLs)+len(r.Facts.PlanIDs) > 0 {
		tb.Errorf("%s: refusal carries data %v or facts %+v", what, r.Data, r.Facts)
	}
}

// TestIdentityBeforeDisclosure: no account tool says or does anything before
// verify_identity succeeds, whoever asks.
func TestIdentityBeforeDisclosure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A plan exists, offered in a verified conversation of the same debtor.
	other := f.verified(t, anaPhone)
	f.allow(t, other, tools.OfferPaymentPlan, `{"installments":3}`, "plan")

	fresh := f.env(t, anaPhone)
	multi := f.env(t, carlosPhone)
	failed := f.env(t, anaPhone)
	f.call(t, failed, tools.VerifyIdentity, `{"document_last4":"9999"}`)
	stranger := f.env(t, strangerPhone)
	for _, c := range accountCalls {
		t.Run(c.tool+" "+c.args, func(t *testing.T) {
			for _, who := range []struct {
				name string
				e    *tools.Env
				rule string
			}{
				{"unverified", fresh, "identity_before_disclosure"},
				{"unverified with several accounts", multi, "identity_before_disclosure"},
				{"after a wrong answer", failed, "identity_before_disclosure"},
				{"number not in the portfolio", stranger, "no_debtor"},
			} {
				r := f.refuse(t, who.e, c.tool, c.args, who.rule)
				noDisclosure(t, who.name, r)
				if m := data(t, r); m["refused_by"] != who.rule {
					t.Errorf("%s: the model sees %v", who.name, m)
				}
			}
		})
	}
	if fresh.Conv.Verified || multi.Conv.Verified || failed.Conv.Verified {
		t.Error("a refused call verified a conversation")
	}
	// Being verified in one conversation does not open another of the same debtor.
	if !other.Conv.Verified {
		t.Fatal("the other conversation lost its verification")
	}
}

func TestVerifyIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, phone, given string
		ok                 bool
	}{
		{"document last four", anaPhone, "4050", true},
		{"account last four ignored when a document is on file", anaPhone, "0001", false},
		{"full document is not the answer", anaPhone, "3040", false},
		{"no document: first account", carlosPhone, "0123", true},
		{"no document: second account", carlosPhone, "9876", true},
		{"no document: wrong", carlosPhone, "1234", false},
		{"no document: another debtor's account", carlosPhone, "0001", false},
		{"other debtor's document", luzPhone, "4050", false},
		{"luz", luzPhone, "5123", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			e := f.env(t, tc.phone)
			args := fmt.Sprintf(`{"document_last4":%q}`, tc.given)
			if !tc.ok {
				r, a := f.call(t, e, tools.VerifyIdentity, args)
				if r.OK || r.Rule != "identity_mismatch" || a.Rule != "identity_mismatch" || a.Outcome != acuerdo.Refused {
					t.Fatalf("result %+v, audit %+v; want identity_mismatch", r, a)
				}
				noDisclosure(t, "mismatch", r)
				if e.Conv.Verified || e.Conv.FailedChecks != 1 {
					t.Errorf("conversation %+v after a mismatch", e.Conv)
				}
				return
			}
			r := f.allow(t, e, tools.VerifyIdentity, args, "identity_verified")
			stored, err := f.db.ConversationByID(f.ctx, e.Conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []acuerdo.Conversation{*e.Conv, stored} {
				if !c.Verified || c.VerifiedAt == nil || !c.VerifiedAt.Equal(t0) || c.FailedChecks != 0 {
					t.Errorf("conversation %+v; want verified at %v", c, t0)
				}
			}
			if m := data(t, r); m["verified"] != true || m["first_name"] == "" || strings.Contains(fmt.Sprint(m), "Pérez") || strings.Contains(fmt.Sprint(m), "Gómez") {
				t.Errorf("the model sees %v", m)
			}
			// Once verified, account tools work.
			f.allow(t, e, tools.LookupDebt, `{}`, "allowed")
			// Verifying again is a no-op.
			before := f.snapshot(t, e)
			r = f.allow(t, e, tools.VerifyIdentity, `{"document_last4":"0000"}`, "allowed")
			if r.Message != "already verified" {
				t.Errorf("second verification: %+v", r)
			}
			before.same(t, f, e, "second verify_identity")
		})
	}
}

func TestVerifyIdentityCaseInsensitive(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A document with letters, as some countries have.
	d, err := f.db.DebtorByPhone(f.ctx, luzPhone)
	if err != nil {
		t.Fatal(err)
	}
	d.DocumentID = "X12ab9z"
	e := f.env(t, luzPhone)
	e.Debtor = &d
	f.allow(t, e, tools.VerifyIdentity, `{"document_last4":"ab9Z"}`, "identity_verified")
}

// TestIdentityLockout: three wrong answers lock verification for the
// conversation; the right answer then no longer works and nothing changes.
func TestIdentityLockout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.env(t, anaPhone)
	for i := 1; i <= 3; i++ {
		r, a := f.call(t, e, tools.VerifyIdentity, `{"document_last4":"1111"}`)
		if r.OK || r.Rule != "identity_mismatch" || a.Rule != "identity_mismatch" {
			t.Fatalf("try %d: %+v", i, r)
		}
		if want := fmt.Sprintf("%d tries left", 3-i); !strings.Contains(r.Message, want) {
			t.Errorf("try %d: message %q; want %q", i, r.Message, want)
		}
		stored, err := f.db.ConversationByID(f.ctx, e.Conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Conv.FailedChecks != i || stored.FailedChecks != i || stored.Verified {
			t.Errorf("try %d: failed checks %d in memory, %d stored", i, e.Conv.FailedChecks, stored.FailedChecks)
		}
	}
	for _, given := range []string{"4050", "1111"} {
		r := f.refuse(t, e, tools.VerifyIdentity, fmt.Sprintf(`{"document_last4":%q}`, given), "identity_locked")
		noDisclosure(t, "locked", r)
	}
	f.refuse(t, e, tools.LookupDebt, `{}`, "identity_before_disclosure")

	// A wrong answer, then the right one, resets the count.
	e2 := f.env(t, anaPhone)
	f.call(t, e2, tools.VerifyIdentity, `{"document_last4":"1111"}`)
	f.call(t, e2, tools.VerifyIdentity, `{"document_last4":"2222"}`)
	f.allow(t, e2, tools.VerifyIdentity, `{"document_last4":"4050"}`, "identity_verified")
	if stored, _ := f.db.ConversationByID(f.ctx, e2.Conv.ID); stored.FailedChecks != 0 || !stored.Verified {
		t.Errorf("stored %+v after a right answer", stored)
	}
}

func TestVerifyIdentityStranger(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.env(t, strangerPhone)
	f.refuse(t, e, tools.VerifyIdentity, `{"document_last4":"4050"}`, "no_debtor")
}
