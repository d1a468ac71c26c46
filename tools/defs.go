package tools

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/paylink"
)

// maxIdentityTries is how many wrong answers verify_identity takes before it stops
// checking: guessing four digits must not be a game.
const maxIdentityTries = 3

var accountArg = str("account reference; omit if only one")

func all() []tool {
	return []tool{
		{VerifyIdentity, "Verify identity with the last 4 digits of the document (or of the account number when no document is on file). Required before sharing any debt detail.",
			object([]string{"document_last4"}, map[string]*schema{"document_last4": pattern("", `^[0-9A-Za-z]{4}$`)}), verifyIdentity},
		{LookupDebt, "Balances, overdue amount, due dates and allowed options.",
			object(nil, map[string]*schema{"account_id": accountArg}), lookupDebt},
		{SendPaymentLink, "Payment link for the total, overdue amount, one installment or a custom amount; the reply shows it as {{pay_link}}.",
			object([]string{"scope"}, map[string]*schema{"account_id": accountArg,
				"scope":  enum("", "total", "overdue", "installment", "custom"),
				"amount": pattern("decimal, scope custom only", decimalPattern)}), sendPaymentLink},
		{ProposeDateChange, "Move the next due date (policy limits apply).",
			object([]string{"new_date"}, map[string]*schema{"account_id": accountArg, "new_date": pattern("YYYY-MM-DD", datePattern)}), decidedAgain(proposeDateChange)},
		{ProposePause, "Pause collection for some days (policy limits apply).",
			object([]string{"days"}, map[string]*schema{"account_id": accountArg, "days": integer("", 1, 366)}), decidedAgain(proposePause)},
		{OfferPaymentPlan, "Offer a plan of N monthly installments. Call accept_payment_plan only after the debtor accepts.",
			object([]string{"installments"}, map[string]*schema{"account_id": accountArg, "installments": integer("", 1, 60),
				"first_date": pattern("YYYY-MM-DD of the first installment; omit for a week from today", datePattern)}), offerPaymentPlan},
		{AcceptPaymentPlan, "Confirm an offered plan the debtor accepted.",
			object([]string{"plan_id"}, map[string]*schema{"plan_id": pattern("", `^[0-9]{1,12}$`)}), acceptPaymentPlan},
		{RecordPromiseToPay, "Record a promise to pay an amount by a date.",
			object([]string{"amount", "date"}, map[string]*schema{"account_id": accountArg, "amount": pattern("decimal", decimalPattern), "date": pattern("YYYY-MM-DD", datePattern)}), recordPromise},
		{ReportPayment, "The debtor says they already paid: a person verifies it with the receipt.",
			object(nil, map[string]*schema{"amount": pattern("decimal", decimalPattern), "date": pattern("YYYY-MM-DD", datePattern), "note": str("")}), reportPayment},
		{EscalateToHuman, "Hand over to a person (request, hardship, dispute, complaint, legal, out of policy). The bot then stops replying.",
			object([]string{"reason", "summary"}, map[string]*schema{
				"reason":  enum("", "debtor_request", "hardship", "dispute", "complaint", "legal", "out_of_policy", "other"),
				"summary": str("for the operator")}), escalate},
		{OptOut, "The debtor wants no more messages.",
			object(nil, nil), optOut},
		callbackTool(),
	}
}

