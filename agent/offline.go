package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"acuerdo"
	"acuerdo/prompts"
	"acuerdo/tools"
	"acuerdo/understand"
)

// The offline engine is a deterministic menu flow over the same tools and guards
// as the model. It is the default "model" and the fallback whenever the LLM
// fails, so a debtor always gets an answer. Its step lives in
// Conversation.State as "step" or "step:argument".
const (
	stepNew          = ""
	stepUnknown      = "unknown"
	stepVerify       = "verify"
	stepMenu         = "menu"
	stepPick         = "pick"
	stepAmount       = "amount"
	stepInstallments = "installments"
	stepPlan         = "plan"
	stepDate         = "date"
	stepDays         = "days"
	stepReceipt      = "receipt"
)

func (a *Agent) offline(ctx context.Context, t *turn) error {
	main, x := splitState(t.conv.State)
	t.conv.State = main
	defer func() { t.conv.State = joinState(t.conv.State, x) }()
	step, arg, _ := strings.Cut(main, ":")
	text := strings.TrimSpace(t.in.Text)
	r := t.read

	if t.debtor == nil {
		if step == stepUnknown && (choice(text) == 9 || choice(text) == 1 || r.Has(understand.Human)) {
			return a.escalate(ctx, t, acuerdo.ReasonDebtorRequest, "A number without an account asked for a person: "+clip(text, 200))
		}
		t.conv.State = stepUnknown
		t.reply(prompts.T(t.locale, "unknown_number", "{creditor}", a.cfg.Policy.CreditorName))
		return nil
	}
	if t.switched && r.Intent == understand.Language {
		t.reply(prompts.T(t.locale, "language_switched"))
	}
	// A receipt is a payment report whatever the step, once we know who
	// wrote; before that it waits on the conversation.
	if len(t.in.Media) > 0 && t.conv.Verified {
		return a.report(ctx, t, text)
	}
	if !t.conv.Verified {
		if len(t.in.Media) > 0 {
			x.Set("media", strings.Join(append(strings.Fields(x.Get("media")), t.in.Media...), " "))
			t.reply(prompts.T(t.locale, "receipt_waiting"))
		}
		if lastDigits(text) == "" && pendingWorthy(r.Intent) && len(t.in.Media) == 0 {
			x.Set("pending", clip(text, 300))
		}
		if step != stepVerify {
			first := firstName(t.debtor.Name)
			t.reply(prompts.T(t.locale, "greet", "{name}", first, "{creditor}", a.cfg.Policy.CreditorName))
			if digits := lastDigits(text); digits == "" {
				t.conv.State = stepVerify
				t.reply(a.askIdentity(t))
				return nil
			}
		}
		return a.verify(ctx, t, text, x)
	}

	switch step {
	case stepPick:
		if ref := pickAccount(text, strings.Split(arg, ",")); ref != "" {
			t.conv.State = stepMenu + ":" + ref
			return a.summary(ctx, t, ref)
		}
	case stepConfirm:
		switch r.YesNo {
		case 1:
			return a.confirmed(ctx, t, arg)
		case -1:
			p := strings.Split(arg, "|")
			t.conv.State = stepMenu + ":" + p[min(1, len(p)-1)]
			t.reply(prompts.T(t.locale, "confirm_cancelled"))
			t.reply(prompts.T(t.locale, "ask_short"))
			return nil
		}
		// Anything else is a new request: the commitment lapses unconfirmed.
		step, arg = stepMenu, strings.Split(arg, "|")[min(1, len(strings.Split(arg, "|"))-1)]
		t.conv.State = stepMenu + ":" + arg
	case stepPromiseAmount:
		ref, date, _ := strings.Cut(arg, "|")
		if len(r.Amounts) > 0 {
			t.conv.State = stepConfirm + ":promise|" + ref + "|" + r.Amounts[0].Money.Decimal() + "|" + date
			d, _ := acuerdo.ParseDate(date)
			t.reply(prompts.T(t.locale, "confirm_promise", "{amount}", prompts.Money(t.locale, r.Amounts[0].Money), "{date}", prompts.Date(t.locale, d)))
			return nil
		}
		step, arg = stepMenu, ref
		t.conv.State = stepMenu + ":" + ref
	case stepPromiseDate:
		ref, amount, _ := strings.Cut(arg, "|")
		if len(r.Dates) > 0 && r.Dates[0].Sure {
			m := decimal(amount, currencyHint(t))
			t.conv.State = stepConfirm + ":promise|" + ref + "|" + amount + "|" + r.Dates[0].Date.String()
			t.reply(prompts.T(t.locale, "confirm_promise", "{amount}", prompts.Money(t.locale, m), "{date}", prompts.Date(t.locale, r.Dates[0].Date)))
			return nil
		}
		step, arg = stepMenu, ref
		t.conv.State = stepMenu + ":" + ref
	case stepAmount:
		if len(r.Amounts) > 0 {
			return a.link(ctx, t, arg, "custom", r.Amounts[0].Money.Decimal())
		}
		if m, err := acuerdo.ParseLocalizedMoney(text, currencyHint(t)); err == nil {
			return a.link(ctx, t, arg, "custom", m.Decimal())
		}
		if !r.Sure || r.Intent == understand.Other {
			t.reply(prompts.T(t.locale, "invalid_number", "{example}", "50000"))
			return nil
		}
	case stepInstallments:
		if r.Installments > 0 {
			return a.planFor(ctx, t, arg, r.Installments)
		}
		if n, ok := number(text); ok {
			return a.planFor(ctx, t, arg, n)
		}
		if !r.Sure || r.Intent == understand.Other {
			t.reply(prompts.T(t.locale, "invalid_number", "{example}", "6"))
			return nil
		}
	case stepPlan:
		planID, ref, _ := strings.Cut(arg, "|")
		switch r.YesNo {
		case 1:
			res := a.callTool(ctx, t, "", tools.AcceptPaymentPlan, jsonArgs("plan_id", planID))
			t.conv.State = stepMenu + ":" + ref
			if !res.OK {
				return a.refusal(t, res)
			}
			t.reply(prompts.T(t.locale, "plan_accepted"))
			return nil
		case -1:
			t.conv.State = stepMenu + ":" + ref
			t.reply(prompts.T(t.locale, "menu"))
			return nil
		}
		if r.Installments > 0 {
			return a.planFor(ctx, t, ref, r.Installments)
		}
	case stepDate:
		if len(r.Dates) > 0 {
			return a.proposeDate(ctx, t, arg, r.Dates[len(r.Dates)-1])
		}
		if d, ok := parseDate(text, a.today(t)); ok {
			return a.proposeDate(ctx, t, arg, understand.Date{Date: d, Sure: true})
		}
		if !r.Sure || r.Intent == understand.Other {
			t.reply(prompts.T(t.locale, "invalid_date"))
			return nil
		}
	case stepDays:
		n, ok := r.Days, r.Days > 0
		if !ok {
			n, ok = number(text)
		}
		if ok {
			return a.pause(ctx, t, arg, n)
		}
		if !r.Sure || r.Intent == understand.Other {
			t.reply(prompts.T(t.locale, "invalid_number", "{example}", "15"))
			return nil
		}
	case stepReceipt:
		if text != "" && choice(text) == 0 && (r.Intent == understand.Other || r.Intent == understand.PaymentRep) {
			return a.report(ctx, t, text)
		}
	}

	ref := ""
	if step == stepMenu || step == stepAmount || step == stepInstallments || step == stepDate || step == stepDays || step == stepReceipt {
		ref = arg
	}
	if ref == "" {
		var asked bool
		var err error
		if ref, asked, err = a.chooseAccount(ctx, t); err != nil || asked {
			return err
		}
		t.conv.State = stepMenu + ":" + ref
	}
	c := r.Choice
	if c == 0 && len(strings.Fields(text)) <= 3 && !r.Sure {
		c = choice(text)
	}
	if c == 0 {
		if handled, err := a.dispatch(ctx, t, ref, x); err != nil || handled {
			x.Del("miss")
			return err
		}
	}
	switch {
	case c == 1:
		return a.link(ctx, t, ref, "total", "")
	case c == 2:
		return a.link(ctx, t, ref, "overdue", "")
	case c == 3:
		return a.link(ctx, t, ref, "installment", "")
	case c == 4:
		t.conv.State = stepAmount + ":" + ref
		t.reply(prompts.T(t.locale, "ask_amount"))
	case c == 5:
		t.conv.State = stepInstallments + ":" + ref
		n := a.cfg.Policy.Negotiation
		t.reply(prompts.T(t.locale, "ask_installments", "{min}", strconv.Itoa(n.PlanMinInstallments), "{max}", strconv.Itoa(n.PlanMaxInstallments)))
	case c == 6:
		r := a.callTool(ctx, t, "", tools.LookupDebt, jsonArgs("account_id", ref))
		latest := ""
		if accts, ok := r.Data["accounts"].([]map[string]any); ok && len(accts) > 0 {
			if opts, ok := accts[0]["options"].(map[string]any); ok {
				if s, ok := opts["latest_new_due_date"].(string); ok {
					if d, err := acuerdo.ParseDate(s); err == nil {
						latest = prompts.Date(t.locale, d)
					}
				} else if why, ok := opts["date_change"].(string); ok {
					t.reply(prompts.T(t.locale, "refused", "{reason}", why))
					t.reply(prompts.T(t.locale, "menu"))
					return nil
				}
			}
		}
		t.conv.State = stepDate + ":" + ref
		t.reply(prompts.T(t.locale, "ask_date", "{latest}", latest))
	case c == 7:
		t.conv.State = stepDays + ":" + ref
		t.reply(prompts.T(t.locale, "ask_days", "{max}", strconv.Itoa(a.cfg.Policy.Negotiation.PauseMaxDays)))
	case c == 8:
		t.conv.State = stepReceipt + ":" + ref
		t.reply(prompts.T(t.locale, "ask_receipt"))
	case c == 9:
		return a.escalate(ctx, t, acuerdo.ReasonDebtorRequest, "The debtor asked for a person from the menu.")
	default:
		if c > 0 {
			x.Del("miss")
		}
		// At the menu: one short question, the menu after two
		// misunderstandings; anywhere else, start with what is owed.
		if step == stepMenu && text != "" {
			a.notUnderstood(t, x)
			return nil
		}
		return a.summaryAndMenu(ctx, t, ref, step == stepMenu)
	}
	x.Del("miss")
	return nil
}

