package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/importer"
	"acuerdo/store"
)

// batchResult is the answer to a batch that wrote something. Every item is in
// Results; the rejected ones also in Errors, with the field at fault.
type batchResult struct {
	Received int          `json:"received"`
	Accepted int          `json:"accepted"`
	Rejected int          `json:"rejected"`
	Created  int          `json:"created"`
	Updated  int          `json:"updated"`
	Skipped  int          `json:"already_recorded"`
	Results  []itemResult `json:"results"`
	Errors   []itemError  `json:"errors"`
}

type itemResult struct {
	Index  int    `json:"index"`
	Ref    string `json:"ref,omitempty"` // the account reference or the payment's external id
	Status string `json:"status"`        // accepted, recorded, already_recorded, rejected
}

// readBatch reads ?atomic= and the batch envelope. A batch is partial by
// default: the valid items are written in one transaction and the invalid ones
// listed; with atomic=true one invalid item means nothing is written.
func readBatch(w http.ResponseWriter, r *http.Request) (items batchBody, atomic, ok bool) {
	if v := r.URL.Query().Get("atomic"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_atomic")
			return items, false, false
		}
		atomic = b
	}
	if !decodeBody(w, r, &items) {
		return items, false, false
	}
	switch n := len(items.Items); {
	case n == 0:
		apiFail(w, r, http.StatusBadRequest, codeInvalid, "no_items", apiMaxItems)
		return items, false, false
	case n > apiMaxItems:
		apiFail(w, r, http.StatusRequestEntityTooLarge, codeTooLarge, "many_items", n, apiMaxItems)
		return items, false, false
	}
	return items, atomic, true
}

// refuseBatch answers a batch that wrote nothing because of invalid items.
func refuseBatch(w http.ResponseWriter, r *http.Request, atomic bool, errs []itemError) {
	key := "all_invalid"
	if atomic {
		key = "atomic"
	}
	apiFailMsg(w, r, http.StatusUnprocessableEntity, codeInvalidItems, apiMsg(r, key), errs)
}

// apiUpsertDebtors creates or updates debtors and their accounts, each item
// validated exactly as a row of a portfolio file (importer.Record).
func (s *server) apiUpsertDebtors(w http.ResponseWriter, r *http.Request) {
	body, atomic, ok := readBatch(w, r)
	if !ok {
		return
	}
	country := strings.ToUpper(r.URL.Query().Get("country"))
	if country != "" && (len(country) != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' || country[1] > 'Z') {
		apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_country", r.URL.Query().Get("country"))
		return
	}
	res := batchResult{Received: len(body.Items), Results: make([]itemResult, len(body.Items)), Errors: []itemError{}}
	rows := make([]store.PortfolioRow, 0, len(body.Items))
	seen := map[string]int{}
	for i, raw := range body.Items {
		vals, errs := decodeItem(i, raw, debtorFields)
		var row store.PortfolioRow
		if errs == nil {
			var rerrs []importer.RowError
			row, rerrs = importer.Record(vals, importer.Options{Country: country, Strict: true})
			for _, e := range rerrs {
				errs = append(errs, itemError{Index: i, Field: e.Column, Message: e.Message})
			}
		}
		if errs == nil {
			if first, dup := seen[row.Account.Ref]; dup {
				errs = append(errs, itemError{Index: i, Field: "account_ref", Message: fmt.Sprintf("account %q appears again (first at index %d): send each account once per batch", row.Account.Ref, first)})
			} else {
				seen[row.Account.Ref] = i
			}
		}
		res.Results[i] = itemResult{Index: i, Ref: vals["account_ref"], Status: "accepted"}
		if errs != nil {
			res.Results[i].Status = "rejected"
			res.Errors = append(res.Errors, errs...)
			res.Rejected++
			continue
		}
		rows = append(rows, row)
	}
	res.Accepted = len(rows)
	if res.Rejected > 0 && (atomic || len(rows) == 0) {
		refuseBatch(w, r, atomic, res.Errors)
		return
	}
	im, err := s.cfg.Store.BeginPortfolioImport(r.Context())
	if err != nil {
		s.apiInternal(w, r, "upsert debtors", err)
		return
	}
	im.ConsentSource("api")
	for _, row := range rows {
		if err := im.Add(row); err != nil {
			im.Rollback()
			s.apiInternal(w, r, "upsert debtors", err)
			return
		}
	}
	counts, err := im.Commit()
	if err != nil {
		s.apiInternal(w, r, "upsert debtors", err)
		return
	}
	res.Created, res.Updated = counts.Inserted, counts.Updated
	if err := s.cfg.Store.AppendAudit(r.Context(), apiAudit(r, "api_upsert_debtors", fmt.Sprintf("%d created, %d updated, %d rejected", res.Created, res.Updated, res.Rejected))); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "api: audit", "err", err)
	}
	apiJSON(w, http.StatusOK, res)
}