func verifyIdentity(ctx context.Context, s *Set, c *call) (Result, error) {
	if c.Debtor == nil {
		return refused("no_debtor", "this number has no debt on file")
	}
	if ThirdPartyLocked(c.Conv, s.Clock()) {
		return refused(RuleThirdParty, "someone who said they are not the debtor writes here; do not verify, share nothing about the debt")
	}
	if c.Conv.Verified {
		return Result{OK: true, Message: "already verified"}, nil
	}
	if c.Conv.FailedChecks >= maxIdentityTries {
		return refused("identity_locked", "too many wrong answers; do not ask again, offer a person instead")
	}
	given := strings.ToUpper(argString(c.args, "document_last4"))
	var expected []string
	if c.Debtor.DocumentID != "" {
		expected = []string{strings.ToUpper(c.Debtor.DocumentLast4())}
	} else {
		// The original bot's portfolio has no document column; the account number
		// is then what only the debtor knows.
		accts, err := s.Store.Accounts(ctx, c.Debtor.ID)
		if err != nil {
			return Result{}, err
		}
		for _, a := range accts {
			if len(a.Ref) >= 4 && a.Status == acuerdo.AccountOpen {
				expected = append(expected, strings.ToUpper(a.Ref[len(a.Ref)-4:]))
			}
		}
	}
	if !contains(expected, given) {
		c.Conv.FailedChecks++
		left := maxIdentityTries - c.Conv.FailedChecks
		r := Result{Rule: "identity_mismatch", Message: fmt.Sprintf("the digits do not match; %d tries left", left)}
		entry := s.entry(c.Env, Result{Tool: c.name, Rule: r.Rule}, c.raw, acuerdo.Refused, r.Message)
		if err := s.Store.SaveConversation(ctx, *c.Conv, entry); err != nil {
			return Result{}, err
		}
		r.committed = true
		return r, nil
	}
	now := s.Clock()
	c.Conv.Verified, c.Conv.VerifiedAt, c.Conv.FailedChecks = true, &now, 0
	if err := s.Store.SaveConversation(ctx, *c.Conv, s.allowed(c, "identity_verified", "")); err != nil {
		return Result{}, err
	}
	first, _, _ := strings.Cut(c.Debtor.Name, " ")
	return Result{OK: true, Data: map[string]any{"verified": true, "first_name": first}, committed: true}, nil
}

func lookupDebt(ctx context.Context, s *Set, c *call) (Result, error) {
	var ps []position
	if argString(c.args, "account_id") != "" {
		p, r, err := s.account(ctx, c)
		if r != nil || err != nil {
			return deref(r), err
		}
		ps = []position{p}
	} else {
		if r := gate(c); r != nil {
			return *r, nil
		}
		var err error
		if ps, err = s.positions(ctx, c.Debtor.ID); err != nil {
			return Result{}, err
		}
	}
	today := s.today(c.Debtor)
	var res Result
	res.OK = true
	var list []map[string]any
	for _, p := range ps {
		a := map[string]any{"account_id": p.Ref, "currency": p.Outstanding.Currency, "days_past_due": p.DaysPastDue}
		if p.Balance != nil {
			a["balance"] = money(p.Outstanding)
			a["overdue"] = money(p.Overdue)
			res.Facts.Amounts = append(res.Facts.Amounts, p.Outstanding, p.Overdue)
		} else {
			a["balance"] = "unknown"
		}
		if p.InstallmentAmount.Amount > 0 {
			a["installment"] = money(p.InstallmentAmount)
			res.Facts.Amounts = append(res.Facts.Amounts, p.InstallmentAmount)
		}
		if !p.NextDueDate.IsZero() {
			a["next_due_date"] = p.NextDueDate.String()
			res.Facts.Dates = append(res.Facts.Dates, p.NextDueDate)
		}
		opts := map[string]any{}
		last, err := s.Store.LastNegotiation(ctx, p.ID, acuerdo.NegotiationDateChange)
		if err != nil {
			return Result{}, err
		}
		current := p.NextDueDate
		if current.IsZero() {
			current = today
		}
		if d := s.Policy.DateChange(current, current.AddDays(1), today, last); d.Allowed || d.Rule != "date_change_frequency" {
			latest := s.Policy.MaxNewDueDate(current, today)
			opts["latest_new_due_date"] = latest.String()
			res.Facts.Dates = append(res.Facts.Dates, latest)
		} else {
			opts["date_change"] = d.Reason
		}
		lastPause, err := s.Store.LastNegotiation(ctx, p.ID, acuerdo.NegotiationPause)
		if err != nil {
			return Result{}, err
		}
		if d := s.Policy.Pause(1, today, lastPause); d.Allowed {
			opts["max_pause_days"] = s.Policy.Negotiation.PauseMaxDays
		} else {
			opts["pause"] = d.Reason
		}
		if p.Balance != nil && p.Outstanding.Amount > 0 {
			opts["plan_installments"] = fmt.Sprintf("%d-%d", s.Policy.Negotiation.PlanMinInstallments, s.Policy.Negotiation.PlanMaxInstallments)
		}
		a["options"] = opts
		list = append(list, a)
	}
	res.Data = map[string]any{"accounts": list, "today": today.String()}
	return res, nil
}

