package console

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/prompts"
	"acuerdo/store"
)

// caseRow is a case as a line of the inbox.
type caseRow struct {
	ID                       int64
	Who, Phone, Account      string
	State, StateLabel        string
	Reason, ReasonLabel      string
	Summary                  string
	Priority                 int
	Age, SLA                 string // "3 h", and the badge class: ok, warn, late, done
	Assignee                 string
	Paused, Mine, Unassigned bool
	Callback                 string // a call back's slot in the debtor's local time, "" for other cases
	Unread                   bool   // the debtor wrote since the user last opened the case
	Labels                   []string
}

func (s *Server) caseRow(t map[string]string, v store.CaseView, me int64, now time.Time) caseRow {
	who := v.Name
	if who == "" {
		who = t["unknown_contact"]
	}
	return caseRow{ID: v.ID, Who: who, Phone: v.Phone, Account: v.AccountRef, State: v.State, StateLabel: stateLabel(t, v.State),
		Reason: v.Reason, ReasonLabel: reasonLabel(t, v.Reason), Summary: clipText(v.Summary, 160), Priority: v.Priority,
		Age: age(t, now.Sub(v.CreatedAt)), SLA: sla(v, now), Assignee: v.AssigneeName, Paused: v.Paused,
		Mine: v.AssigneeID == me && me != 0, Unassigned: v.AssigneeID == 0, Callback: callbackSlot(v)}
}

// callbackSlot shows when to call, in the debtor's time (where the call
// happens), with the zone so an operator elsewhere is not misled.
func callbackSlot(v store.CaseView) string {
	if v.CallbackAt == nil {
		return ""
	}
	loc := time.UTC
	if l, err := time.LoadLocation(v.TimeZone); err == nil && v.TimeZone != "" {
		loc = l
	}
	at := v.CallbackAt.In(loc)
	out := at.Format("2006-01-02 15:04") + " " + loc.String()
	if v.CallbackPhone != "" && v.CallbackPhone != v.Phone {
		out += " · " + v.CallbackPhone
	}
	return out
}

// sla colours a case by how close it is to the 48-hour limit after which it
// expires: green for fresh, amber past a quarter, red past half or expired.
func sla(v store.CaseView, now time.Time) string {
	if acuerdo.CaseClosed(v.State) {
		return "done"
	}
	if v.State == acuerdo.CaseExpired {
		return "late"
	}
	start := v.CreatedAt
	if v.CallbackAt != nil {
		start = *v.CallbackAt // a call back is due at its slot, not before
	}
	switch a := now.Sub(start); {
	case a >= store.CaseExpiry/2:
		return "late"
	case a >= store.CaseExpiry/4:
		return "warn"
	}
	return "ok"
}

func stateLabel(t map[string]string, s string) string {
	if l := t["state_"+s]; l != "" {
		return l
	}
	return s
}

func reasonLabel(t map[string]string, r string) string {
	if l := t["reason_"+r]; l != "" {
		return l
	}
	return r
}

