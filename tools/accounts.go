package tools

import (
	"context"
	"fmt"
	"strings"
	"time"

	"acuerdo"
)

// position is an account as the debtor owes it now.
type position struct {
	acuerdo.Account
	Outstanding acuerdo.Money // balance less payments since the balance was reported
	Overdue     acuerdo.Money
}

// positions returns the debtor's open accounts with what is owed on each.
func (s *Set) positions(ctx context.Context, debtorID int64) ([]position, error) {
	accts, err := s.Store.Accounts(ctx, debtorID)
	if err != nil {
		return nil, err
	}
	var out []position
	for _, a := range accts {
		if a.Status != acuerdo.AccountOpen {
			continue
		}
		p := position{Account: a}
		cur := a.InstallmentAmount.Currency
		if a.Balance != nil {
			paid, err := s.Store.CollectedSince(ctx, a.ID, a.BalanceAsOf)
			if err != nil {
				return nil, err
			}
			p.Outstanding = acuerdo.Money{Amount: max(0, a.Balance.Amount-paid), Currency: a.Balance.Currency}
		} else {
			p.Outstanding = acuerdo.Money{Currency: cur}
		}
		p.Overdue = overdue(p)
		out = append(out, p)
	}
	return out, nil
}

// overdue estimates what is past due: one installment per started 30 days past
// due, capped at the balance. Without an installment amount an overdue account
// is overdue in full.
func overdue(p position) acuerdo.Money {
	m := acuerdo.Money{Currency: p.Outstanding.Currency}
	if p.DaysPastDue <= 0 {
		return m
	}
	if p.InstallmentAmount.Amount <= 0 {
		m.Amount = p.Outstanding.Amount
		return m
	}
	n := int64((p.DaysPastDue + 29) / 30)
	m.Amount = min(p.Outstanding.Amount, n*p.InstallmentAmount.Amount)
	return m
}

// account picks the account a call is about: the one named by account_id (the
// creditor's reference), or the only open one.
func (s *Set) account(ctx context.Context, c *call) (position, *Result, error) {
	if r := gate(c); r != nil {
		return position{}, r, nil
	}
	ps, err := s.positions(ctx, c.Debtor.ID)
	if err != nil {
		return position{}, nil, err
	}
	if len(ps) == 0 {
		r := Result{Rule: "no_open_account", Message: "the debtor has no open account"}
		return position{}, &r, nil
	}
	want := argString(c.args, "account_id")
	if want == "" {
		if len(ps) == 1 {
			return ps[0], nil, nil
		}
		refs := make([]string, len(ps))
		for i, p := range ps {
			refs[i] = p.Ref
		}
		r := Result{Rule: "account_required", Message: "the debtor has several accounts; pass account_id, one of: " + strings.Join(refs, ", ")}
		return position{}, &r, nil
	}
	for _, p := range ps {
		if p.Ref == want || fmt.Sprint(p.ID) == want {
			return p, nil, nil
		}
	}
	r := Result{Rule: "unknown_account", Message: fmt.Sprintf("the debtor has no open account %q", want)}
	return position{}, &r, nil
}

// gate refuses any account detail to a number with no debt on file, or before
// the debtor has proved who they are.
func gate(c *call) *Result {
	if c.Debtor == nil {
		return &Result{Rule: "no_debtor", Message: "this number has no debt on file; offer customer service or a person"}
	}
	if ThirdPartyLocked(c.Conv, c.now) {
		return &Result{Rule: RuleThirdParty, Message: "someone who said they are not the debtor writes here: share nothing about the debt, answer neutrally"}
	}
	if !c.Conv.Verified && c.Operator == nil {
		return &Result{Rule: "identity_before_disclosure", Message: "verify the debtor's identity first with verify_identity (last four digits of their document)"}
	}
	return nil
}

// today is the debtor's calendar date, which is what due dates mean.
func (s *Set) today(d *acuerdo.Debtor) acuerdo.Date {
	loc := time.UTC
	if d != nil && d.TimeZone != "" {
		if l, err := time.LoadLocation(d.TimeZone); err == nil {
			loc = l
		}
	}
	return acuerdo.DateOf(s.Clock().In(loc))
}

func money(m acuerdo.Money) string { return m.Decimal() }

// ThirdPartyLock is how long, after someone said they are not the debtor, the
// conversation discloses nothing about the debt and refuses verification: the
// phone is in other hands, and typing the debtor's last four digits a
// message later must not open the account. An operator who has spoken with
// the person ends it earlier by handing the conversation back to the bot.
const ThirdPartyLock = 30 * 24 * time.Hour

// RuleThirdParty is the refusal rule while the lock holds.
const RuleThirdParty = "third_party_declared"

// ThirdPartyLocked reports whether a third party's declaration still locks
// the conversation at now.
func ThirdPartyLocked(c *acuerdo.Conversation, now time.Time) bool {
	return c.ThirdPartyAt != nil && now.Sub(*c.ThirdPartyAt) < ThirdPartyLock
}