func deref(r *Result) Result {
	if r == nil {
		return Result{}
	}
	return *r
}

func sendPaymentLink(ctx context.Context, s *Set, c *call) (Result, error) {
	p, r, err := s.account(ctx, c)
	if r != nil || err != nil {
		return deref(r), err
	}
	if p.Balance == nil || p.Outstanding.Amount <= 0 {
		return refused("nothing_to_pay", "there is no known balance on this account; offer a person")
	}
	scope := argString(c.args, "scope")
	amount := acuerdo.Money{Currency: p.Outstanding.Currency}
	switch scope {
	case "total":
		amount = p.Outstanding
	case "overdue":
		if p.Overdue.Amount <= 0 {
			return refused("nothing_overdue", "nothing is overdue on this account; offer the total or an installment")
		}
		amount = p.Overdue
	case "installment":
		if p.InstallmentAmount.Amount <= 0 {
			return refused("no_installment", "this account has no installment amount; offer the total or a custom amount")
		}
		amount.Amount = min(p.InstallmentAmount.Amount, p.Outstanding.Amount)
	case "custom":
		raw := argString(c.args, "amount")
		if raw == "" {
			return refused("amount_required", "scope custom needs an amount")
		}
		m, err := acuerdo.ParseMoney(raw, p.Outstanding.Currency)
		if err != nil {
			return refused("invalid_amount", "%s", acuerdo.ErrorMessage(err))
		}
		if m.Amount <= 0 || m.Amount > p.Outstanding.Amount {
			return refused("amount_out_of_range", "the amount must be more than 0 and at most the balance %s", money(p.Outstanding))
		}
		amount = m
	}
	url, err := s.Links.Link(ctx, paylink.Request{AccountRef: p.Ref, DebtorID: p.DebtorID, Amount: amount, Scope: scope})
	if err != nil {
		return Result{}, err
	}
	// The creditor's system hears of the link (an event) with the audit line.
	if err := s.Store.RecordPaymentLink(ctx, p.ID, c.Conv.ID, amount, scope, url, s.allowed(c, "", "")); err != nil {
		return Result{}, err
	}
	return Result{OK: true, committed: true, Data: map[string]any{"url": url, "amount": money(amount), "currency": amount.Currency, "account_id": p.Ref},
		Facts: Facts{Amounts: []acuerdo.Money{amount}, URLs: []string{url}}}, nil
}

// decidedAgain runs a tool whose store write is conditional on the facts its
// policy decision read (ChangeDueDate, PauseAccount): when another writer
// changed them in between (ECONFLICT), it decides once more on the new facts,
// which then usually refuse under the frequency rule.
func decidedAgain(run func(context.Context, *Set, *call) (Result, error)) func(context.Context, *Set, *call) (Result, error) {
	return func(ctx context.Context, s *Set, c *call) (Result, error) {
		r, err := run(ctx, s, c)
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			r, err = run(ctx, s, c)
		}
		return r, err
	}
}

