package eval

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/kb"
	"acuerdo/phone"
	"acuerdo/prompts"
	"acuerdo/tools"
)

// toolNames are the tools a scenario may name; a typo would otherwise make a
// "must not call" expectation pass for ever.
var toolNames = []string{
	tools.VerifyIdentity, tools.LookupDebt, tools.SendPaymentLink, tools.ProposeDateChange, tools.ProposePause,
	tools.OfferPaymentPlan, tools.AcceptPaymentPlan, tools.RecordPromiseToPay, tools.ReportPayment,
	tools.EscalateToHuman, tools.OptOut, tools.RequestCallback,
}

var handlers = []string{agent.HandledGuard, agent.HandledOffline, agent.HandledLLM, agent.HandledFallback, agent.HandledPaused, agent.HandledKnowledge}

var reasons = []string{
	acuerdo.ReasonDebtorRequest, acuerdo.ReasonHardship, acuerdo.ReasonDispute, acuerdo.ReasonComplaint,
	acuerdo.ReasonLegal, acuerdo.ReasonOutOfPolicy, acuerdo.ReasonOther, acuerdo.ReasonCallback,
}

// zones are the time zones assumed when a debtor's is not given, as the
// importer would.
var zones = map[string]string{
	"CO": "America/Bogota", "MX": "America/Mexico_City", "BR": "America/Sao_Paulo", "US": "America/New_York",
	"AR": "America/Argentina/Buenos_Aires", "ES": "Europe/Madrid", "PE": "America/Lima", "CL": "America/Santiago",
}

var scenarioName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

// problems collects a scenario's mistakes, each with the field it is about.
type problems []error

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

// validate checks the scenario and fills its parsed fields and defaults.
func (s *Scenario) validate() error {
	var p problems
	switch {
	case s.Name == "":
		p.add("name", "required")
	case !scenarioName.MatchString(s.Name):
		p.add("name", "%q: use letters, digits and . _ - / only, so --run can select it", s.Name)
	}
	if !slices.Contains(prompts.Locales, s.Locale) {
		p.add("locale", "%q: use one of %s", s.Locale, strings.Join(prompts.Locales, ", "))
	}
	if s.Now != "" {
		t, err := time.Parse(time.RFC3339, s.Now)
		if err != nil {
			p.add("now", "%q is not an RFC 3339 time such as 2026-03-10T10:00:00-05:00", s.Now)
		}
		s.now = t
	}
	s.Debtor.validate(&p)
	s.knowledge = nil
	for i, d := range s.Knowledge {
		doc, err := kb.Parse(d.Name, []byte(d.Text))
		if err != nil {
			p.add(fmt.Sprintf("knowledge[%d]", i), "%s", acuerdo.ErrorMessage(err))
			continue
		}
		s.knowledge = append(s.knowledge, doc)
	}
	if len(s.Messages) == 0 {
		p.add("messages", "at least one message is required")
	}
	for i := range s.Messages {
		m := &s.Messages[i]
		f := fmt.Sprintf("messages[%d]", i)
		if m.Text == "" && len(m.Media) == 0 {
			p.add(f+".text", "required (or media)")
		}
		if m.Wait != "" {
			d, err := time.ParseDuration(m.Wait)
			if err != nil || d < 0 {
				p.add(f+".wait", "%q is not a duration such as 25h or 90m", m.Wait)
			}
			m.wait = d
		}
		s.validateExpect(&p, f+".expect", &m.Expect)
	}
	s.validateExpect(&p, "expect", &s.Expect)
	s.validated = len(p) == 0
	return errors.Join(p...)
}

func (d *Debtor) validate(p *problems) {
	if d.Country == "" {
		d.Country = "CO"
	}
	d.Country = strings.ToUpper(d.Country)
	if len(d.Country) != 2 {
		p.add("debtor.country", "%q is not a two-letter country code such as CO, BR or US", d.Country)
	}
	if d.Phone == "" {
		p.add("debtor.phone", "required")
	} else if n, err := phone.Normalize(d.Phone, d.Country); err != nil {
		p.add("debtor.phone", "%q: %v", d.Phone, err)
	} else {
		d.Phone = n.E164
	}
	if d.Unknown {
		if len(d.Accounts) > 0 || d.Name != "" || d.Document != "" {
			p.add("debtor", "an unknown number has no name, document or accounts")
		}
		return
	}
	if d.Name == "" {
		p.add("debtor.name", "required (or unknown: true for a number not in the portfolio)")
	}
	if d.TimeZone == "" {
		d.TimeZone = zones[d.Country]
	} else if _, err := time.LoadLocation(d.TimeZone); err != nil {
		p.add("debtor.time_zone", "%q is not an IANA time zone such as America/Bogota", d.TimeZone)
	}
	if len(d.Accounts) == 0 {
		p.add("debtor.accounts", "at least one account is required")
	}
	refs := map[string]bool{}
	for i := range d.Accounts {
		a := &d.Accounts[i]
		f := fmt.Sprintf("debtor.accounts[%d]", i)
		if a.Ref == "" {
			p.add(f+".ref", "required")
		} else if refs[a.Ref] {
			p.add(f+".ref", "%q appears twice", a.Ref)
		}
		refs[a.Ref] = true
		if a.Currency == "" {
			a.Currency = acuerdo.CurrencyOf(d.Country)
		}
		if !acuerdo.ValidCurrency(a.Currency) {
			p.add(f+".currency", "%q is not a currency code such as COP, BRL or USD", a.Currency)
			continue
		}
		for _, m := range []struct{ field, v string }{{"balance", a.Balance}, {"installment", a.Installment}} {
			if m.v == "" {
				continue
			}
			if v, err := acuerdo.ParseMoney(m.v, a.Currency); err != nil || v.Amount < 0 {
				p.add(f+"."+m.field, "%q is not an amount such as 850000 or 1234.50", m.v)
			}
		}
		if a.DueDate != "" {
			if _, err := acuerdo.ParseDate(a.DueDate); err != nil {
				p.add(f+".due_date", "%q is not a date YYYY-MM-DD", a.DueDate)
			}
		}
		if a.DaysPastDue < 0 {
			p.add(f+".days_past_due", "must not be negative")
		}
	}
}

