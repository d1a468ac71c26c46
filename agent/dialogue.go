package agent

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"acuerdo"
	"acuerdo/prompts"
	"acuerdo/tools"
	"acuerdo/understand"
)

// The offline engine's memory beyond its step rides on Conversation.State
// after a '#': what the debtor asked before proving who they are (answered
// once they do), receipts sent before that, and how many messages in a row
// were not understood (the full menu only after two).
const stateExtras = "#"

// splitState separates the step ("step:arg") from the extras.
func splitState(s string) (string, url.Values) {
	main, raw, ok := strings.Cut(s, stateExtras)
	if !ok {
		return s, url.Values{}
	}
	x, _ := url.ParseQuery(raw)
	return main, x
}

func joinState(main string, x url.Values) string {
	for k, v := range x {
		if len(v) == 0 || v[0] == "" {
			delete(x, k)
		}
	}
	if len(x) == 0 {
		return main
	}
	return main + stateExtras + x.Encode()
}

// Steps of the dialogue beyond the menu's.
const (
	stepConfirm       = "confirm"        // confirm:kind|ref|a|b|c — a commitment waiting for yes
	stepPromiseAmount = "promise_amount" // promise_amount:ref|date
	stepPromiseDate   = "promise_date"   // promise_date:ref|amount
)

// pendingWorthy reports whether an intent said before verification should be
// acted on after it.
func pendingWorthy(i understand.Intent) bool {
	switch i {
	case understand.Greeting, understand.Other, understand.Yes, understand.No, understand.Thanks, understand.Menu, understand.Language:
		return false
	}
	return true
}

// dispatch answers what a verified debtor asked, by intent. handled is false
// when the message said nothing the dialogue can act on.
func (a *Agent) dispatch(ctx context.Context, t *turn, ref string, x url.Values) (bool, error) {
	r := t.read
	switch r.Intent {
	case understand.Balance:
		return true, a.summaryOnly(ctx, t, ref)
	case understand.PayLink:
		words := understand.Normalize(t.in.Text)
		switch {
		case len(r.Amounts) > 0:
			return true, a.confirmLink(t, ref, r.Amounts[0])
		case otherAmount.MatchString(words):
			t.conv.State = stepAmount + ":" + ref
			t.reply(prompts.T(t.locale, "ask_amount"))
			return true, nil
		case strings.Contains(words, "vencid") || strings.Contains(words, "atras") || strings.Contains(words, "overdue") || strings.Contains(words, "mora"):
			return true, a.link(ctx, t, ref, "overdue", "")
		case strings.Contains(words, "cuota") || strings.Contains(words, "parcela") || strings.Contains(words, "installment"):
			return true, a.link(ctx, t, ref, "installment", "")
		}
		return true, a.link(ctx, t, ref, "total", "")
	case understand.DateChange:
		if len(r.Dates) > 0 {
			return true, a.proposeDate(ctx, t, ref, r.Dates[len(r.Dates)-1])
		}
		return true, a.askDate(ctx, t, ref)
	case understand.Promise:
		return true, a.promise(ctx, t, ref)
	case understand.Plan:
		if r.Installments > 0 {
			return true, a.planFor(ctx, t, ref, r.Installments)
		}
		t.conv.State = stepInstallments + ":" + ref
		n := a.cfg.Policy.Negotiation
		t.reply(prompts.T(t.locale, "ask_installments", "{min}", strconv.Itoa(n.PlanMinInstallments), "{max}", strconv.Itoa(n.PlanMaxInstallments)))
		return true, nil
	case understand.Pause:
		if r.Days > 0 {
			return true, a.pause(ctx, t, ref, r.Days)
		}
		t.conv.State = stepDays + ":" + ref
		t.reply(prompts.T(t.locale, "ask_days", "{max}", strconv.Itoa(a.cfg.Policy.Negotiation.PauseMaxDays)))
		return true, nil
	case understand.PaymentRep:
		if len(t.in.Media) > 0 {
			return true, a.report(ctx, t, t.in.Text)
		}
		t.conv.State = stepReceipt + ":" + ref
		t.reply(prompts.T(t.locale, "ask_receipt"))
		return true, nil
	case understand.Discount:
		t.reply(prompts.T(t.locale, "discount_answer"))
		return true, nil
	case understand.Interest:
		t.reply(prompts.T(t.locale, "interest_answer"))
		return true, nil
	case understand.Options, understand.Menu:
		t.reply(prompts.T(t.locale, "menu"))
		return true, nil
	case understand.Thanks:
		t.reply(prompts.T(t.locale, "welcome"))
		return true, nil
	case understand.Language:
		t.reply(prompts.T(t.locale, "ask_short"))
		return true, nil
	}
	if len(r.Amounts) > 0 && len(r.Dates) == 0 && r.Intent == understand.Other {
		// An amount alone, at the menu: a link for it, once confirmed.
		return true, a.confirmLink(t, ref, r.Amounts[0])
	}
	if len(r.Dates) > 0 && r.Intent == understand.Other {
		// A date alone, at the menu: most likely the day they want to pay.
		return true, a.proposeDate(ctx, t, ref, r.Dates[len(r.Dates)-1])
	}
	return false, nil
}

