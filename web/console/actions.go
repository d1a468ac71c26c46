package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/prompts"
	"acuerdo/store"
)

// maxReply is WhatsApp's limit for one message, which the policy also applies.
const maxReply = 1600

func casePath(id int64) string { return "/console/cases/" + strconv.FormatInt(id, 10) }

// staffEntry is the audit line of something a console user did to a case.
func staffEntry(si *signedIn, v store.CaseView, name, detail string) acuerdo.AuditEntry {
	d := userRef(si.user) + fmt.Sprintf(" case %d", v.ID)
	if detail != "" {
		d += ": " + detail
	}
	return acuerdo.AuditEntry{ConversationID: v.ConversationID, Kind: acuerdo.AuditAdmin, Name: name, Outcome: acuerdo.Allowed, Rule: "console_" + si.user.Role, Detail: d}
}

// mayAct refuses a change to a case someone else holds, unless an admin makes it.
func mayAct(si *signedIn, v store.CaseView) error {
	if v.State == acuerdo.CaseInProgress && v.AssigneeID != 0 && v.AssigneeID != si.user.ID && !si.user.Admin() {
		return acuerdo.Errorf(acuerdo.EFORBIDDEN, "case %d is being handled by %s", v.ID, v.AssigneeName)
	}
	return nil
}

// caseToAct loads the request's case for an action by the signed-in user,
// answering the error (unknown case, someone else's) itself when it cannot.
func (s *Server) caseToAct(w http.ResponseWriter, r *http.Request) (*signedIn, store.CaseView, bool) {
	si := signedInFrom(r)
	v, err := s.loadCase(r.Context(), r)
	if err == nil {
		err = mayAct(si, v)
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, v, false
	}
	return si, v, true
}

func (s *Server) consoleClaim(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	v, err := s.loadCase(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	takeOver := r.PostFormValue("take_over") == "1"
	if takeOver && !si.user.Admin() {
		s.fail(w, r, acuerdo.Errorf(acuerdo.EFORBIDDEN, "only an admin can take a case over from someone else"))
		return
	}
	if err := s.cfg.Store.ClaimCase(r.Context(), v.ID, si.user.ID, takeOver, staffEntry(si, v, "case_claim", "")); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			back(w, r, casePath(v.ID), "err", "err_claimed")
			return
		}
		s.fail(w, r, err)
		return
	}
	back(w, r, casePath(v.ID), "ok", "ok_claimed")
}

func (s *Server) consoleReply(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si := signedInFrom(r)
	v, err := s.loadCase(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Replying is for the person who holds the case: two people writing to one
	// debtor at once is what claiming prevents.
	if v.State != acuerdo.CaseInProgress || v.AssigneeID != si.user.ID {
		back(w, r, casePath(v.ID), "err", "err_claim_first")
		return
	}
	// Handed back, the bot answers: two voices at once confuse the debtor.
	if !v.Paused {
		back(w, r, casePath(v.ID), "err", "err_bot_active")
		return
	}
	conv, err := s.cfg.Store.ConversationByID(ctx, v.ConversationID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	open := s.windowOpen(conv.LastInboundAt, s.cfg.Clock())
	var out store.Outgoing
	if name := r.PostFormValue("template"); name != "" {
		t, ok := prompts.LookupTemplate(name)
		if !ok || !operatorTemplate(t) {
			back(w, r, casePath(v.ID), "err", "err_template")
			return
		}
		var debtor *acuerdo.Debtor
		if v.DebtorID != 0 {
			if d, err := s.cfg.Store.DebtorByID(ctx, v.DebtorID); err == nil {
				debtor = &d
			}
		}
		preview := ""
		for _, o := range s.operatorTemplates(conv, debtor) {
			if o.Name == name {
				preview = o.Preview
			}
		}
		// Outside the window the engine sends the approved template (by its
		// content id) under the contact policy: it is business-initiated.
		out = store.Outgoing{Body: preview, Author: acuerdo.AuthorOperator, Template: name, Business: !open}
	} else {
		body := strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"))
		switch {
		case body == "":
			back(w, r, casePath(v.ID), "err", "err_empty")
			return
		case len([]rune(body)) > maxReply:
			back(w, r, casePath(v.ID), "err", "err_too_long")
			return
		case !open:
			back(w, r, casePath(v.ID), "err", "err_window")
			return
		}
		out = store.Outgoing{Body: body, Author: acuerdo.AuthorOperator, Template: "reengage"}
	}
	detail := "text"
	if out.Template != "" && r.PostFormValue("template") != "" {
		detail = "template " + out.Template
	}
	if err := s.cfg.Store.Enqueue(ctx, v.ConversationID, []store.Outgoing{out}, staffEntry(si, v, "case_reply", detail)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.kick()
	if r.Header.Get("X-Requested-With") != "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	back(w, r, casePath(v.ID)+"#composer", "ok", "ok_sent")
}

func (s *Server) consoleHandBack(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	v, err := s.loadCase(r.Context(), r)
	if err == nil {
		err = mayAct(si, v)
	}
	if err == nil {
		err = s.cfg.Store.HandBack(r.Context(), v.ID, staffEntry(si, v, "case_handback", ""))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, casePath(v.ID), "ok", "ok_handed_back")
}

func (s *Server) consoleClose(w http.ResponseWriter, r *http.Request) {
	si, v, ok := s.caseToAct(w, r)
	if !ok {
		return
	}
	state := r.PostFormValue("state")
	if !slices.Contains(store.ClosedStates, state) {
		back(w, r, casePath(v.ID), "err", "err_outcome")
		return
	}
	var useful *bool
	switch r.PostFormValue("useful") {
	case "yes":
		b := true
		useful = &b
	case "no":
		b := false
		useful = &b
	}
	note := clipText(r.PostFormValue("outcome"), 2000)
	if err := s.cfg.Store.CloseCase(r.Context(), v.ID, state, useful, note, staffEntry(si, v, "case_close", state)); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			back(w, r, casePath(v.ID), "err", "err_closed")
			return
		}
		s.fail(w, r, err)
		return
	}
	back(w, r, casePath(v.ID), "ok", "ok_closed")
}

// caseEditForm is the case form as posted.
type caseEditForm struct {
	Amount, Currency, PaymentMethod, Comments string
}

// parseCaseEdit checks the case form: the amount as people write it
// ("1.250.000", "99,90"), in an ISO currency; empty clears it.
func parseCaseEdit(f caseEditForm) (store.CaseEdit, error) {
	e := store.CaseEdit{PaymentMethod: clipText(f.PaymentMethod, 100), Comments: clipText(f.Comments, 4000)}
	if a := strings.TrimSpace(f.Amount); a != "" {
		cur := strings.ToUpper(strings.TrimSpace(f.Currency))
		if !acuerdo.ValidCurrency(cur) {
			return e, acuerdo.Errorf(acuerdo.EINVALID, "currency %q is not an ISO 4217 code such as COP, BRL or USD", f.Currency)
		}
		m, err := acuerdo.ParseLocalizedMoney(a, cur)
		if err != nil {
			return e, err
		}
		if m.Amount < 0 {
			return e, acuerdo.Errorf(acuerdo.EINVALID, "the amount cannot be negative")
		}
		e.Amount = &m
	}
	return e, nil
}

func (s *Server) consoleEdit(w http.ResponseWriter, r *http.Request) {
	si, v, ok := s.caseToAct(w, r)
	if !ok {
		return
	}
	e, err := parseCaseEdit(caseEditForm{Amount: r.PostFormValue("amount"), Currency: r.PostFormValue("currency"),
		PaymentMethod: r.PostFormValue("payment_method"), Comments: r.PostFormValue("comments")})
	if err != nil {
		back(w, r, casePath(v.ID), "err", "err_amount")
		return
	}
	if err := s.cfg.Store.EditCase(r.Context(), v.ID, e, staffEntry(si, v, "case_edit", "")); err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, casePath(v.ID), "ok", "ok_saved")
}

