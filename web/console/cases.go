package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/prompts"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// reasons lists the case reasons in the order the filters offer them.
var reasons = []string{acuerdo.ReasonHardship, acuerdo.ReasonDispute, acuerdo.ReasonComplaint, acuerdo.ReasonLegal,
	acuerdo.ReasonDebtorRequest, acuerdo.ReasonOutOfPolicy, acuerdo.ReasonPaymentReport, acuerdo.ReasonCallback, acuerdo.ReasonOther}

// inboxQuery is the inbox's filter as the form shows it.
type inboxQuery struct {
	State  string // "" open, "all", or one state
	Reason string
	Q      string
	Mine   bool
	Label  string
}

// parseInboxQuery reads the inbox's filters from a URL query. Values it does
// not know are dropped (a stale bookmark still opens the inbox), never passed on.
func parseInboxQuery(v url.Values) (inboxQuery, store.CaseFilter) {
	var q inboxQuery
	var f store.CaseFilter
	switch st := v.Get("state"); {
	case st == "all":
		q.State, f.States = st, store.AllStates
	case slices.Contains(store.AllStates, st):
		q.State, f.States = st, []string{st}
	}
	if r := v.Get("reason"); slices.Contains(reasons, r) {
		q.Reason, f.Reason = r, r
	}
	q.Q = strings.TrimSpace(v.Get("q"))
	if len(q.Q) > 100 {
		q.Q = q.Q[:100]
	}
	f.Query = q.Q
	q.Mine = v.Get("mine") == "1"
	if l, ok := store.NormalizeLabel(v.Get("label")); ok {
		q.Label, f.Label = l, l
	}
	return q, f
}

type option struct {
	Value, Label string
	Count        int
}

type inboxData struct {
	Query            inboxQuery
	States, Reasons  []option
	Rows             []caseRow
	Counters         []option
	Contacts, New    int
	MessagesToday    int
	Templates        int
	Budget, BudgetPc int
	OverBudget       bool
	Refresh          string
	Labels           []string // every label in use, for the filter
	MineURL, AllURL  string
	Unread           int
}