// otherAmount is "pay another amount", "un abono", "só uma parte".
var otherAmount = regexp.MustCompile(`\b(another|other|different|otro|otra|outro|outra) (amount|valor|monto|cantidad|quantia)\b|\babono\b|\bparcial\b|\bpartial\b|\b(una|uma|a|some) (parte|part)\b|\bsome of it\b`)

// notUnderstood asks one short question; the full menu only after two
// misunderstandings in a row.
func (a *Agent) notUnderstood(t *turn, x url.Values) {
	miss, _ := strconv.Atoi(x.Get("miss"))
	miss++
	if miss >= 2 {
		t.reply(prompts.T(t.locale, "not_understood"))
		t.reply(prompts.T(t.locale, "menu"))
		miss = 0
	} else {
		t.reply(prompts.T(t.locale, "ask_short"))
	}
	x.Set("miss", strconv.Itoa(miss))
}

// proposeDate checks a date the debtor named and asks them to confirm it
// before anything is committed; an unsure reading is asked about, and a date
// beyond what policy allows is answered with the latest allowed one.
func (a *Agent) proposeDate(ctx context.Context, t *turn, ref string, d understand.Date) error {
	if !d.Sure {
		t.conv.State = stepDate + ":" + ref
		t.reply(prompts.T(t.locale, "date_unsure"))
		return nil
	}
	if latest, ok := a.latestDate(ctx, t, ref); ok && latest.Before(d.Date) {
		t.conv.State = stepDate + ":" + ref
		t.reply(prompts.T(t.locale, "ask_date", "{latest}", prompts.Date(t.locale, latest)))
		return nil
	}
	t.conv.State = stepConfirm + ":date|" + ref + "|" + d.Date.String()
	t.reply(prompts.T(t.locale, "confirm_date", "{date}", prompts.Date(t.locale, d.Date)))
	return nil
}

// latestDate is the latest new due date policy allows for the account.
func (a *Agent) latestDate(ctx context.Context, t *turn, ref string) (acuerdo.Date, bool) {
	r := a.callTool(ctx, t, "", tools.LookupDebt, jsonArgs("account_id", ref))
	for _, acct := range asMaps(r.Data["accounts"]) {
		if opts, ok := acct["options"].(map[string]any); ok {
			if s, ok := opts["latest_new_due_date"].(string); ok {
				d, err := acuerdo.ParseDate(s)
				return d, err == nil
			}
		}
	}
	return acuerdo.Date{}, false
}

// askDate asks for the new date, saying the latest allowed.
func (a *Agent) askDate(ctx context.Context, t *turn, ref string) error {
	latest := ""
	if d, ok := a.latestDate(ctx, t, ref); ok {
		latest = prompts.Date(t.locale, d)
	}
	t.conv.State = stepDate + ":" + ref
	t.reply(prompts.T(t.locale, "ask_date", "{latest}", latest))
	return nil
}

// confirmLink asks before sending a link for an amount the debtor wrote.
func (a *Agent) confirmLink(t *turn, ref string, m understand.Amount) error {
	t.conv.State = stepConfirm + ":link|" + ref + "|" + m.Money.Decimal()
	t.reply(prompts.T(t.locale, "confirm_link", "{amount}", prompts.Money(t.locale, m.Money)))
	return nil
}

// promise reads "te pago 80 mil el viernes" and "80 today and the rest on the
// 20th" and asks what is missing, or for confirmation.
func (a *Agent) promise(ctx context.Context, t *turn, ref string) error {
	r := t.read
	var sure []understand.Date
	for _, d := range r.Dates {
		if d.Sure {
			sure = append(sure, d)
		}
	}
	if len(r.Dates) > len(sure) {
		t.conv.State = stepDate + ":" + ref
		t.reply(prompts.T(t.locale, "date_unsure"))
		return nil
	}
	today := a.today(t)
	switch {
	case len(sure) >= 1 && sure[0].Date == today && (len(r.Amounts) >= 2 || len(r.Amounts) == 1 && restWords(t.in.Text)):
		// A part today, the rest later: said with "the rest" or two amounts.
		// "Ahorita no tengo, le pago 500 el viernes" names today only to
		// say it cannot pay today.
		now := r.Amounts[0].Money
		later := sure[len(sure)-1].Date
		bal, ok := a.balance(ctx, t, ref)
		if !ok || bal.Amount <= now.Amount {
			return a.confirmLink(t, ref, r.Amounts[0])
		}
		rest := acuerdo.Money{Amount: bal.Amount - now.Amount, Currency: bal.Currency}
		t.conv.State = stepConfirm + ":partial|" + ref + "|" + now.Decimal() + "|" + rest.Decimal() + "|" + later.String()
		t.reply(prompts.T(t.locale, "confirm_partial", "{amount}", prompts.Money(t.locale, now), "{rest}", prompts.Money(t.locale, rest), "{date}", prompts.Date(t.locale, later)))
		return nil
	case len(r.Amounts) >= 1 && len(sure) >= 1:
		t.conv.State = stepConfirm + ":promise|" + ref + "|" + r.Amounts[0].Money.Decimal() + "|" + sure[0].Date.String()
		t.reply(prompts.T(t.locale, "confirm_promise", "{amount}", prompts.Money(t.locale, r.Amounts[0].Money), "{date}", prompts.Date(t.locale, sure[0].Date)))
		return nil
	case len(sure) >= 1:
		t.conv.State = stepPromiseAmount + ":" + ref + "|" + sure[0].Date.String()
		t.reply(prompts.T(t.locale, "amount_unsure"))
		return nil
	case len(r.Amounts) >= 1:
		t.conv.State = stepPromiseDate + ":" + ref + "|" + r.Amounts[0].Money.Decimal()
		t.reply(prompts.T(t.locale, "date_unsure"))
		return nil
	}
	return a.askDate(ctx, t, ref)
}

