package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/store"
)

const contactsPerPage = 50

type contactRow struct {
	ID                   int64
	Name, Phone, Channel string
	Created, Last        string
	Messages, OpenCases  int
}

type contactsData struct {
	Q, Sort     string
	Sorts       []option
	Rows        []contactRow
	Total, Page int
	Prev, Next  string
}

// parseContactsQuery reads the contacts list's search, sort and page.
func parseContactsQuery(v url.Values) (store.ContactFilter, int) {
	f := store.ContactFilter{Query: strings.TrimSpace(v.Get("q")), Limit: contactsPerPage}
	if len(f.Query) > 100 {
		f.Query = f.Query[:100]
	}
	switch s := v.Get("sort"); s {
	case "created_asc", "name", "last":
		f.Sort = s
	}
	page, err := strconv.Atoi(v.Get("page"))
	if err != nil || page < 1 || page > 100000 {
		page = 1
	}
	f.Offset = (page - 1) * contactsPerPage
	return f, page
}

func (s *Server) consoleContacts(w http.ResponseWriter, r *http.Request) {
	f, pageNo := parseContactsQuery(r.URL.Query())
	cs, total, err := s.cfg.Store.Contacts(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "contacts", "contacts", nil)
	loc := s.cfg.Options.Location
	d := contactsData{Q: f.Query, Sort: f.Sort, Total: total, Page: pageNo}
	for _, v := range []string{"", "created_asc", "name", "last"} {
		d.Sorts = append(d.Sorts, option{Value: v, Label: p.T["sort_"+v]})
	}
	for _, c := range cs {
		row := contactRow{ID: c.ConversationID, Name: c.Name, Phone: c.Phone, Channel: c.Channel, Created: c.CreatedAt.In(loc).Format("2006-01-02 15:04"),
			Messages: c.Messages, OpenCases: c.OpenCases}
		if c.LastMessageAt != nil {
			row.Last = c.LastMessageAt.In(loc).Format("2006-01-02 15:04")
		}
		d.Rows = append(d.Rows, row)
	}
	link := func(page int) string {
		q := url.Values{"page": {strconv.Itoa(page)}}
		if f.Query != "" {
			q.Set("q", f.Query)
		}
		if f.Sort != "" {
			q.Set("sort", f.Sort)
		}
		return "/console/contacts?" + q.Encode()
	}
	if pageNo > 1 {
		d.Prev = link(pageNo - 1)
	}
	if pageNo*contactsPerPage < total {
		d.Next = link(pageNo + 1)
	}
	p.Data = d
	s.renderConsole(w, http.StatusOK, "contacts", p)
}