func (a *Agent) askIdentity(t *turn) string {
	if t.debtor.DocumentID == "" {
		return prompts.T(t.locale, "ask_account_digits")
	}
	return prompts.T(t.locale, "ask_document")
}

func (a *Agent) verify(ctx context.Context, t *turn, text string, x url.Values) error {
	digits := lastDigits(text)
	if digits == "" {
		t.conv.State = stepVerify
		t.reply(a.askIdentity(t))
		return nil
	}
	r := a.callTool(ctx, t, "", tools.VerifyIdentity, jsonArgs("document_last4", digits))
	switch {
	case r.OK:
		t.reply(prompts.T(t.locale, "verified", "{name}", firstName(t.debtor.Name)))
		t.conv.State = stepMenu
		return a.afterVerify(ctx, t, x)
	case r.Rule == "identity_locked" || r.Rule == "identity_mismatch" && t.conv.FailedChecks >= 3:
		t.reply(prompts.T(t.locale, "verify_locked"))
		return a.escalateQuiet(ctx, t, acuerdo.ReasonOther, "Identity could not be confirmed after several attempts.")
	default:
		left := 3 - t.conv.FailedChecks
		t.conv.State = stepVerify
		t.reply(prompts.T(t.locale, "verify_fail", "{left}", strconv.Itoa(left)))
		return nil
	}
}