// age says how long ago, in the largest unit that fits.
func age(t map[string]string, d time.Duration) string {
	switch {
	case d < time.Minute:
		return t["now"]
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d %s", int(d.Hours()/24), t["days"])
}

func clipText(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// msgView is one bubble of a conversation.
type msgView struct {
	ID     int64
	Side   string // in (the debtor), bot, op (an operator), tool
	Who    string
	Body   string
	Time   string
	Status string // delivery, for outbound messages
	Failed bool
	Tool   *toolView
}

// toolView is a tool call the agent made, shown compactly.
type toolView struct {
	Name, Args, Result string
	By                 string // the operator who called it from the console
	rawArgs, rawResult string // unclipped, for the PDF's readable line
	OK                 bool
}

func (s *Server) msgViews(t map[string]string, msgs []acuerdo.Message) []msgView {
	out := make([]msgView, 0, len(msgs))
	loc := s.cfg.Options.Location
	for _, m := range msgs {
		v := msgView{ID: m.ID, Body: m.Body, Time: dayTime(t, m.CreatedAt.In(loc))}
		switch {
		case m.Direction == acuerdo.Internal && m.Author == acuerdo.AuthorNote:
			// The first line is who wrote it.
			who, text, _ := strings.Cut(m.Body, "\n")
			v.Side, v.Who, v.Body = "note", t["note"]+" · "+who, text
		case m.Direction == acuerdo.Internal:
			v.Side, v.Who, v.Tool = "tool", t["tool"], parseTool(m.Body)
			if v.Tool.By != "" {
				v.Who = t["tool"] + " · " + t["by"] + " " + v.Tool.By
			}
		case m.Author == acuerdo.AuthorDebtor:
			v.Side, v.Who = "in", t["debtor"]
		case m.Author == acuerdo.AuthorOperator:
			v.Side, v.Who = "op", t["operator"]
		default:
			v.Side, v.Who = "bot", t["bot"]
		}
		if m.Direction == acuerdo.Outbound {
			v.Status = t["status_"+m.Status]
			v.Failed = m.Status == acuerdo.MessageFailed || m.Status == acuerdo.MessageUndelivered
			if m.TemplateID != "" {
				v.Who += " · " + t["template"]
			}
		}
		if m.Body == "" && m.Direction != acuerdo.Internal {
			v.Body = t["no_text"]
		}
		out = append(out, v)
	}
	return out
}

// parseTool reads the agent's stored tool record; a record it cannot read is
// shown raw rather than hidden.
func parseTool(body string) *toolView {
	var rec struct {
		Name   string `json:"name"`
		Args   string `json:"args"`
		Result string `json:"result"`
		By     string `json:"by"`
	}
	if err := json.Unmarshal([]byte(body), &rec); err != nil || rec.Name == "" {
		return &toolView{Name: "?", Result: clipText(body, 300)}
	}
	var res struct {
		OK *bool `json:"ok"`
	}
	ok := true
	if json.Unmarshal([]byte(rec.Result), &res) == nil && res.OK != nil {
		ok = *res.OK
	}
	args := strings.TrimSpace(rec.Args)
	if args == "{}" {
		args = ""
	}
	return &toolView{Name: rec.Name, Args: clipText(args, 200), Result: clipText(rec.Result, 300), By: rec.By, OK: ok, rawArgs: args, rawResult: rec.Result}
}

// accountView is one account of the side panel with its promises.
type accountView struct {
	ID                                 int64
	Ref, Balance, Installment, NextDue string
	DaysPastDue                        int
	Status                             string
	Promises                           []promiseView
}

type promiseView struct {
	Amount, Due, Status string
}

func (s *Server) accountViews(ctx context.Context, lang string, debtorID int64) ([]accountView, error) {
	if debtorID == 0 {
		return nil, nil
	}
	accts, err := s.cfg.Store.Accounts(ctx, debtorID)
	if err != nil {
		return nil, err
	}
	t := consoleText[lang]
	out := make([]accountView, 0, len(accts))
	for _, a := range accts {
		v := accountView{ID: a.ID, Ref: a.Ref, DaysPastDue: a.DaysPastDue, Status: t["account_"+a.Status], NextDue: dateText(lang, a.NextDueDate)}
		if a.Balance != nil {
			v.Balance = prompts.Money(lang, *a.Balance)
		}
		if a.InstallmentAmount.Amount > 0 {
			v.Installment = prompts.Money(lang, a.InstallmentAmount)
		}
		ps, err := s.cfg.Store.Promises(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			v.Promises = append(v.Promises, promiseView{Amount: prompts.Money(lang, p.Amount), Due: prompts.Date(lang, p.DueDate), Status: t["promise_"+p.Status]})
		}
		out = append(out, v)
	}
	return out, nil
}

// dateText shows a date in the page's language, or a dash when there is none.
func dateText(lang string, d acuerdo.Date) string {
	if d.IsZero() {
		return "–"
	}
	return prompts.Date(lang, d)
}

// dayTime is "05 mar 14:30" with the month's name in the page's language
// (time.Format only knows English names).
func dayTime(t map[string]string, at time.Time) string {
	months := strings.Fields(t["months"])
	m := at.Format("Jan")
	if len(months) == 12 {
		m = months[at.Month()-1]
	}
	return fmt.Sprintf("%02d %s %02d:%02d", at.Day(), m, at.Hour(), at.Minute())
}