func proposeDateChange(ctx context.Context, s *Set, c *call) (Result, error) {
	p, r, err := s.account(ctx, c)
	if r != nil || err != nil {
		return deref(r), err
	}
	nd, err := acuerdo.ParseDate(argString(c.args, "new_date"))
	if err != nil {
		return refused("invalid_date", "%s", acuerdo.ErrorMessage(err))
	}
	last, err := s.Store.LastNegotiation(ctx, p.ID, acuerdo.NegotiationDateChange)
	if err != nil {
		return Result{}, err
	}
	today := s.today(c.Debtor)
	rule := "date_change"
	if d := s.Policy.DateChange(p.NextDueDate, nd, today, last); !d.Allowed {
		pol, ok := exception(s, c)
		if d2 := pol.DateChange(p.NextDueDate, nd, today, last); !ok || !d2.Allowed {
			if ok {
				d = d2
			}
			r, _ := fromDecision(d)
			if latest := s.Policy.MaxNewDueDate(p.NextDueDate, today); d.Rule != "date_change_frequency" {
				r.Data = map[string]any{"latest_allowed_date": latest.String()}
				r.Facts.Dates = []acuerdo.Date{latest}
			}
			return r, nil
		}
		rule = exceptionRule(d.Rule)
	}
	if err := s.Store.ChangeDueDate(ctx, p.ID, c.Conv.ID, nd, last, s.allowed(c, rule, exceptionDetail(c))); err != nil {
		return Result{}, err
	}
	return Result{OK: true, committed: true, Data: map[string]any{"account_id": p.Ref, "new_due_date": nd.String()}, Facts: Facts{Dates: []acuerdo.Date{nd}}}, nil
}

func proposePause(ctx context.Context, s *Set, c *call) (Result, error) {
	p, r, err := s.account(ctx, c)
	if r != nil || err != nil {
		return deref(r), err
	}
	days := argInt(c.args, "days")
	last, err := s.Store.LastNegotiation(ctx, p.ID, acuerdo.NegotiationPause)
	if err != nil {
		return Result{}, err
	}
	today := s.today(c.Debtor)
	rule := "pause"
	if d := s.Policy.Pause(days, today, last); !d.Allowed {
		pol, ok := exception(s, c)
		if d2 := pol.Pause(days, today, last); !ok || !d2.Allowed {
			return fromDecision(d)
		}
		rule = exceptionRule(d.Rule)
	}
	until := today.AddDays(days)
	if err := s.Store.PauseAccount(ctx, p.ID, c.Conv.ID, until, last, s.allowed(c, rule, exceptionDetail(c))); err != nil {
		return Result{}, err
	}
	return Result{OK: true, committed: true, Data: map[string]any{"account_id": p.Ref, "paused_until": until.String()}, Facts: Facts{Dates: []acuerdo.Date{until}}}, nil
}

func offerPaymentPlan(ctx context.Context, s *Set, c *call) (Result, error) {
	p, r, err := s.account(ctx, c)
	if r != nil || err != nil {
		return deref(r), err
	}
	if p.Balance == nil || p.Outstanding.Amount <= 0 {
		return refused("nothing_to_pay", "there is no known balance to split; offer a person")
	}
	today := s.today(c.Debtor)
	start := today.AddDays(7)
	if raw := argString(c.args, "first_date"); raw != "" {
		if start, err = acuerdo.ParseDate(raw); err != nil {
			return refused("invalid_date", "%s", acuerdo.ErrorMessage(err))
		}
	}
	n := argInt(c.args, "installments")
	inst, d := s.Policy.Plan(p.Outstanding, n, start, today)
	rule := d.Rule
	if !d.Allowed {
		pol, ok := exception(s, c)
		inst2, d2 := pol.Plan(p.Outstanding, n, start, today)
		if !ok || !d2.Allowed {
			return fromDecision(d)
		}
		inst, rule = inst2, exceptionRule(d.Rule)
	}
	plan, err := s.Store.OfferPlan(ctx, acuerdo.Plan{AccountID: p.ID, ConversationID: c.Conv.ID, Total: p.Outstanding, Installments: inst}, s.allowed(c, rule, exceptionDetail(c)))
	if err != nil {
		return Result{}, err
	}
	res := Result{OK: true, committed: true}
	var sched []string // "date amount": half the tokens of an object per installment
	for _, in := range inst {
		sched = append(sched, in.DueDate.String()+" "+money(in.Amount))
		res.Facts.Amounts = append(res.Facts.Amounts, in.Amount)
		res.Facts.Dates = append(res.Facts.Dates, in.DueDate)
	}
	id := strconv.FormatInt(plan.ID, 10)
	res.Facts.PlanIDs = []string{id}
	res.Facts.Amounts = append(res.Facts.Amounts, p.Outstanding)
	res.Data = map[string]any{"plan_id": id, "account_id": p.Ref, "total": money(p.Outstanding), "installments": sched}
	return res, nil
}