// apiPostPayments records payments idempotently on their external id: a
// payment sent again is reported already_recorded and changes nothing.
func (s *server) apiPostPayments(w http.ResponseWriter, r *http.Request) {
	body, atomic, ok := readBatch(w, r)
	if !ok {
		return
	}
	res := batchResult{Received: len(body.Items), Results: make([]itemResult, len(body.Items)), Errors: []itemError{}}
	pi, err := s.cfg.Store.BeginPaymentImport(r.Context(), "api")
	if err != nil {
		s.apiInternal(w, r, "payments", err)
		return
	}
	now := s.cfg.Clock()
	for i, raw := range body.Items {
		vals, errs := decodeItem(i, raw, paymentFields)
		bad := func(f, format string, args ...any) {
			errs = append(errs, itemError{Index: i, Field: f, Message: fmt.Sprintf(format, args...)})
		}
		var p acuerdo.Payment
		if errs == nil {
			for _, f := range []string{"external_id", "account_ref", "amount", "paid_at"} {
				if vals[f] == "" {
					bad(f, "missing %s", strings.ReplaceAll(f, "_", " "))
				}
			}
			p.ExternalID, p.Method = vals["external_id"], strings.ToLower(vals["method"])
			var cur string
			if ref := vals["account_ref"]; ref != "" {
				p.AccountID, cur, err = pi.Account(ref)
				if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
					bad("account_ref", "%s", acuerdo.ErrorMessage(err))
				} else if err != nil {
					pi.Rollback()
					s.apiInternal(w, r, "payments", err)
					return
				}
			}
			if a := vals["amount"]; a != "" && cur != "" {
				m, err := acuerdo.ParseMoney(a, cur)
				switch {
				case err != nil:
					bad("amount", "%s", acuerdo.ErrorMessage(err))
				case m.Amount <= 0:
					bad("amount", "amount %s must be greater than zero", a)
				}
				p.Amount = m
			}
			if t := vals["paid_at"]; t != "" {
				p.PaidAt, err = time.Parse(time.RFC3339, t)
				switch {
				case err != nil:
					bad("paid_at", "%q is not an RFC 3339 time: write it like 2026-03-01T14:30:00-05:00", t)
				case p.PaidAt.After(now.Add(5 * time.Minute)):
					bad("paid_at", "%s is in the future: send when the payment was made", t)
				}
			}
		}
		res.Results[i] = itemResult{Index: i, Ref: vals["external_id"], Status: "recorded"}
		if errs == nil {
			before := pi.Counts()
			if err := pi.Add(p); acuerdo.ErrorCode(err) == acuerdo.EINVALID {
				bad("external_id", "%s", acuerdo.ErrorMessage(err))
			} else if err != nil {
				pi.Rollback()
				s.apiInternal(w, r, "payments", err)
				return
			} else if pi.Counts().Skipped > before.Skipped {
				res.Results[i].Status = "already_recorded"
			}
		}
		if errs != nil {
			res.Results[i].Status = "rejected"
			res.Errors = append(res.Errors, errs...)
			res.Rejected++
		}
	}
	res.Accepted = res.Received - res.Rejected
	if res.Rejected > 0 && (atomic || res.Accepted == 0) {
		pi.Rollback()
		refuseBatch(w, r, atomic, res.Errors)
		return
	}
	counts, err := pi.Commit()
	if err != nil {
		s.apiInternal(w, r, "payments", err)
		return
	}
	res.Created, res.Skipped = counts.Inserted, counts.Skipped
	s.kickEvents()
	apiJSON(w, http.StatusOK, res)
}

// consentBody is a consent record as the creditor posts it: granted_at for a
// consent given, revoked_at for one withdrawn.
type consentBody struct {
	Channel   string     `json:"channel"`
	Scope     string     `json:"scope"`
	Source    string     `json:"source"`
	GrantedAt *time.Time `json:"granted_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

func (s *server) apiPostConsent(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiDebtorRef(w, r)
	if !ok {
		return
	}
	var b consentBody
	if !decodeBody(w, r, &b) {
		return
	}
	if (b.GrantedAt == nil) == (b.RevokedAt == nil) {
		apiFailMsg(w, r, http.StatusUnprocessableEntity, codeInvalid, "send exactly one of granted_at (consent given) and revoked_at (consent withdrawn)", nil)
		return
	}
	rec := store.ConsentRecord{Channel: b.Channel, Scope: b.Scope, Source: strings.TrimSpace(b.Source), RevokedAt: b.RevokedAt}
	if b.GrantedAt != nil {
		rec.GrantedAt = *b.GrantedAt
	}
	verb := "granted"
	if b.RevokedAt != nil {
		verb = "revoked"
	}
	c, err := s.cfg.Store.RecordConsent(r.Context(), d.ID, rec, apiAudit(r, "api_consent", fmt.Sprintf("debtor %d consent %s (%s)", d.ID, verb, rec.Source)))
	if err != nil {
		s.apiStoreError(w, r, "consent", err)
		return
	}
	apiJSON(w, http.StatusOK, consentJSON(c))
}

func consentJSON(c acuerdo.Consent) map[string]any {
	return map[string]any{"channel": c.Channel, "scope": c.Scope, "source": c.Source, "granted_at": apiTime(c.GrantedAt),
		"revoked_at": apiTimePtr(c.RevokedAt), "active": c.Active()}
}

// apiErase erases the debtor's personal data (store.Erase), as `acuerdo
// erase --phone` does.
func (s *server) apiErase(w http.ResponseWriter, r *http.Request) {
	d, ok := s.apiDebtorRef(w, r)
	if !ok {
		return
	}
	out, err := s.cfg.Store.Erase(r.Context(), d.Phone, apiAudit(r, "erase", fmt.Sprintf("debtor %d, data_subject_request", d.ID)))
	if err != nil {
		s.apiStoreError(w, r, "erase", err)
		return
	}
	apiJSON(w, http.StatusOK, map[string]any{"erased": map[string]any{"debtor_id": out.DebtorID, "conversations": out.Conversations,
		"messages": out.Messages, "media": out.Media, "cases": out.Cases}})
}

func (s *server) kickEvents() {
	if s.cfg.Events != nil {
		s.cfg.Events.Kick()
	}
}