// afterVerify acts on what the debtor sent or asked before proving who they
// are: receipts become the payment report, a request is answered.
func (a *Agent) afterVerify(ctx context.Context, t *turn, x url.Values) error {
	media, pending := strings.Fields(x.Get("media")), x.Get("pending")
	x.Del("media")
	x.Del("pending")
	if len(media) > 0 {
		saved := t.env.Media
		t.env.Media = media
		err := a.report(ctx, t, pending)
		t.env.Media = saved
		return err
	}
	if pending == "" {
		return a.summaryAndMenu(ctx, t, "", false)
	}
	ref, asked, err := a.chooseAccount(ctx, t)
	if err != nil || asked {
		return err
	}
	t.conv.State = stepMenu + ":" + ref
	whole, read := t.in, t.read
	defer func() { t.in, t.read = whole, read }()
	t.in = Inbound{Text: pending}
	t.read = understand.Read(pending, a.readContext(t))
	if handled, err := a.dispatch(ctx, t, ref, x); err != nil || handled {
		return err
	}
	return a.summary(ctx, t, ref)
}

// chooseAccount returns the debtor's only open account, or asks which one when
// there are several (asked is then true and the reply is queued).
func (a *Agent) chooseAccount(ctx context.Context, t *turn) (ref string, asked bool, err error) {
	accts, err := a.accounts(ctx, t)
	if err != nil || len(accts) == 0 {
		return "", false, err
	}
	if len(accts) == 1 {
		return accts[0], false, nil
	}
	lines := make([]string, len(accts))
	for i, r := range accts {
		lines[i] = fmt.Sprintf("%d. %s", i+1, r)
	}
	t.conv.State = stepPick + ":" + strings.Join(accts, ",")
	t.reply(prompts.T(t.locale, "pick_account", "{list}", strings.Join(lines, "\n")))
	return "", true, nil
}