func (s *Server) consoleInbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si := signedInFrom(r)
	q, f := parseInboxQuery(r.URL.Query())
	if q.Mine {
		f.Assignee = si.user.ID
	}
	cases, err := s.cfg.Store.Cases(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "inbox", "inbox", nil)
	now := s.consoleNow()
	d := inboxData{Query: q}
	reads, err := s.cfg.Store.CaseReads(ctx, si.user.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	labels, all, err := s.cfg.Store.Labels(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Labels = all
	for _, c := range cases {
		row := s.caseRow(p.T, c, si.user.ID, now)
		row.Labels = labels[c.ID]
		// Unread: the debtor wrote since I last opened it (never opened and
		// nobody holds it counts as unread only if the debtor wrote at all).
		if c.LastInboundAt != nil && !acuerdo.CaseClosed(c.State) {
			if at, ok := reads[c.ID]; !ok || c.LastInboundAt.After(at) {
				row.Unread = true
				d.Unread++
			}
		}
		d.Rows = append(d.Rows, row)
	}
	tab := r.URL.Query()
	tab.Del("partial")
	tab.Del("ok")
	tab.Del("err")
	tab.Set("mine", "1")
	d.MineURL = "/console/inbox?" + tab.Encode()
	tab.Del("mine")
	d.AllURL = "/console/inbox?" + tab.Encode()
	refresh := url.Values{"partial": {"1"}}
	for k, vs := range r.URL.Query() {
		if k != "partial" && k != "lang" && k != "ok" && k != "err" {
			refresh[k] = vs
		}
	}
	d.Refresh = "/console/inbox?" + refresh.Encode()
	if r.URL.Query().Get("partial") == "1" {
		p.Data = d
		s.renderConsole(w, http.StatusOK, "inbox_rows", p)
		return
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	counts, err := s.cfg.Store.ConsoleCounts(ctx, day, month)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Contacts, d.New, d.MessagesToday, d.Templates = counts.Contacts, counts.NewToday, counts.MessagesToday, counts.TemplatesMonth
	if b := s.cfg.Options.TemplateBudget; b > 0 {
		d.Budget, d.BudgetPc, d.OverBudget = b, min(100, 100*counts.TemplatesMonth/b), counts.TemplatesMonth >= b
	}
	for _, st := range store.OpenStates {
		d.Counters = append(d.Counters, option{Value: st, Label: stateLabel(p.T, st), Count: counts.OpenByState[st]})
	}
	d.States = append(d.States, option{Value: "", Label: p.T["filter_open"]}, option{Value: "all", Label: p.T["filter_all"]})
	for _, st := range store.AllStates {
		d.States = append(d.States, option{Value: st, Label: stateLabel(p.T, st)})
	}
	d.Reasons = append(d.Reasons, option{Value: "", Label: p.T["filter_any_reason"]})
	for _, rs := range reasons {
		d.Reasons = append(d.Reasons, option{Value: rs, Label: reasonLabel(p.T, rs)})
	}
	p.Data = d
	s.renderConsole(w, http.StatusOK, "inbox", p)
}

// caseID reads {id} from the path.
func caseID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(httpx.PathParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, acuerdo.Errorf(acuerdo.ENOTFOUND, "no such id %q", httpx.PathParam(r, name))
	}
	return id, nil
}

type tmplOption struct {
	Name, Preview string
}

type mediaView struct {
	ID          int64
	URL         string
	Image, PDF  bool
	Pending     bool
	Unavailable bool
	Time        string
}

type caseData struct {
	Case                             caseRow
	C                                store.CaseView
	Debtor                           *acuerdo.Debtor
	Accounts                         []accountView
	Messages                         []msgView
	LastID                           int64
	Mine, HeldByOther                bool
	CanClaim, CanAct, CanTakeOver    bool
	CanAgree                         bool
	Colleagues                       []colleague
	Labels                           []string
	Canned                           []store.Canned
	Summary                          []summaryLine
	WindowOpen                       bool
	WindowLeft                       string
	Templates                        []tmplOption
	Media                            []mediaView
	ClosedStates                     []option
	Amount, Currency, PaymentMethod  string
	Comments, Outcome, Useful        string
	IsPayment, Closed                bool
	Today                            string
	OptedOut                         bool
	DocumentLast4, Email, Locale     string
	Channel, Created, Claimed, Ended string
}

func (s *Server) loadCase(ctx context.Context, r *http.Request) (store.CaseView, error) {
	id, err := caseID(r, "id")
	if err != nil {
		return store.CaseView{}, err
	}
	return s.cfg.Store.CaseByID(ctx, id)
}

func (s *Server) consoleCase(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	si := signedInFrom(r)
	v, err := s.loadCase(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "inbox", "case", nil)
	p.Title = p.T["case"] + " #" + strconv.FormatInt(v.ID, 10)
	t := p.T
	now := s.consoleNow()
	conv, err := s.cfg.Store.ConversationByID(ctx, v.ConversationID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msgs, err := s.cfg.Store.Messages(ctx, v.ConversationID, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	loc := s.cfg.Options.Location
	d := caseData{Case: s.caseRow(t, v, si.user.ID, now), C: v, Messages: s.msgViews(t, msgs),
		Mine: v.AssigneeID == si.user.ID, Closed: acuerdo.CaseClosed(v.State), IsPayment: v.Reason == acuerdo.ReasonPaymentReport,
		PaymentMethod: v.PaymentMethod, Comments: v.Comments, Outcome: v.Outcome, Today: acuerdo.DateOf(now).String(),
		OptedOut: conv.OptedOut, Channel: conv.Channel, Created: v.CreatedAt.In(loc).Format("2006-01-02 15:04")}
	if len(msgs) > 0 {
		d.LastID = msgs[len(msgs)-1].ID
	}
	if v.ClaimedAt != nil {
		d.Claimed = v.ClaimedAt.In(loc).Format("2006-01-02 15:04")
	}
	if v.ClosedAt != nil {
		d.Ended = v.ClosedAt.In(loc).Format("2006-01-02 15:04")
	}
	d.HeldByOther = v.State == acuerdo.CaseInProgress && v.AssigneeID != 0 && !d.Mine
	d.CanClaim = !d.Closed && (!d.Mine || !v.Paused) && !d.HeldByOther
	d.CanTakeOver = !d.Closed && d.HeldByOther && si.user.Admin()
	d.CanAct = !d.Closed && (!d.HeldByOther || si.user.Admin())
	// Agreements, like replies, are for whoever holds the case (or an admin).
	d.CanAgree = !d.Closed && (d.Mine && v.State == acuerdo.CaseInProgress || si.user.Admin())
	if v.Useful != nil {
		d.Useful = map[bool]string{true: "yes", false: "no"}[*v.Useful]
	}
	if s.windowOpen(conv.LastInboundAt, now) {
		d.WindowOpen, d.WindowLeft = true, age(t, conv.LastInboundAt.Add(s.window()).Sub(now))
	}
	lang := p.Lang
	if v.DebtorID != 0 {
		debtor, err := s.cfg.Store.DebtorByID(ctx, v.DebtorID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Debtor, d.DocumentLast4, d.Email = &debtor, debtor.DocumentLast4(), debtor.Email
		if d.Accounts, err = s.accountViews(ctx, lang, v.DebtorID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	d.Locale = languageName(conv.Locale)
	d.Summary = caseSummary(t, conv, d.Accounts, msgs)
	if v.Amount != nil {
		d.Amount, d.Currency = v.Amount.Decimal(), v.Amount.Currency
	} else {
		d.Currency = s.caseCurrency(ctx, v)
	}
	for _, st := range store.ClosedStates {
		d.ClosedStates = append(d.ClosedStates, option{Value: st, Label: stateLabel(t, st)})
	}
	d.Templates = s.operatorTemplates(conv, d.Debtor)
	if d.Colleagues, err = s.colleagues(r, si.user.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Labels, err = s.cfg.Store.CaseLabels(ctx, v.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	// Canned responses in the language the debtor reads.
	if d.Canned, err = s.cfg.Store.CannedResponses(ctx, debtorLocale(conv, d.Debtor)); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Store.MarkRead(ctx, si.user.ID, v.ID); err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "console: mark read", "err", err)
	}
	media, err := s.cfg.Store.ConversationMedia(ctx, v.ConversationID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, m := range media {
		d.Media = append(d.Media, mediaView{ID: m.ID, URL: "/console/cases/" + strconv.FormatInt(v.ID, 10) + "/media/" + strconv.FormatInt(m.ID, 10),
			Image: strings.HasPrefix(m.ContentType, "image/"), PDF: m.ContentType == "application/pdf", Pending: m.Pending, Unavailable: m.Unavailable,
			Time: dayTime(t, m.CreatedAt.In(loc))})
	}
	p.Data = d
	s.renderConsole(w, http.StatusOK, "case", p)
}

// caseCurrency is the currency amounts of a case are in: its account's, else
// the debtor's first account's, else their country's.
func (s *Server) caseCurrency(ctx context.Context, v store.CaseView) string {
	if v.DebtorID != 0 {
		if accts, err := s.cfg.Store.Accounts(ctx, v.DebtorID); err == nil && len(accts) > 0 {
			for _, a := range accts {
				if a.ID == v.AccountID {
					return accountCurrency(a)
				}
			}
			return accountCurrency(accts[0])
		}
		if d, err := s.cfg.Store.DebtorByID(ctx, v.DebtorID); err == nil {
			return acuerdo.CurrencyOf(d.Country)
		}
	}
	return ""
}

func accountCurrency(a acuerdo.Account) string {
	if a.Balance != nil {
		return a.Balance.Currency
	}
	return a.InstallmentAmount.Currency
}

// operatorTemplates are the approved templates an operator may send when the
// 24-hour window is closed: those whose variables the engine fills by itself
// (the debtor's name and the creditor), previewed in the debtor's language.
func (s *Server) operatorTemplates(conv acuerdo.Conversation, d *acuerdo.Debtor) []tmplOption {
	loc := conv.Locale
	name := ""
	if d != nil {
		name = strings.Fields(d.Name + " ")[0]
		if loc == "" {
			loc = d.Locale
		}
	}
	vars := map[string]string{"name": name, "creditor": s.cfg.Options.Creditor}
	var out []tmplOption
	for _, n := range prompts.Templates() {
		t, _ := prompts.LookupTemplate(n)
		if !operatorTemplate(t) {
			continue
		}
		out = append(out, tmplOption{Name: n, Preview: t.Render(loc, vars)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name > out[j].Name }) // reengage first
	return out
}

func operatorTemplate(t prompts.Template) bool {
	for _, v := range t.Variables {
		if v != "name" && v != "creditor" {
			return false
		}
	}
	return true
}

func (s *Server) consoleCaseMessages(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadCase(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	msgs, err := s.cfg.Store.MessagesAfter(r.Context(), v.ConversationID, max(after, 0))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "", "case", nil)
	p.Data = s.msgViews(p.T, msgs)
	s.renderConsole(w, http.StatusOK, "msgs", p)
}

func (s *Server) kick() {
	if s.cfg.Outbox != nil {
		s.cfg.Outbox.Kick()
	}
}

// languageName names a conversation's language in its own words.
func languageName(locale string) string {
	for _, l := range httpx.Langs {
		if l.Code == prompts.Locale(locale) {
			return l.Name
		}
	}
	return locale
}