func (s *Scenario) validateExpect(p *problems, f string, e *Expect) {
	for _, list := range []struct {
		field string
		names []string
	}{{"tools", e.Tools}, {"no_tools", e.NoTools}} {
		for _, n := range list.names {
			if !slices.Contains(toolNames, n) {
				p.add(f+"."+list.field, "unknown tool %q: use one of %s", n, strings.Join(toolNames, ", "))
			}
		}
	}
	for i, o := range e.Outcomes {
		of := fmt.Sprintf("%s.outcomes[%d]", f, i)
		switch {
		case (o.Tool == "") == (o.Guard == ""):
			p.add(of, "name exactly one of tool or guard")
		case o.Tool != "" && !slices.Contains(toolNames, o.Tool):
			p.add(of+".tool", "unknown tool %q", o.Tool)
		}
		if o.Outcome != "" && o.Outcome != acuerdo.Allowed && o.Outcome != acuerdo.Refused && o.Outcome != acuerdo.Failed {
			p.add(of+".outcome", "%q: use allowed, refused or error", o.Outcome)
		}
	}
	if e.Handler != "" && !slices.Contains(handlers, e.Handler) {
		p.add(f+".handler", "%q: use one of %s", e.Handler, strings.Join(handlers, ", "))
	}
	for _, c := range []struct {
		field string
		n     *int
	}{{"replies", e.Replies}, {"min_replies", e.MinReplies}, {"max_replies", e.MaxReplies}} {
		if c.n != nil && *c.n < 0 {
			p.add(f+"."+c.field, "must not be negative")
		}
	}
	if e.MinReplies != nil && e.MaxReplies != nil && *e.MinReplies > *e.MaxReplies {
		p.add(f+".min_replies", "is more than max_replies")
	}
	for _, list := range []struct {
		field string
		res   []string
	}{{"matches", e.Matches}, {"not_matches", e.NotMatches}} {
		for _, r := range list.res {
			if _, err := regexp.Compile("(?i)" + r); err != nil {
				p.add(f+"."+list.field, "%q: %v", r, err)
			}
		}
	}
	if e.MaxChars < 0 {
		p.add(f+".max_chars", "must not be negative")
	}
	if e.State != nil {
		s.validateState(p, f+".state", e.State)
	}
}

func (s *Scenario) validateState(p *problems, f string, st *State) {
	if st.EscalationReason != "" && !slices.Contains(reasons, st.EscalationReason) {
		p.add(f+".escalation_reason", "%q: use one of %s", st.EscalationReason, strings.Join(reasons, ", "))
	}
	account := func(field, ref string) {
		if s.Debtor.Unknown {
			p.add(field, "an unknown number has no accounts")
			return
		}
		if ref == "" {
			return
		}
		for _, a := range s.Debtor.Accounts {
			if a.Ref == ref {
				return
			}
		}
		p.add(field+".account", "%q is not one of the debtor's accounts", ref)
	}
	date := func(field, d string) {
		if _, err := acuerdo.ParseDate(d); err != nil {
			p.add(field+".date", "%q is not a date YYYY-MM-DD", d)
		} else if s.Now == "" {
			p.add(field+".date", "an absolute date needs the scenario's now")
		}
	}
	if st.Promise != nil {
		account(f+".promise", st.Promise.Account)
		if st.Promise.Date != "" {
			date(f+".promise", st.Promise.Date)
		}
		if st.Promise.Amount != "" {
			if _, err := acuerdo.ParseMoney(st.Promise.Amount, "USD"); err != nil {
				p.add(f+".promise.amount", "%q is not an amount", st.Promise.Amount)
			}
		}
	}
	if st.PlanAccepted != nil {
		account(f+".plan_accepted", st.PlanAccepted.Account)
		if st.PlanAccepted.Installments < 0 {
			p.add(f+".plan_accepted.installments", "must not be negative")
		}
	}
	for _, ad := range []struct {
		field string
		v     *AccountDate
	}{{"due_date", st.DueDate}, {"paused_until", st.PausedUntil}} {
		if ad.v != nil {
			account(f+"."+ad.field, ad.v.Account)
			date(f+"."+ad.field, ad.v.Date)
		}
	}
	if st.NothingChanged && (st.Promise != nil || st.PlanAccepted != nil || st.DueDate != nil || st.PausedUntil != nil ||
		isTrue(st.Escalated) || isTrue(st.OptedOut) || isTrue(st.PaymentReported) || isTrue(st.Paused)) {
		p.add(f+".nothing_changed", "contradicts the other state expectations")
	}
}

func isTrue(b *bool) bool { return b != nil && *b }