// summaryAndMenu shows what is owed and the menu, choosing the account first when
// the debtor has several.
func (a *Agent) summaryAndMenu(ctx context.Context, t *turn, ref string, menuOnly bool) error {
	if ref == "" {
		var asked bool
		var err error
		if ref, asked, err = a.chooseAccount(ctx, t); err != nil || asked {
			return err
		}
	}
	t.conv.State = stepMenu + ":" + ref
	if menuOnly {
		t.reply(prompts.T(t.locale, "menu"))
		return nil
	}
	return a.summary(ctx, t, ref)
}

// summaryOnly answers "how much do I owe?" with what is owed, no menu.
func (a *Agent) summaryOnly(ctx context.Context, t *turn, ref string) error {
	n := len(t.res.Replies)
	if err := a.summary(ctx, t, ref); err != nil {
		return err
	}
	if len(t.res.Replies) > n && t.res.Replies[len(t.res.Replies)-1] == prompts.T(t.locale, "menu") {
		t.res.Replies = t.res.Replies[:len(t.res.Replies)-1]
		t.reply(prompts.T(t.locale, "ask_short"))
	}
	return nil
}

func (a *Agent) summary(ctx context.Context, t *turn, ref string) error {
	r := a.callTool(ctx, t, "", tools.LookupDebt, jsonArgs("account_id", ref))
	if !r.OK {
		return a.refusal(t, r)
	}
	for _, acct := range asMaps(r.Data["accounts"]) {
		cur := fmt.Sprint(acct["currency"])
		if fmt.Sprint(acct["balance"]) == "unknown" {
			t.reply(prompts.T(t.locale, "summary_unknown", "{ref}", fmt.Sprint(acct["account_id"])))
			continue
		}
		overdue, due := "", ""
		if m := decimal(acct["overdue"], cur); m.Amount > 0 {
			overdue = prompts.T(t.locale, "summary_overdue", "{amount}", prompts.Money(t.locale, m))
		}
		if s, ok := acct["next_due_date"].(string); ok {
			if d, err := acuerdo.ParseDate(s); err == nil {
				due = prompts.T(t.locale, "summary_due", "{date}", prompts.Date(t.locale, d))
			}
		}
		t.reply(prompts.T(t.locale, "summary", "{ref}", fmt.Sprint(acct["account_id"]),
			"{balance}", prompts.Money(t.locale, decimal(acct["balance"], cur)), "{overdue}", overdue, "{due}", due))
	}
	t.reply(prompts.T(t.locale, "menu"))
	return nil
}

