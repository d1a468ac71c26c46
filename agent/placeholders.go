package agent

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/tools"
)

// Facts from code, words from the model. A model reply never states an
// amount, a date, a link or a plan: it writes a placeholder ("Tu saldo es
// {{balance}}") and code fills it from what the tools of this conversation
// returned, rendered for the debtor's language and country. The names and
// the tool that produces each:
//
//	lookup_debt           balance, overdue, installment, due_date, latest_due_date, max_pause_days
//	send_payment_link     pay_link, pay_amount
//	propose_date_change   new_due_date (latest_due_date when refused for a date too far)
//	propose_pause         paused_until
//	offer_payment_plan    plan (the schedule, one line per installment), plan_total, plan_installments
//	record_promise_to_pay promise_amount, promise_date
//	request_callback      callback_at (booked), nearest_slot (offered instead)
//	(the creditor's documents) kb1, kb2, kb3: a passage quoted with its source
//
// A placeholder with no value in this conversation, or an unknown name,
// fails the reply like an invented fact does.
var placeholderNames = []string{"balance", "overdue", "installment", "due_date", "latest_due_date", "max_pause_days",
	"pay_link", "pay_amount", "new_due_date", "paused_until", "plan", "plan_total", "plan_installments", "promise_amount", "promise_date",
	"callback_at", "nearest_slot", "kb1", "kb2", "kb3"}

// noIdentityNeeded are the placeholders that tell nothing about the debt:
// they fill before verification too.
var noIdentityNeeded = map[string]bool{"callback_at": true, "nearest_slot": true, "kb1": true, "kb2": true, "kb3": true}

// factValue is one placeholder's value, kept typed so it is rendered in the
// locale of the reply (the debtor may switch language mid-conversation).
type factValue struct {
	money *acuerdo.Money
	date  *acuerdo.Date
	at    *time.Time // a call's day and hour, in the debtor's zone
	text  string     // a link or a count, shown as it is
	plan  []planStep // a plan's schedule
}

type planStep struct {
	date   acuerdo.Date
	amount acuerdo.Money
}

// namedFacts are the placeholder values of a conversation, the latest tool
// result winning.
type namedFacts map[string]factValue

// accountsKey keeps how many accounts lookup_debt returned; it is no
// placeholder (placeholderNames does not list it).
const accountsKey = "_accounts"

// planInWindowKey says an accepted offer_payment_plan result is in the
// model's window; it is no placeholder either.
const planInWindowKey = "_plan_in_window"

// sawInWindow notes what a tool record in the model's window allows.
func (n namedFacts) sawInWindow(rec toolRecord) {
	if rec.Name == tools.OfferPaymentPlan && strings.Contains(rec.Result, `"ok":true`) {
		n[planInWindowKey] = factValue{text: "1"}
	}
}

// unfill turns the facts code filled into a past reply back into their
// placeholders, for the model's window: the model sees how facts are
// written ("Tu saldo es {{balance}}") instead of figures it might copy, and
// a rendered plan costs a few tokens instead of a hundred.
func (n namedFacts) unfill(text, locale, country string) string {
	type pair struct{ rendered, name string }
	var pairs []pair
	for _, name := range placeholderNames {
		v, ok := n[name]
		if !ok {
			continue
		}
		r := strings.TrimSpace(v.render(locale, country))
		if len([]rune(r)) < 3 {
			continue // a bare count such as "3" is no fact worth hiding
		}
		pairs = append(pairs, pair{r, name})
	}
	// Longest first: a plan's schedule before the amounts in it.
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].rendered) > len(pairs[j].rendered) })
	for _, p := range pairs {
		text = replaceWhole(text, p.rendered, "{{"+p.name+"}}")
	}
	return text
}