func (s *Server) consoleConfirmPayment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, v, ok := s.caseToAct(w, r)
	if !ok {
		return
	}
	acct, _ := strconv.ParseInt(r.PostFormValue("account_id"), 10, 64)
	var cur string
	if v.DebtorID != 0 {
		accts, err := s.cfg.Store.Accounts(ctx, v.DebtorID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, a := range accts {
			if a.ID == acct {
				cur = accountCurrency(a)
			}
		}
	}
	if cur == "" {
		back(w, r, casePath(v.ID), "err", "err_account")
		return
	}
	amount, err := acuerdo.ParseLocalizedMoney(r.PostFormValue("amount"), cur)
	if err != nil || amount.Amount <= 0 {
		back(w, r, casePath(v.ID), "err", "err_amount")
		return
	}
	paid, err := acuerdo.ParseDate(r.PostFormValue("paid_on"))
	if err != nil || paid.Time(time.UTC).After(s.cfg.Clock()) {
		back(w, r, casePath(v.ID), "err", "err_date")
		return
	}
	method := clipText(r.PostFormValue("method"), 100)
	entry := staffEntry(si, v, "payment_confirm", amount.String())
	if _, err := s.cfg.Store.ConfirmPayment(ctx, v.ID, acct, amount, paid.Time(time.UTC), method, entry); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			back(w, r, casePath(v.ID), "err", "err_closed")
			return
		}
		s.fail(w, r, err)
		return
	}
	back(w, r, casePath(v.ID), "ok", "ok_payment_confirmed")
}

func (s *Server) consoleRejectPayment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si, v, ok := s.caseToAct(w, r)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || len([]rune(reason)) > 1000 {
		back(w, r, casePath(v.ID), "err", "err_reason")
		return
	}
	conv, err := s.cfg.Store.ConversationByID(ctx, v.ConversationID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The debtor reads it in their language: a fixed opening and the
	// operator's own words.
	body := debtorText[prompts.Locale(conv.Locale)]["payment_rejected"] + " " + reason
	out := store.Outgoing{Body: body, Author: acuerdo.AuthorOperator, Template: "reengage"}
	if err := s.cfg.Store.RejectPayment(ctx, v.ID, reason, out, staffEntry(si, v, "payment_reject", "")); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			back(w, r, casePath(v.ID), "err", "err_closed")
			return
		}
		s.fail(w, r, err)
		return
	}
	s.kick()
	back(w, r, casePath(v.ID), "ok", "ok_payment_rejected")
}