func (a *Agent) link(ctx context.Context, t *turn, ref, scope, amount string) error {
	args := map[string]string{"scope": scope}
	if ref != "" {
		args["account_id"] = ref
	}
	if amount != "" {
		args["amount"] = amount
	}
	b, _ := json.Marshal(args)
	r := a.callTool(ctx, t, "", tools.SendPaymentLink, string(b))
	t.conv.State = stepMenu + ":" + ref
	if !r.OK {
		if r.Rule == "nothing_to_pay" {
			t.reply(prompts.T(t.locale, "no_balance"))
			return nil
		}
		return a.refusal(t, r)
	}
	m := decimal(r.Data["amount"], fmt.Sprint(r.Data["currency"]))
	t.reply(prompts.T(t.locale, "link", "{amount}", prompts.Money(t.locale, m), "{url}", fmt.Sprint(r.Data["url"])))
	return nil
}

func (a *Agent) offerPlan(ctx context.Context, t *turn, ref string, n int) error {
	r := a.callTool(ctx, t, "", tools.OfferPaymentPlan, fmt.Sprintf(`{"account_id":%q,"installments":%d}`, ref, n))
	if !r.OK {
		t.conv.State = stepMenu + ":" + ref
		if r.Rule == "nothing_to_pay" {
			t.reply(prompts.T(t.locale, "no_balance"))
			return nil
		}
		return a.refusal(t, r)
	}
	var lines []string
	sched, _ := r.Data["installments"].([]string)
	for i, in := range sched {
		date, amount, _ := strings.Cut(in, " ")
		d, _ := acuerdo.ParseDate(date)
		lines = append(lines, prompts.T(t.locale, "plan_line", "{seq}", strconv.Itoa(i+1), "{date}", prompts.Date(t.locale, d),
			"{amount}", prompts.Money(t.locale, decimal(amount, currencyHint(t)))))
	}
	t.conv.State = stepPlan + ":" + fmt.Sprint(r.Data["plan_id"]) + "|" + ref
	t.reply(prompts.T(t.locale, "plan_offer", "{n}", strconv.Itoa(len(lines)), "{total}", prompts.Money(t.locale, decimal(r.Data["total"], currencyHint(t))),
		"{schedule}", strings.Join(lines, "\n")))
	return nil
}

func (a *Agent) report(ctx context.Context, t *turn, text string) error {
	args := map[string]string{}
	if text != "" {
		args["note"] = clip(text, 400)
	}
	b, _ := json.Marshal(args)
	r := a.callTool(ctx, t, "", tools.ReportPayment, string(b))
	step, arg, _ := strings.Cut(t.conv.State, ":")
	if step == stepReceipt {
		t.conv.State = stepMenu + ":" + arg
	}
	if !r.OK {
		return a.refusal(t, r)
	}
	if attached, _ := r.Data["receipt_attached"].(bool); !attached {
		t.reply(prompts.T(t.locale, "receipt_missing"))
		return nil
	}
	t.reply(prompts.T(t.locale, "receipt_received"))
	return nil
}

func (a *Agent) escalate(ctx context.Context, t *turn, reason, summary string) error {
	if err := a.escalateQuiet(ctx, t, reason, summary); err != nil {
		return err
	}
	t.reply(prompts.T(t.locale, "escalated"))
	return nil
}

func (a *Agent) escalateQuiet(ctx context.Context, t *turn, reason, summary string) error {
	b, _ := json.Marshal(map[string]string{"reason": reason, "summary": summary})
	if r := a.callTool(ctx, t, "", tools.EscalateToHuman, string(b)); !r.OK {
		return fmt.Errorf("escalation refused: %s", r.Message)
	}
	t.conv.State = ""
	return nil
}

// refusal tells the debtor, kindly, what policy refused and offers the menu.
func (a *Agent) refusal(t *turn, r tools.Result) error {
	if d, ok := r.Data["latest_allowed_date"].(string); ok {
		// A date too far out: offer the latest one policy allows and ask again.
		if dd, err := acuerdo.ParseDate(d); err == nil {
			t.reply(prompts.T(t.locale, "ask_date", "{latest}", prompts.Date(t.locale, dd)))
			step, arg, _ := strings.Cut(t.conv.State, ":")
			if step == stepMenu {
				t.conv.State = stepDate + ":" + arg
			}
			return nil
		}
	}
	t.reply(prompts.T(t.locale, "refused", "{reason}", localRefusal(t.locale, r)))
	t.reply(prompts.T(t.locale, "menu"))
	return nil
}