func acceptPaymentPlan(ctx context.Context, s *Set, c *call) (Result, error) {
	if r := gate(c); r != nil {
		return *r, nil
	}
	id, _ := strconv.ParseInt(argString(c.args, "plan_id"), 10, 64)
	plan, err := s.Store.Plan(ctx, id)
	if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND || err == nil && plan.ConversationID != c.Conv.ID {
		// A plan of another conversation is as unknown as one that does not exist.
		return refused("unknown_plan", "there is no plan %d in this conversation; offer one with offer_payment_plan", id)
	} else if err != nil {
		return Result{}, err
	}
	if plan.Status != acuerdo.PlanOffered {
		return refused("plan_already_accepted", "plan %d is already accepted", id)
	}
	// A payment since the offer makes the plan ask for more than is owed.
	if ps, err := s.positions(ctx, c.Debtor.ID); err != nil {
		return Result{}, err
	} else {
		for _, p := range ps {
			if p.ID == plan.AccountID && p.Balance != nil && plan.Total.Amount > p.Outstanding.Amount {
				return refused("plan_outdated", "a payment arrived since plan %d was offered; offer a new plan for the balance %s", id, money(p.Outstanding))
			}
		}
	}
	if s.Clock().Sub(plan.CreatedAt) > 7*24*time.Hour {
		return refused("plan_expired", "plan %d was offered more than 7 days ago; offer a new one", id)
	}
	if _, err := s.Store.AcceptPlan(ctx, id, s.allowed(c, "plan_accepted", "")); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			return refused("plan_already_accepted", "plan %d is already accepted", id)
		}
		return Result{}, err
	}
	res := Result{OK: true, committed: true, Data: map[string]any{"plan_id": strconv.FormatInt(id, 10), "accepted": true}}
	res.Facts.PlanIDs = []string{strconv.FormatInt(id, 10)}
	for _, in := range plan.Installments {
		res.Facts.Amounts = append(res.Facts.Amounts, in.Amount)
		res.Facts.Dates = append(res.Facts.Dates, in.DueDate)
	}
	return res, nil
}

func recordPromise(ctx context.Context, s *Set, c *call) (Result, error) {
	p, r, err := s.account(ctx, c)
	if r != nil || err != nil {
		return deref(r), err
	}
	m, err := acuerdo.ParseMoney(argString(c.args, "amount"), p.Outstanding.Currency)
	if err != nil {
		return refused("invalid_amount", "%s", acuerdo.ErrorMessage(err))
	}
	if m.Amount <= 0 || p.Balance != nil && m.Amount > p.Outstanding.Amount {
		return refused("amount_out_of_range", "the promised amount must be more than 0 and at most the balance %s", money(p.Outstanding))
	}
	date, err := acuerdo.ParseDate(argString(c.args, "date"))
	if err != nil {
		return refused("invalid_date", "%s", acuerdo.ErrorMessage(err))
	}
	today := s.today(c.Debtor)
	latest := s.Policy.MaxNewDueDate(today, today)
	rule := "promise"
	if date.Before(today) || latest.Before(date) {
		pol, ok := exception(s, c)
		if !ok || date.Before(today) || pol.MaxNewDueDate(today, today).Before(date) {
			return Result{Rule: "promise_date", Message: fmt.Sprintf("a promise must be between %s and %s", today, latest), Facts: Facts{Dates: []acuerdo.Date{latest}}}, nil
		}
		rule = exceptionRule("promise_date")
	}
	pr, err := s.Store.CreatePromise(ctx, acuerdo.Promise{AccountID: p.ID, ConversationID: c.Conv.ID, Amount: m, DueDate: date}, s.allowed(c, rule, exceptionDetail(c)))
	if err != nil {
		return Result{}, err
	}
	return Result{OK: true, committed: true, Data: map[string]any{"promise_id": pr.ID, "amount": money(m), "date": date.String()},
		Facts: Facts{Amounts: []acuerdo.Money{m}, Dates: []acuerdo.Date{date}}}, nil
}

