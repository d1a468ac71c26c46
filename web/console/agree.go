package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/store"
	"acuerdo/tools"
)

// Tools are the agent's own tools (tools.Set) as the console calls
// them: what an operator agrees with a debtor goes through the same policy
// and the same audit as what the agent agrees.
type Tools interface {
	Call(ctx context.Context, e *tools.Env, name, rawArgs string) tools.Result
}

// agreementTemplate confirms an agreement to the debtor outside the 24-hour
// window; inside it the same text goes as a message.
const agreementTemplate = "agreement_confirmed"

// maxNote bounds an internal note.
const maxNote = 4000

// agreement is what one console action asks of the tools.
type agreement struct {
	tool string
	args map[string]any
}

// mayAgree loads the case an agreement is about: open, and held by the user
// (or the user is an admin), as replying is. It answers the request itself
// when the agreement cannot go ahead; exception is an admin's documented
// reason to go past a negotiation limit.
func (s *Server) mayAgree(w http.ResponseWriter, r *http.Request) (si *signedIn, v store.CaseView, exception string, ok bool) {
	si, v, ok = s.caseToAct(w, r)
	if !ok {
		return
	}
	if acuerdo.CaseClosed(v.State) {
		back(w, r, casePath(v.ID), "err", "err_closed")
		return si, v, "", false
	}
	if !si.user.Admin() && (v.State != acuerdo.CaseInProgress || v.AssigneeID != si.user.ID) {
		back(w, r, casePath(v.ID), "err", "err_claim_first")
		return si, v, "", false
	}
	exception = clipText(r.PostFormValue("exception"), 500)
	if exception != "" && !si.user.Admin() {
		s.fail(w, r, acuerdo.Errorf(acuerdo.EFORBIDDEN, "only an admin can grant an exception to the policy"))
		return si, v, "", false
	}
	return si, v, exception, true
}