// consoleContactsExport downloads the contacts of the last month (?range=month,
// the default) or all of them as CSV. Exporting personal data is audited.
func (s *Server) consoleContactsExport(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	rng := r.URL.Query().Get("range")
	f := store.ContactFilter{Sort: "created_asc"}
	switch rng {
	case "all":
	case "", "month":
		rng = "month"
		f.Since = s.cfg.Clock().AddDate(0, -1, 0)
	default:
		s.fail(w, r, acuerdo.Errorf(acuerdo.EINVALID, "range must be month or all"))
		return
	}
	cs, _, err := s.cfg.Store.Contacts(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "contacts_export", Outcome: acuerdo.Allowed, Rule: "console_" + si.user.Role,
		Detail: fmt.Sprintf("%s: %d contacts (%s)", userRef(si.user), len(cs), rng)}
	if err := s.cfg.Store.AppendAudit(r.Context(), entry); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="contacts-%s-%s.csv"`, rng, s.cfg.Clock().UTC().Format("2006-01-02")))
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"created_at", "name", "phone", "channel", "messages", "last_message_at", "open_cases"})
	for _, c := range cs {
		last := ""
		if c.LastMessageAt != nil {
			last = c.LastMessageAt.UTC().Format(time.RFC3339)
		}
		// A leading =, +, - or @ would run as a formula in a spreadsheet.
		_ = cw.Write([]string{c.CreatedAt.UTC().Format(time.RFC3339), csvSafe(c.Name), csvSafe(c.Phone), c.Channel,
			strconv.Itoa(c.Messages), last, strconv.Itoa(c.OpenCases)})
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formulas in a cell a person typed, keeping
// phone numbers' leading + readable by quoting with an apostrophe only when
// the cell is not a plain number.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if strings.Trim(s[1:], "0123456789 ") == "" {
			return s
		}
		return "'" + s
	}
	return s
}

type contactData struct {
	// Unreachable says why the debtor's phone cannot be contacted, "" when it can.
	Unreachable string
	Contact     store.Contact
	Name        string
	Messages    []msgView
	LastID      int64
	Cases       []caseRow
	Erasable    bool
	// CanWrite: no open case (that is where the team writes) and no opt-out.
	CanWrite, WindowOpen bool
}

// loadContact reads the request's contact (a conversation id), answering
// the error itself when there is none or it was deleted.
func (s *Server) loadContact(w http.ResponseWriter, r *http.Request) (acuerdo.Conversation, bool) {
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return acuerdo.Conversation{}, false
	}
	conv, err := s.cfg.Store.ConversationByID(r.Context(), id)
	if err == nil && strings.HasPrefix(conv.Phone, "erased:") {
		err = acuerdo.Errorf(acuerdo.ENOTFOUND, "contact %d was deleted", id)
	}
	if err != nil {
		s.fail(w, r, err)
		return conv, false
	}
	return conv, true
}

func (s *Server) consoleContact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conv, ok := s.loadContact(w, r)
	if !ok {
		return
	}
	id := conv.ID
	msgs, err := s.cfg.Store.Messages(ctx, id, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cases, err := s.cfg.Store.ConversationCases(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "contacts", "contact", nil)
	si := signedInFrom(r)
	d := contactData{Contact: store.Contact{ConversationID: id, DebtorID: conv.DebtorID, Phone: conv.Phone, Channel: conv.Channel, CreatedAt: conv.CreatedAt},
		Messages: s.msgViews(p.T, msgs), Erasable: si.user.Admin()}
	if conv.DebtorID != 0 {
		if debtor, err := s.cfg.Store.DebtorByID(ctx, conv.DebtorID); err == nil {
			d.Name = debtor.Name
			if debtor.Unreachable != "" {
				d.Unreachable = unreachableLabel(p.T, debtor.Unreachable)
				if debtor.UnreachableDetail != "" {
					d.Unreachable += " (" + debtor.UnreachableDetail + ")"
				}
			}
		}
	}
	if d.Name == "" {
		d.Name = p.T["unknown_contact"]
	}
	if len(msgs) > 0 {
		d.LastID = msgs[len(msgs)-1].ID
	}
	now := s.consoleNow()
	d.CanWrite = !conv.OptedOut
	for _, c := range cases {
		d.Cases = append(d.Cases, s.caseRow(p.T, c, si.user.ID, now))
		if !acuerdo.CaseClosed(c.State) {
			d.CanWrite = false
		}
	}
	d.WindowOpen = s.windowOpen(conv.LastInboundAt, s.cfg.Clock())
	p.Title = d.Name
	p.Data = d
	s.renderConsole(w, http.StatusOK, "contact", p)
}

// consoleContactDelete erases a contact's personal data and messages (admins
// only), keeping the anonymised aggregates the pilot metrics need.
func (s *Server) consoleContactDelete(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si := signedInFrom(r)
	conv, ok := s.loadContact(w, r)
	if !ok {
		return
	}
	id := conv.ID
	// The audit line names the conversation, not the number: it must outlive
	// the data it erases.
	entry := acuerdo.AuditEntry{ConversationID: id, Kind: acuerdo.AuditAdmin, Name: "erase", Outcome: acuerdo.Allowed, Rule: "console_admin",
		Detail: userRef(si.user) + " deleted the contact"}
	if _, err := s.cfg.Store.Erase(ctx, conv.Phone, entry); err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/contacts", "ok", "ok_deleted")
}

// unreachableLabel names a contact-hygiene reason in the operator's language.
func unreachableLabel(t map[string]string, reason string) string {
	if l := t["unreachable_"+reason]; l != "" {
		return l
	}
	return reason
}