func reportPayment(ctx context.Context, s *Set, c *call) (Result, error) {
	cs := acuerdo.Case{ConversationID: c.Conv.ID, Reason: acuerdo.ReasonPaymentReport, State: acuerdo.CaseComplete, Priority: 1}
	var parts []string
	if c.Debtor != nil {
		cs.DebtorID = c.Debtor.ID
	}
	if raw := argString(c.args, "amount"); raw != "" {
		parts = append(parts, "amount "+raw)
	}
	if d := argString(c.args, "date"); d != "" {
		parts = append(parts, "paid on "+d)
	}
	if n := argString(c.args, "note"); n != "" {
		parts = append(parts, n)
	}
	if len(c.Media) > 0 {
		parts = append(parts, fmt.Sprintf("%d receipt file(s) attached", len(c.Media)))
	} else {
		// The bot is still gathering: the case is INCOMPLETO until the
		// receipt arrives (the store moves it to COMPLETO then), as the
		// operators' panel has it.
		parts = append(parts, "no receipt attached yet")
		cs.State = acuerdo.CaseIncomplete
	}
	cs.Summary = "Debtor reports a payment: " + strings.Join(parts, "; ")
	cs, err := s.Store.OpenCase(ctx, cs, s.allowed(c, "payment_report", ""))
	if err != nil {
		return Result{}, err
	}
	// The receipts of this turn belong to this report; ones still downloading
	// are attached when they arrive.
	if _, err := s.Store.AttachMediaToCase(ctx, cs.ID, c.Media); err != nil {
		return Result{}, err
	}
	return Result{OK: true, committed: true, Data: map[string]any{"case_id": cs.ID, "receipt_attached": len(c.Media) > 0,
		"next_step": "thank them; a person will verify the payment; if no receipt was attached, ask them to send a photo or PDF of it"}}, nil
}

func escalate(ctx context.Context, s *Set, c *call) (Result, error) {
	reason := argString(c.args, "reason")
	cs := acuerdo.Case{ConversationID: c.Conv.ID, Reason: reason, Summary: argString(c.args, "summary"), State: acuerdo.CaseComplete, Priority: priority(reason)}
	if c.Debtor != nil {
		cs.DebtorID = c.Debtor.ID
	}
	cs, err := s.Store.OpenCase(ctx, cs, s.allowed(c, "escalation_"+reason, ""))
	if err != nil {
		return Result{}, err
	}
	c.Conv.Paused = true
	return Result{OK: true, committed: true, Escalated: true, Data: map[string]any{"case_id": cs.ID,
		"next_step": "tell the debtor, warmly and briefly, that a person from the team will continue this conversation"}}, nil
}

// priority orders the operators' inbox: legal threats and hardship first.
func priority(reason string) int {
	switch reason {
	case acuerdo.ReasonLegal:
		return 5
	case acuerdo.ReasonHardship, acuerdo.ReasonComplaint:
		return 4
	case acuerdo.ReasonDispute:
		return 3
	case acuerdo.ReasonDebtorRequest:
		return 2
	}
	return 1
}

func optOut(ctx context.Context, s *Set, c *call) (Result, error) {
	var debtorID int64
	if c.Debtor != nil {
		debtorID = c.Debtor.ID
	}
	if err := s.Store.OptOut(ctx, c.Conv.ID, debtorID, s.allowed(c, "opt_out", "")); err != nil {
		return Result{}, err
	}
	c.Conv.OptedOut = true
	return Result{OK: true, committed: true, OptedOut: true}, nil
}