// restWords says the message speaks of "the rest" ("el resto", "o resto").
func restWords(text string) bool {
	w := " " + understand.Normalize(text) + " "
	for _, s := range []string{" resto ", " restante ", " rest ", " lo demas ", " o resto ", " remainder "} {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}

// balance is what the debtor owes on an account now.
func (a *Agent) balance(ctx context.Context, t *turn, ref string) (acuerdo.Money, bool) {
	r := a.callTool(ctx, t, "", tools.LookupDebt, jsonArgs("account_id", ref))
	for _, acct := range asMaps(r.Data["accounts"]) {
		if b := fmt.Sprint(acct["balance"]); b != "unknown" {
			return decimal(acct["balance"], fmt.Sprint(acct["currency"])), true
		}
	}
	return acuerdo.Money{}, false
}

// confirmed runs a commitment the debtor just confirmed.
func (a *Agent) confirmed(ctx context.Context, t *turn, arg string) error {
	p := strings.Split(arg, "|")
	for len(p) < 5 {
		p = append(p, "")
	}
	kind, ref := p[0], p[1]
	t.conv.State = stepMenu + ":" + ref
	switch kind {
	case "date":
		r := a.callTool(ctx, t, "", tools.ProposeDateChange, jsonArgs("account_id", ref, "new_date", p[2]))
		if !r.OK {
			return a.refusal(t, r)
		}
		d, _ := acuerdo.ParseDate(p[2])
		t.reply(prompts.T(t.locale, "date_changed", "{date}", prompts.Date(t.locale, d)))
	case "link":
		return a.link(ctx, t, ref, "custom", p[2])
	case "promise":
		return a.recordPromise(ctx, t, ref, p[2], p[3])
	case "partial":
		if err := a.link(ctx, t, ref, "custom", p[2]); err != nil {
			return err
		}
		return a.recordPromise(ctx, t, ref, p[3], p[4])
	}
	return nil
}

func (a *Agent) recordPromise(ctx context.Context, t *turn, ref, amount, date string) error {
	r := a.callTool(ctx, t, "", tools.RecordPromiseToPay, jsonArgs("account_id", ref, "amount", amount, "date", date))
	t.conv.State = stepMenu + ":" + ref
	if !r.OK {
		return a.refusal(t, r)
	}
	d, _ := acuerdo.ParseDate(date)
	t.reply(prompts.T(t.locale, "promise_recorded", "{amount}", prompts.Money(t.locale, decimal(amount, currencyHint(t))), "{date}", prompts.Date(t.locale, d)))
	return nil
}

// planFor offers a plan of n installments, or, beyond what policy allows, the
// nearest allowed plan with the limit explained.
func (a *Agent) planFor(ctx context.Context, t *turn, ref string, n int) error {
	neg := a.cfg.Policy.Negotiation
	switch {
	case n > neg.PlanMaxInstallments:
		t.reply(prompts.T(t.locale, "plan_limit", "{max}", strconv.Itoa(neg.PlanMaxInstallments)))
		n = neg.PlanMaxInstallments
	case n < neg.PlanMinInstallments:
		n = neg.PlanMinInstallments
	}
	return a.offerPlan(ctx, t, ref, n)
}

func (a *Agent) pause(ctx context.Context, t *turn, ref string, n int) error {
	r := a.callTool(ctx, t, "", tools.ProposePause, fmt.Sprintf(`{"account_id":%q,"days":%d}`, ref, n))
	t.conv.State = stepMenu + ":" + ref
	if !r.OK {
		return a.refusal(t, r)
	}
	until, _ := acuerdo.ParseDate(fmt.Sprint(r.Data["paused_until"]))
	t.reply(prompts.T(t.locale, "paused", "{date}", prompts.Date(t.locale, until)))
	return nil
}