// localRefusal explains a refusal in the debtor's language; policy's reasons are
// English, for the audit log and the model.
func localRefusal(locale string, r tools.Result) string {
	es := map[string][3]string{
		"pause_frequency":        {"ya tuviste una pausa este año.", "você já teve uma pausa este ano.", "you already had a pause this year."},
		"pause_days":             {"la pausa puede ser de 1 a 30 días.", "a pausa pode ser de 1 a 30 dias.", "a pause can be 1 to 30 days."},
		"date_change_frequency":  {"ya cambiamos la fecha hace poco.", "já mudamos a data recentemente.", "the date was changed recently."},
		"plan_installments":      {"el plan puede ser de 2 a 12 cuotas.", "o parcelamento pode ser de 2 a 12 parcelas.", "a plan can have 2 to 12 installments."},
		"plan_first_installment": {"la primera cuota debe ser de al menos el 10 %.", "a primeira parcela deve ser de pelo menos 10 %.", "the first installment must be at least 10 %."},
		"amount_out_of_range":    {"el valor debe ser mayor que cero y no superar tu saldo.", "o valor deve ser maior que zero e não passar do saldo.", "the amount must be above zero and no more than your balance."},
		"nothing_overdue":        {"no tienes valores vencidos en este crédito.", "você não tem valores em atraso neste contrato.", "nothing is overdue on this account."},
		"plan_outdated":          {"recibimos un pago después de la oferta; pide un plan nuevo con la opción 5.", "recebemos um pagamento depois da oferta; peça um novo parcelamento com a opção 5.", "a payment arrived after the offer; ask for a new plan with option 5."},
		"no_installment":         {"este crédito no tiene valor de cuota registrado.", "este contrato não tem valor de parcela registrado.", "this account has no installment amount on file."},
	}
	i := map[string]int{"es": 0, "pt-BR": 1, "en": 2}[prompts.Locale(locale)]
	if m, ok := es[r.Rule]; ok {
		return m[i]
	}
	return [3]string{"esta opción no está disponible.", "esta opção não está disponível.", "this option isn't available."}[i]
}

func (a *Agent) accounts(ctx context.Context, t *turn) ([]string, error) {
	accts, err := a.cfg.Store.Accounts(ctx, t.debtor.ID)
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, ac := range accts {
		if ac.Status == acuerdo.AccountOpen {
			refs = append(refs, ac.Ref)
		}
	}
	return refs, nil
}

func (a *Agent) today(t *turn) acuerdo.Date {
	loc := time.UTC
	if t.debtor != nil && t.debtor.TimeZone != "" {
		if l, err := time.LoadLocation(t.debtor.TimeZone); err == nil {
			loc = l
		}
	}
	return acuerdo.DateOf(a.cfg.Clock().In(loc))
}

func currencyHint(t *turn) string {
	if t.debtor != nil {
		if c := acuerdo.CurrencyOf(t.debtor.Country); c != "" {
			return c
		}
	}
	return "COP"
}

func jsonArgs(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func asMaps(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []map[string]string:
		out := make([]map[string]any, len(x))
		for i, m := range x {
			out[i] = map[string]any{}
			for k, v := range m {
				out[i][k] = v
			}
		}
		return out
	}
	return nil
}

func decimal(v any, cur string) acuerdo.Money {
	m, _ := acuerdo.ParseMoney(fmt.Sprint(v), cur)
	return m
}

func firstName(name string) string {
	f, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	return f
}

var digitRun = regexp.MustCompile(`[0-9]{4,}`)

// lastDigits takes the last four digits of the first run of four or more digits:
// "termina en 4321" and a full number typed by mistake both give the last four.
func lastDigits(s string) string {
	m := digitRun.FindString(s)
	if m == "" {
		return ""
	}
	return m[len(m)-4:]
}