// agree runs an operator's agreement through the tools in the case's
// conversation, records each call in the thread (so the agent and the team
// see it), and on success confirms it to the debtor through the outbox.
func (s *Server) agree(w http.ResponseWriter, r *http.Request, si *signedIn, v store.CaseView, exception string, steps func(run func(agreement) tools.Result) (tools.Result, string)) {
	ctx := r.Context()
	if s.cfg.Tools == nil {
		s.fail(w, r, acuerdo.Errorf(acuerdo.EINTERNAL, "the console has no tools configured"))
		return
	}
	conv, err := s.cfg.Store.ConversationByID(ctx, v.ConversationID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	env := &tools.Env{Conv: &conv, Operator: &tools.Operator{Ref: userRef(si.user), Exception: exception}}
	if v.DebtorID != 0 {
		d, err := s.cfg.Store.DebtorByID(ctx, v.DebtorID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		env.Debtor = &d
	}
	run := func(a agreement) tools.Result {
		raw, _ := json.Marshal(a.args)
		res := s.cfg.Tools.Call(ctx, env, a.tool, string(raw))
		rec, _ := json.Marshal(tools.Record{Name: a.tool, Args: string(raw), Result: res.JSON(), Facts: res.Facts, By: si.user.Name})
		if _, err := s.cfg.Store.AppendMessages(ctx, acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Internal, Author: acuerdo.AuthorTool, Body: string(rec), Status: acuerdo.MessageSent}); err != nil {
			s.cfg.Logger.ErrorContext(r.Context(), "console: store tool record", "err", err)
		}
		return res
	}
	res, detail := steps(run)
	if !res.OK {
		if res.Rule == "tool_error" {
			s.fail(w, r, acuerdo.Errorf(acuerdo.EINTERNAL, "%s failed", res.Tool))
			return
		}
		back(w, r, casePath(v.ID), "err", "err_policy_"+res.Rule)
		return
	}
	s.kickEvents()
	if detail != "" {
		if err := s.confirmAgreement(ctx, si, v, conv, env.Debtor, detail); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	back(w, r, casePath(v.ID), "ok", "ok_agreed")
}

// confirmAgreement queues the agreement's confirmation to the debtor: the
// approved template's text, in their language, with the facts rendered by
// code. Outside the window it goes as the template, business-initiated, so
// the contact policy (hours, caps, opt-out) applies.
func (s *Server) confirmAgreement(ctx context.Context, si *signedIn, v store.CaseView, conv acuerdo.Conversation, d *acuerdo.Debtor, detail string) error {
	t, _ := prompts.LookupTemplate(agreementTemplate)
	name, loc := "", conv.Locale
	if d != nil {
		name = strings.Fields(d.Name + " ")[0]
		if loc == "" {
			loc = d.Locale
		}
	}
	vars := map[string]string{"detail": detail}
	body := t.Render(loc, map[string]string{"name": name, "creditor": s.cfg.Options.Creditor, "detail": detail})
	open := s.windowOpen(conv.LastInboundAt, s.cfg.Clock())
	out := store.Outgoing{Body: body, Author: acuerdo.AuthorOperator, Template: agreementTemplate, Variables: vars, Business: !open}
	if err := s.cfg.Store.Enqueue(ctx, conv.ID, []store.Outgoing{out}, staffEntry(si, v, "agreement_confirmation", "template "+agreementTemplate)); err != nil {
		return err
	}
	s.kick()
	return nil
}

// accountArg passes the account the operator chose, when the debtor has
// several; the tool refuses a missing one with the references to choose from.
func accountArg(r *http.Request, args map[string]any) map[string]any {
	if a := strings.TrimSpace(r.PostFormValue("account")); a != "" {
		args["account_id"] = clipText(a, 40)
	}
	return args
}

// debtorLocale is the language the debtor reads.
func debtorLocale(conv acuerdo.Conversation, d *acuerdo.Debtor) string {
	if conv.Locale == "" && d != nil {
		return prompts.Locale(d.Locale)
	}
	return prompts.Locale(conv.Locale)
}

func (s *Server) consolePlan(w http.ResponseWriter, r *http.Request) {
	si, v, exc, ok := s.mayAgree(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("installments")))
	if err != nil || n < 1 || n > 60 {
		back(w, r, casePath(v.ID), "err", "err_installments")
		return
	}
	args := accountArg(r, map[string]any{"installments": n})
	if fd := strings.TrimSpace(r.PostFormValue("first_date")); fd != "" {
		if _, err := acuerdo.ParseDate(fd); err != nil {
			back(w, r, casePath(v.ID), "err", "err_date")
			return
		}
		args["first_date"] = fd
	}
	s.agree(w, r, si, v, exc, func(run func(agreement) tools.Result) (tools.Result, string) {
		// The operator agreed it with the debtor: offered and accepted at once.
		offer := run(agreement{tools.OfferPaymentPlan, args})
		if !offer.OK {
			return offer, ""
		}
		id, _ := offer.Data["plan_id"].(string)
		acc := run(agreement{tools.AcceptPaymentPlan, map[string]any{"plan_id": id}})
		if !acc.OK {
			return acc, ""
		}
		pid, _ := strconv.ParseInt(id, 10, 64)
		plan, err := s.cfg.Store.Plan(r.Context(), pid)
		if err != nil {
			s.cfg.Logger.ErrorContext(r.Context(), "console: read accepted plan", "plan", pid, "err", err)
			return acc, ""
		}
		return acc, s.planDetail(r.Context(), v, plan)
	})
}

// planDetail is a plan as the debtor reads it in their language.
func (s *Server) planDetail(ctx context.Context, v store.CaseView, p acuerdo.Plan) string {
	loc := s.caseDebtorLocale(ctx, v)
	var parts []string
	for _, in := range p.Installments {
		parts = append(parts, fmt.Sprintf(debtorText[loc]["agree_installment"], prompts.Money(loc, in.Amount), prompts.Date(loc, in.DueDate)))
	}
	return fmt.Sprintf(debtorText[loc]["agree_plan"], len(p.Installments), prompts.Money(loc, p.Total), strings.Join(parts, "; "))
}

func (s *Server) caseDebtorLocale(ctx context.Context, v store.CaseView) string {
	conv, err := s.cfg.Store.ConversationByID(ctx, v.ConversationID)
	if err != nil {
		return "es"
	}
	var d *acuerdo.Debtor
	if v.DebtorID != 0 {
		if x, err := s.cfg.Store.DebtorByID(ctx, v.DebtorID); err == nil {
			d = &x
		}
	}
	return debtorLocale(conv, d)
}

func (s *Server) consolePromise(w http.ResponseWriter, r *http.Request) {
	si, v, exc, ok := s.mayAgree(w, r)
	if !ok {
		return
	}
	date := strings.TrimSpace(r.PostFormValue("date"))
	if _, err := acuerdo.ParseDate(date); err != nil {
		back(w, r, casePath(v.ID), "err", "err_date")
		return
	}
	cur := s.caseCurrency(r.Context(), v)
	m, err := acuerdo.ParseLocalizedMoney(r.PostFormValue("amount"), cur)
	if err != nil || m.Amount <= 0 {
		back(w, r, casePath(v.ID), "err", "err_amount")
		return
	}
	args := accountArg(r, map[string]any{"amount": m.Decimal(), "date": date})
	s.agree(w, r, si, v, exc, func(run func(agreement) tools.Result) (tools.Result, string) {
		res := run(agreement{tools.RecordPromiseToPay, args})
		if !res.OK {
			return res, ""
		}
		loc := s.caseDebtorLocale(r.Context(), v)
		d, _ := acuerdo.ParseDate(date)
		return res, fmt.Sprintf(debtorText[loc]["agree_promise"], prompts.Money(loc, m), prompts.Date(loc, d))
	})
}

func (s *Server) consoleDueDate(w http.ResponseWriter, r *http.Request) {
	si, v, exc, ok := s.mayAgree(w, r)
	if !ok {
		return
	}
	nd := strings.TrimSpace(r.PostFormValue("new_date"))
	d, err := acuerdo.ParseDate(nd)
	if err != nil {
		back(w, r, casePath(v.ID), "err", "err_date")
		return
	}
	s.agree(w, r, si, v, exc, func(run func(agreement) tools.Result) (tools.Result, string) {
		res := run(agreement{tools.ProposeDateChange, accountArg(r, map[string]any{"new_date": nd})})
		if !res.OK {
			return res, ""
		}
		loc := s.caseDebtorLocale(r.Context(), v)
		return res, fmt.Sprintf(debtorText[loc]["agree_due_date"], prompts.Date(loc, d))
	})
}

func (s *Server) consolePause(w http.ResponseWriter, r *http.Request) {
	si, v, exc, ok := s.mayAgree(w, r)
	if !ok {
		return
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil || days < 1 || days > 366 {
		back(w, r, casePath(v.ID), "err", "err_days")
		return
	}
	s.agree(w, r, si, v, exc, func(run func(agreement) tools.Result) (tools.Result, string) {
		res := run(agreement{tools.ProposePause, accountArg(r, map[string]any{"days": days})})
		if !res.OK {
			return res, ""
		}
		loc := s.caseDebtorLocale(r.Context(), v)
		until, _ := res.Data["paused_until"].(string)
		ud, _ := acuerdo.ParseDate(until)
		return res, fmt.Sprintf(debtorText[loc]["agree_pause"], prompts.Date(loc, ud))
	})
}

// consoleNote adds an internal note to the case's thread: the team reads it,
// the debtor never does (it is no outbox row) and neither does the model.
func (s *Server) consoleNote(w http.ResponseWriter, r *http.Request) {
	si, v, ok := s.caseToAct(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"))
	if text == "" || len([]rune(text)) > maxNote {
		back(w, r, casePath(v.ID)+"#composer", "err", "err_note")
		return
	}
	body := si.user.Name + "\n" + text
	if _, err := s.cfg.Store.AppendMessages(r.Context(), acuerdo.Message{ConversationID: v.ConversationID, Direction: acuerdo.Internal, Author: acuerdo.AuthorNote, Body: body, Status: acuerdo.MessageSent}); err != nil {
		s.fail(w, r, err)
		return
	}
	// The note's words stay out of the append-only audit (they may hold
	// personal data that an erasure must be able to remove): its length only.
	if err := s.cfg.Store.AppendAudit(r.Context(), staffEntry(si, v, "case_note", fmt.Sprintf("[%d characters]", len([]rune(text))))); err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, casePath(v.ID)+"#composer", "ok", "ok_note")
}

// consoleContactMessage writes to a debtor who has no open case (a closed
// one, or none): free text inside the 24-hour window, else the re-engagement
// template, business-initiated so the contact policy applies.
func (s *Server) consoleContactMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si := signedInFrom(r)
	conv, ok := s.loadContact(w, r)
	if !ok {
		return
	}
	path := "/console/contacts/" + strconv.FormatInt(conv.ID, 10)
	cases, err := s.cfg.Store.ConversationCases(ctx, conv.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range cases {
		if !acuerdo.CaseClosed(c.State) {
			// An open case is where the team talks to the debtor: one place.
			back(w, r, casePath(c.ID), "err", "err_open_case")
			return
		}
	}
	if conv.OptedOut {
		back(w, r, path, "err", "err_opted_out")
		return
	}
	open := s.windowOpen(conv.LastInboundAt, s.cfg.Clock())
	var out store.Outgoing
	body := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"))
	switch {
	case !open:
		out = store.Outgoing{Author: acuerdo.AuthorOperator, Template: "reengage", Business: true}
		var d *acuerdo.Debtor
		if conv.DebtorID != 0 {
			if x, err := s.cfg.Store.DebtorByID(ctx, conv.DebtorID); err == nil {
				d = &x
			}
		}
		for _, o := range s.operatorTemplates(conv, d) {
			if o.Name == "reengage" {
				out.Body = o.Preview
			}
		}
	case body == "":
		back(w, r, path, "err", "err_empty")
		return
	case len([]rune(body)) > maxReply:
		back(w, r, path, "err", "err_too_long")
		return
	default:
		out = store.Outgoing{Body: body, Author: acuerdo.AuthorOperator, Template: "reengage"}
	}
	entry := acuerdo.AuditEntry{ConversationID: conv.ID, Kind: acuerdo.AuditAdmin, Name: "contact_message", Outcome: acuerdo.Allowed,
		Rule: "console_" + si.user.Role, Detail: userRef(si.user) + " wrote to a contact without an open case"}
	if err := s.cfg.Store.Enqueue(ctx, conv.ID, []store.Outgoing{out}, entry); err != nil {
		s.fail(w, r, err)
		return
	}
	s.kick()
	back(w, r, path, "ok", "ok_sent")
}

var ruleName = regexp.MustCompile(`^[a-z_]{1,40}$`)

// policyReason says in the page's language why policy refused an agreement,
// with the limits that apply; the rule's name follows for the audit-minded.
func (s *Server) policyReason(lang, rule string) string {
	n := s.cfg.Options.Negotiation
	t := consoleText[lang]
	if !ruleName.MatchString(rule) {
		return t["err_policy"]
	}
	var msg string
	switch rule {
	case policy.RulePlanInstallments:
		msg = fmt.Sprintf(t["why_plan_installments"], n.PlanMinInstallments, n.PlanMaxInstallments)
	case policy.RulePlanFirstInstallment:
		msg = fmt.Sprintf(t["why_plan_first"], strconv.FormatFloat(n.PlanMinFirstPercent, 'f', -1, 64))
	case policy.RulePlanStartDate:
		msg = fmt.Sprintf(t["why_plan_start"], n.PlanStartMaxDays)
	case policy.RuleDateChangeMaxDays:
		msg = fmt.Sprintf(t["why_date_max"], n.DateChangeMaxDays)
	case policy.RuleDateChangeFrequency:
		msg = fmt.Sprintf(t["why_date_every"], n.DateChangeEveryDays)
	case policy.RulePauseDays:
		if n.PauseMaxDays == 0 {
			msg = t["why_no_pauses"]
		} else {
			msg = fmt.Sprintf(t["why_pause_days"], n.PauseMinDays, n.PauseMaxDays)
		}
	case policy.RulePauseFrequency:
		msg = fmt.Sprintf(t["why_pause_every"], n.PauseEveryMonths)
	case "promise_date":
		msg = fmt.Sprintf(t["why_promise_date"], n.DateChangeMaxDays)
	default:
		if m, ok := t["why_"+rule]; ok {
			msg = m
		} else {
			msg = t["err_policy"]
		}
	}
	return msg + " (" + rule + ")"
}