// replaceWhole replaces old with repl where it does not continue a number
// ("$300.000" is not replaced inside "$1.300.000").
func replaceWhole(s, old, repl string) string {
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	// continues reports whether s[k] carries a number on ("5" or ",5").
	continues := func(k int) bool {
		return digit(s[k]) || (s[k] == '.' || s[k] == ',') && k+1 < len(s) && digit(s[k+1])
	}
	precedes := func(k int) bool { // s[k] ends a number ("1" or "1.")
		return digit(s[k]) || (s[k] == '.' || s[k] == ',') && k > 0 && digit(s[k-1])
	}
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := i + len(old)
		if (i > 0 && digit(old[0]) && precedes(i-1)) || (j < len(s) && digit(old[len(old)-1]) && continues(j)) {
			b.WriteString(s[:j])
			s = s[j:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s = s[j:]
	}
}

// add reads one stored tool call's result into the named facts.
func (n namedFacts) add(rec toolRecord, currency string) {
	var res map[string]any
	if json.Unmarshal([]byte(rec.Result), &res) != nil {
		return
	}
	ok, _ := res["ok"].(bool)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	setMoney := func(name, dec, cur string) {
		if cur == "" {
			cur = currency
		}
		if m, err := acuerdo.ParseMoney(dec, cur); err == nil && dec != "" {
			n[name] = factValue{money: &m}
		}
	}
	setDate := func(name, s string) {
		if d, err := acuerdo.ParseDate(s); err == nil && s != "" {
			n[name] = factValue{date: &d}
		}
	}
	switch rec.Name {
	case tools.LookupDebt:
		if !ok {
			return
		}
		accts, _ := res["accounts"].([]any)
		if len(accts) == 0 {
			return
		}
		// With several accounts the first is the one placeholders name; the
		// model sees them all and offers the rest through a person.
		n[accountsKey] = factValue{text: strconv.Itoa(len(accts))}
		a, _ := accts[0].(map[string]any)
		cur := str(a, "currency")
		setMoney("balance", str(a, "balance"), cur)
		setMoney("overdue", str(a, "overdue"), cur)
		setMoney("installment", str(a, "installment"), cur)
		setDate("due_date", str(a, "next_due_date"))
		if opts, _ := a["options"].(map[string]any); opts != nil {
			setDate("latest_due_date", str(opts, "latest_new_due_date"))
			if d, ok := opts["max_pause_days"].(float64); ok {
				n["max_pause_days"] = factValue{text: strconv.Itoa(int(d))}
			}
		}
	case tools.SendPaymentLink:
		if ok && str(res, "url") != "" {
			n["pay_link"] = factValue{text: str(res, "url")}
			setMoney("pay_amount", str(res, "amount"), str(res, "currency"))
		}
	case tools.ProposeDateChange:
		if ok {
			setDate("new_due_date", str(res, "new_due_date"))
		} else {
			setDate("latest_due_date", str(res, "latest_allowed_date"))
		}
	case tools.ProposePause:
		if ok {
			setDate("paused_until", str(res, "paused_until"))
		}
	case tools.OfferPaymentPlan:
		if !ok {
			return
		}
		var steps []planStep
		sched, _ := res["installments"].([]any)
		for _, s := range sched {
			date, amount, _ := strings.Cut(s.(string), " ")
			d, err1 := acuerdo.ParseDate(date)
			m, err2 := acuerdo.ParseMoney(amount, currency)
			if err1 == nil && err2 == nil {
				steps = append(steps, planStep{d, m})
			}
		}
		if len(steps) > 0 {
			n["plan"] = factValue{plan: steps}
			n["plan_installments"] = factValue{text: strconv.Itoa(len(steps))}
		}
		setMoney("plan_total", str(res, "total"), currency)
	case tools.RequestCallback:
		for _, k := range []string{"callback_at", "nearest_slot"} {
			if at, err := time.Parse(time.RFC3339, str(res, k)); err == nil {
				n[k] = factValue{at: &at}
			}
		}
	case tools.RecordPromiseToPay:
		if ok {
			setMoney("promise_amount", str(res, "amount"), currency)
			setDate("promise_date", str(res, "date"))
		}
	}
}

// render writes a value for the debtor.
func (v factValue) render(locale, country string) string {
	switch {
	case v.money != nil:
		return prompts.Money(locale, *v.money)
	case v.date != nil:
		return prompts.Date(locale, *v.date)
	case v.at != nil:
		return prompts.DateTime(locale, *v.at)
	case v.plan != nil:
		lines := make([]string, len(v.plan))
		for i, s := range v.plan {
			lines[i] = prompts.T(locale, "plan_line", "{seq}", strconv.Itoa(i+1), "{date}", prompts.Date(locale, s.date), "{amount}", prompts.Money(locale, s.amount))
		}
		return "\n" + strings.Join(lines, "\n") + "\n"
	}
	return v.text
}

// placeholderViolations lists the placeholders of text that cannot be
// filled: unknown names, and names no tool of this conversation produced (or
// any debt fact while the person is not verified).
func placeholderViolations(text string, facts namedFacts, verified bool) []policy.Violation {
	var out []policy.Violation
	for _, m := range policy.PlaceholderRe.FindAllStringSubmatch(text, -1) {
		name := strings.ToLower(m[1])
		known := false
		for _, p := range placeholderNames {
			known = known || p == name
		}
		switch _, has := facts[name]; {
		case !known:
			out = append(out, policy.Violation{Rule: policy.RuleUnknownPlaceholder, Text: m[0],
				Reason: m[0] + " is not a placeholder; the placeholders are {{" + strings.Join(placeholderNames, "}}, {{") + "}}"})
		case !verified && !noIdentityNeeded[name]:
			out = append(out, policy.Violation{Rule: policy.RuleUnknownPlaceholder, Text: m[0],
				Reason: "identity is not verified: no debt detail, " + m[0] + " included, may be shared; call verify_identity first"})
		case !has:
			out = append(out, policy.Violation{Rule: policy.RuleUnknownPlaceholder, Text: m[0],
				Reason: "no tool of this conversation produced " + m[0] + "; call the tool that does, or leave it out"})
		}
	}
	return out
}

// fill replaces every placeholder with its rendered value.
func fill(text string, facts namedFacts, locale, country string) string {
	out := policy.PlaceholderRe.ReplaceAllStringFunc(text, func(s string) string {
		name := strings.ToLower(policy.PlaceholderRe.FindStringSubmatch(s)[1])
		return facts[name].render(locale, country)
	})
	// A plan's schedule stands on its own lines; tidy the blank lines and
	// spaces it may leave around it.
	lines := strings.Split(out, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.TrimRight(l, " "); l != "" || len(kept) > 0 && kept[len(kept)-1] != "" {
			kept = append(kept, strings.TrimLeft(l, " "))
		}
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// available lists the placeholders this conversation can fill, for the
// model's retry message.
func (n namedFacts) available() string {
	var names []string
	for k := range n {
		if !strings.HasPrefix(k, "_") {
			names = append(names, "{{"+k+"}}")
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none yet (call a tool first)"
	}
	return strings.Join(names, ", ")
}