// menuWords understands the menu in words as well as numbers.
var menuWords = []struct {
	n     int
	words []string
}{
	{9, []string{"persona", "asesor", "humano", "agente", "pessoa", "atendente", "humano", "person", "agent", "human", "operator"}},
	{8, []string{"ya pague", "ya pagué", "pague", "pagué", "comprobante", "paguei", "ja paguei", "já paguei", "comprovante", "already paid", "receipt", "i paid"}},
	{7, []string{"pausa", "pausar", "pause"}},
	{6, []string{"fecha", "cambiar", "prorroga", "prórroga", "data", "mudar", "adiar", "date", "postpone", "later"}},
	{5, []string{"plan", "cuotas", "acuerdo", "convenio", "parcelamento", "parcelar", "parcelas", "payment plan", "installments"}},
	{4, []string{"otro valor", "otro monto", "outro valor", "another amount", "other amount", "abono", "parte"}},
	{3, []string{"una cuota", "cuota", "uma parcela", "parcela", "one installment", "installment"}},
	{2, []string{"vencido", "mora", "atrasado", "em atraso", "atraso", "overdue", "late"}},
	// "Cancelar la deuda" is how Latin Americans say paying it off (and "quitar a
	// dívida" Brazilians); without these it fell through to "no te entendí".
	{1, []string{"total", "todo", "tudo", "everything", "all", "pagar", "pay", "link",
		"cancelar mi deuda", "cancelar la deuda", "cancelar el credito", "cancelar el crédito", "cancelar mi credito", "cancelar mi crédito",
		"saldar", "quitar a dívida", "quitar minha dívida", "quitar a divida", "quitar minha divida", "pay off", "settle"}},
}

func choice(text string) int {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.TrimRight(t, ".!) ")
	if n, err := strconv.Atoi(t); err == nil && n >= 1 && n <= 9 {
		return n
	}
	// Menu words only count in short answers: in a long message "a reasonable
	// person" is not a request for one (the escalation lexicon catches real ones).
	if len(strings.Fields(t)) > 12 {
		return 0
	}
	for _, mw := range menuWords {
		for _, w := range mw.words {
			if containsWord(t, w) {
				return mw.n
			}
		}
	}
	return 0
}

func containsWord(text, w string) bool {
	i := strings.Index(text, w)
	for i >= 0 {
		before := i == 0 || !isLetter(text[i-1])
		end := i + len(w)
		after := end == len(text) || !isLetter(text[end])
		if before && after {
			return true
		}
		j := strings.Index(text[i+1:], w)
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 0x80 }

func number(text string) (int, bool) {
	f := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsDigit(r) })
	if len(f) != 1 {
		return 0, false
	}
	n, err := strconv.Atoi(f[0])
	return n, err == nil
}

func pickAccount(text string, refs []string) string {
	if n, ok := number(text); ok && n >= 1 && n <= len(refs) && len(strings.TrimSpace(text)) <= 2 {
		return refs[n-1]
	}
	for _, r := range refs {
		if strings.Contains(strings.ToUpper(text), strings.ToUpper(r)) {
			return r
		}
	}
	return ""
}

// parseDate reads the dates debtors type: 2026-12-15, 15/12/2026, 15/12 or just a
// day of the month ("el 15"), the next such day from today.
func parseDate(text string, today acuerdo.Date) (acuerdo.Date, bool) {
	s := strings.TrimSpace(text)
	if d, err := acuerdo.ParseDate(s); err == nil {
		return d, true
	}
	nums := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	ints := make([]int, len(nums))
	for i, n := range nums {
		ints[i], _ = strconv.Atoi(n)
	}
	mk := func(y, m, d int) (acuerdo.Date, bool) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d || int(t.Month()) != m {
			return acuerdo.Date{}, false
		}
		return acuerdo.DateOf(t), true
	}
	switch len(ints) {
	case 3:
		y := ints[2]
		if y < 100 {
			y += 2000
		}
		return mk(y, ints[1], ints[0])
	case 2:
		d, ok := mk(today.Year, ints[1], ints[0])
		if ok && d.Before(today) {
			d, ok = mk(today.Year+1, ints[1], ints[0])
		}
		return d, ok
	case 1:
		if ints[0] < 1 || ints[0] > 31 {
			return acuerdo.Date{}, false
		}
		m, y := int(today.Month), today.Year
		if ints[0] <= today.Day {
			if m++; m > 12 {
				m, y = 1, y+1
			}
		}
		return mk(y, m, ints[0])
	}
	return acuerdo.Date{}, false
}
