package api

import (
	"fmt"
	"net/http"

	"acuerdo"
	"acuerdo/store"
)

// The read endpoints answer from one consistent snapshot of the debtor
// (store.ExportDebtor), shaped as the API documents: amounts as decimal
// strings in the account's currency, dates YYYY-MM-DD, instants RFC 3339 UTC.

func (s *server) apiSnapshot(w http.ResponseWriter, r *http.Request) (store.DebtorExport, map[int64]string, bool) {
	d, ok := s.apiDebtorRef(w, r)
	if !ok {
		return store.DebtorExport{}, nil, false
	}
	x, err := s.cfg.Store.ExportDebtor(r.Context(), d.ID)
	if err != nil {
		s.apiStoreError(w, r, "read debtor", err)
		return x, nil, false
	}
	refs := make(map[int64]string, len(x.Accounts))
	for _, a := range x.Accounts {
		refs[a.ID] = a.Ref
	}
	return x, refs, true
}

func dateOrNil(d acuerdo.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

func (s *server) apiDebtor(w http.ResponseWriter, r *http.Request) {
	x, _, ok := s.apiSnapshot(w, r)
	if !ok {
		return
	}
	d := x.Debtor
	accts := make([]map[string]any, 0, len(x.Accounts))
	for _, a := range x.Accounts {
		var bal any
		if a.Balance != nil {
			bal = a.Balance.Decimal()
		}
		var inst any
		if a.InstallmentAmount.Amount > 0 {
			inst = a.InstallmentAmount.Decimal()
		}
		accts = append(accts, map[string]any{"ref": a.Ref, "currency": a.InstallmentAmount.Currency, "balance": bal, "balance_as_of": apiTime(a.BalanceAsOf),
			"installment_amount": inst, "next_due_date": dateOrNil(a.NextDueDate), "days_past_due": a.DaysPastDue, "status": a.Status,
			"created_at": apiTime(a.CreatedAt), "updated_at": apiTime(a.UpdatedAt)})
	}
	consents := make([]map[string]any, 0, len(x.Consents))
	for _, c := range x.Consents {
		consents = append(consents, consentJSON(c))
	}
	optedOut := false
	for _, c := range x.Conversations {
		optedOut = optedOut || c.OptedOut
	}
	apiJSON(w, http.StatusOK, map[string]any{"id": d.ID, "phone": d.Phone, "name": d.Name, "document_last4": d.DocumentLast4(), "email": d.Email,
		"country": d.Country, "time_zone": d.TimeZone, "locale": d.Locale, "segment": d.Segment, "opted_out": optedOut,
		"reachable": d.Unreachable == "", "unreachable_reason": nilIfEmpty(d.Unreachable), "unreachable_at": apiTimePtr(d.UnreachableAt),
		"created_at": apiTime(d.CreatedAt), "updated_at": apiTime(d.UpdatedAt), "accounts": accts, "consents": consents})
}

func (s *server) apiPromises(w http.ResponseWriter, r *http.Request) {
	x, refs, ok := s.apiSnapshot(w, r)
	if !ok {
		return
	}
	out := make([]map[string]any, 0, len(x.Promises))
	for _, p := range x.Promises {
		out = append(out, map[string]any{"id": p.ID, "account_ref": refs[p.AccountID], "conversation_id": nilIfZero(p.ConversationID),
			"amount": p.Amount.Decimal(), "currency": p.Amount.Currency, "due_date": p.DueDate.String(), "status": p.Status,
			"created_at": apiTime(p.CreatedAt), "resolved_at": apiTimePtr(p.ResolvedAt)})
	}
	apiJSON(w, http.StatusOK, map[string]any{"promises": out})
}

func (s *server) apiPlans(w http.ResponseWriter, r *http.Request) {
	x, refs, ok := s.apiSnapshot(w, r)
	if !ok {
		return
	}
	out := make([]map[string]any, 0, len(x.Plans))
	for _, p := range x.Plans {
		inst := make([]map[string]any, 0, len(p.Installments))
		for _, in := range p.Installments {
			inst = append(inst, map[string]any{"seq": in.Seq, "due_date": in.DueDate.String(), "amount": in.Amount.Decimal()})
		}
		out = append(out, map[string]any{"id": p.ID, "account_ref": refs[p.AccountID], "conversation_id": nilIfZero(p.ConversationID),
			"total": p.Total.Decimal(), "currency": p.Total.Currency, "status": p.Status, "installments": inst,
			"created_at": apiTime(p.CreatedAt), "accepted_at": apiTimePtr(p.AcceptedAt)})
	}
	apiJSON(w, http.StatusOK, map[string]any{"plans": out})
}

func (s *server) apiCases(w http.ResponseWriter, r *http.Request) {
	x, refs, ok := s.apiSnapshot(w, r)
	if !ok {
		return
	}
	out := make([]map[string]any, 0, len(x.Cases))
	for _, c := range x.Cases {
		var ref any
		if c.AccountID != 0 {
			ref = refs[c.AccountID]
		}
		out = append(out, map[string]any{"id": c.ID, "conversation_id": c.ConversationID, "account_ref": ref, "reason": c.Reason,
			"summary": c.Summary, "state": c.State, "closed": acuerdo.CaseClosed(c.State), "priority": c.Priority, "useful": c.Useful,
			"created_at": apiTime(c.CreatedAt), "updated_at": apiTime(c.UpdatedAt), "closed_at": apiTimePtr(c.ClosedAt)})
	}
	apiJSON(w, http.StatusOK, map[string]any{"cases": out})
}

// apiOutcomes sums up each conversation: how far it got (verified, promises,
// plans, cases) and how it ended (opted out, handed to a person).
func (s *server) apiOutcomes(w http.ResponseWriter, r *http.Request) {
	x, _, ok := s.apiSnapshot(w, r)
	if !ok {
		return
	}
	out := make([]map[string]any, 0, len(x.Conversations))
	for _, c := range x.Conversations {
		in, outb := 0, 0
		for _, m := range c.Messages {
			switch m.Direction {
			case acuerdo.Inbound:
				in++
			case acuerdo.Outbound:
				outb++
			}
		}
		promises, plans, opened, open := 0, 0, 0, 0
		for _, p := range x.Promises {
			if p.ConversationID == c.ID {
				promises++
			}
		}
		for _, p := range x.Plans {
			if p.ConversationID == c.ID && p.Status == acuerdo.PlanAccepted {
				plans++
			}
		}
		for _, k := range x.Cases {
			if k.ConversationID == c.ID {
				opened++
				if !acuerdo.CaseClosed(k.State) {
					open++
				}
			}
		}
		out = append(out, map[string]any{"conversation_id": c.ID, "channel": c.Channel, "started_at": apiTime(c.CreatedAt),
			"last_inbound_at": apiTimePtr(c.LastInboundAt), "messages_in": in, "messages_out": outb, "verified": c.Verified,
			"promises": promises, "plans_accepted": plans, "cases_opened": opened, "cases_open": open,
			"handed_to_person": c.Paused, "opted_out": c.OptedOut})
	}
	apiJSON(w, http.StatusOK, map[string]any{"outcomes": out})
}

// apiExport is everything held about the debtor, as `acuerdo export` prints
// it: the stored records themselves (amounts in minor units).
func (s *server) apiExport(w http.ResponseWriter, r *http.Request) {
	x, _, ok := s.apiSnapshot(w, r)
	if !ok {
		return
	}
	// Handing out everything about a person is audited (without the data).
	if err := s.cfg.Store.AppendAudit(r.Context(), apiAudit(r, "export", fmt.Sprintf("debtor %d, data_subject_request", x.Debtor.ID))); err != nil {
		s.apiInternal(w, r, "audit export", err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="debtor-export.json"`)
	apiJSON(w, http.StatusOK, x)
}

func nilIfZero(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
