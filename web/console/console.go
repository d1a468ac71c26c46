// Package console is the operators' console (/console): sign-in and users,
// the inbox, cases with their conversation, replies, notes and agreements
// (through the agent's tools, under the same policy), contacts, the creditor's
// event deliveries, canned responses and reports.
package console

import (
	"cmp"
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// Config is the console's. Store, Clock and Logger are required.
type Config struct {
	Store  Store
	Clock  acuerdo.Clock
	Logger *slog.Logger
	// Options tune the console; the zero value is the production setting.
	Options Options
	// Tools are the agent's tools, which the console's agreements (plan,
	// promise, due date, pause) go through; nil refuses them.
	Tools Tools
	// Outbox is kicked after the console queues a message (an operator's
	// reply), so it goes out now rather than at the next poll; may be nil.
	Outbox interface{ Kick() }
	// Events is kicked after the console records something that emits
	// webhook events (the hooks sender); may be nil.
	Events interface{ Kick() }
	// ServiceWindow is WhatsApp's customer-service window as the policy
	// configures it (service_window); zero is the default's. The console asks
	// policy.WindowOpen with it, as the engine does.
	ServiceWindow time.Duration
	// PublicURL (ACUERDO_PUBLIC_URL), when https, marks the session cookie
	// Secure even behind a proxy that does not say X-Forwarded-Proto.
	PublicURL string
}

// Store covers what the console reads and writes (a *store.DB), in the parts
// below; it is declared here, by its consumer, with only the methods the
// console calls.
type Store interface {
	UserStore
	CaseStore
	ConversationStore
	DebtorStore
	InboxStore
	EventStore
	KnowledgeStore
}

// UserStore covers the operators: accounts, sessions and the sign-in limits.
type UserStore interface {
	CreateUser(ctx context.Context, u store.User, audit ...acuerdo.AuditEntry) (store.User, error)
	UpdateUser(ctx context.Context, id int64, c store.UserChange, audit ...acuerdo.AuditEntry) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	Users(ctx context.Context) ([]store.User, error)
	StartSession(ctx context.Context, s store.Session, audit ...acuerdo.AuditEntry) error
	SessionUser(ctx context.Context, tokenHash string, idle time.Duration) (store.Session, store.User, error)
	TouchSession(ctx context.Context, tokenHash string) error
	EndSession(ctx context.Context, tokenHash string, audit ...acuerdo.AuditEntry) error
	ReserveLoginAttempt(ctx context.Context, limits ...store.LoginLimit) (ok bool, retryAt time.Time, err error)
	ReleaseLoginAttempt(ctx context.Context, reset []string, giveBack ...string) error
}

// CaseStore covers cases: the inbox, their state and the operators' actions on them, and the counts the pages show.
type CaseStore interface {
	Cases(ctx context.Context, f store.CaseFilter) ([]store.CaseView, error)
	CaseByID(ctx context.Context, id int64) (store.CaseView, error)
	ConversationCases(ctx context.Context, conversationID int64) ([]store.CaseView, error)
	ClaimCase(ctx context.Context, id, userID int64, takeOver bool, audit ...acuerdo.AuditEntry) error
	CloseCase(ctx context.Context, id int64, state string, useful *bool, outcome string, audit ...acuerdo.AuditEntry) error
	HandBack(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) error
	EditCase(ctx context.Context, id int64, e store.CaseEdit, audit ...acuerdo.AuditEntry) error
	TransferCase(ctx context.Context, id, toUserID int64, audit ...acuerdo.AuditEntry) error
	ConfirmPayment(ctx context.Context, caseID, accountID int64, amount acuerdo.Money, paidAt time.Time, method string, audit ...acuerdo.AuditEntry) (acuerdo.Payment, error)
	RejectPayment(ctx context.Context, caseID int64, reason string, msg store.Outgoing, audit ...acuerdo.AuditEntry) error
	ConsoleCounts(ctx context.Context, day, month time.Time) (store.ConsoleCounts, error)
	CasesWorked(ctx context.Context, from, to time.Time) ([]store.CaseWork, error)
}

// ConversationStore covers conversations: their messages and media, notes, and the outbox the operators' replies go through.
type ConversationStore interface {
	ConversationByID(ctx context.Context, id int64) (acuerdo.Conversation, error)
	Messages(ctx context.Context, conversationID int64, limit int) ([]acuerdo.Message, error)
	MessagesAfter(ctx context.Context, conversationID, afterID int64) ([]acuerdo.Message, error)
	AppendMessages(ctx context.Context, msgs ...acuerdo.Message) ([]acuerdo.Message, error)
	Enqueue(ctx context.Context, conversationID int64, out []store.Outgoing, audit ...acuerdo.AuditEntry) error
	ConversationMedia(ctx context.Context, conversationID int64) ([]store.Media, error)
	MediaByID(ctx context.Context, conversationID, id int64) (store.Media, error)
}

// DebtorStore covers debtors: their accounts, promises and plans, the contacts list, erasure and the audit log.
type DebtorStore interface {
	DebtorByID(ctx context.Context, id int64) (acuerdo.Debtor, error)
	Accounts(ctx context.Context, debtorID int64) ([]acuerdo.Account, error)
	Promises(ctx context.Context, accountID int64) ([]acuerdo.Promise, error)
	Plan(ctx context.Context, id int64) (acuerdo.Plan, error)
	Contacts(ctx context.Context, f store.ContactFilter) ([]store.Contact, int, error)
	Erase(ctx context.Context, phone string, audit ...acuerdo.AuditEntry) (store.Erased, error)
	AppendAudit(ctx context.Context, entries ...acuerdo.AuditEntry) error
}

// InboxStore covers the inbox's own state: labels, reads and canned responses.
type InboxStore interface {
	Labels(ctx context.Context) (map[int64][]string, []string, error)
	CaseLabels(ctx context.Context, caseID int64) ([]string, error)
	AddLabel(ctx context.Context, caseID int64, label string, audit ...acuerdo.AuditEntry) error
	RemoveLabel(ctx context.Context, caseID int64, label string, audit ...acuerdo.AuditEntry) error
	CaseReads(ctx context.Context, userID int64) (map[int64]time.Time, error)
	MarkRead(ctx context.Context, userID, caseID int64) error
	CannedResponses(ctx context.Context, locale string) ([]store.Canned, error)
	SaveCanned(ctx context.Context, c store.Canned, audit ...acuerdo.AuditEntry) (store.Canned, error)
	DeleteCanned(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) error
}

// EventStore covers the creditor's event webhooks: backlog, deliveries and redelivery.
type EventStore interface {
	EventBacklog(ctx context.Context) (pending, failed int, err error)
	EventDeliveredTo(ctx context.Context, ids []int64) (map[int64][]string, error)
	EventDeliveries(ctx context.Context, f store.EventFilter) ([]store.EventDelivery, error)
	RedeliverEvent(ctx context.Context, eventID string, audit ...acuerdo.AuditEntry) error
}

// Server is the console's handlers and their state.
type Server struct {
	cfg Config
	// hashSlots bounds concurrent password checks (Options.HashSlots).
	hashSlots chan struct{}
	dummyOnce sync.Once
	dummy     []byte
}

// New returns the console of cfg; Mount serves it.
func New(cfg Config) *Server {
	cfg.Options = cfg.Options.withDefaults()
	return &Server{cfg: cfg, hashSlots: make(chan struct{}, cfg.Options.HashSlots)}
}

// windowOpen is policy.WindowOpen with the configured service window.
func (s *Server) windowOpen(lastInbound *time.Time, at time.Time) bool {
	return policy.WindowOpen(s.cfg.ServiceWindow, lastInbound, at)
}

// window is the configured service window.
func (s *Server) window() time.Duration {
	return cmp.Or(s.cfg.ServiceWindow, policy.Default().ServiceWindow)
}

// Options tune the operator console. The zero value is the production
// setting; tests shorten what they must.
type Options struct {
	// IdleTimeout ends a session nobody used for this long (default 2 h).
	IdleTimeout time.Duration
	// MaxAge ends any session this long after sign-in (default 12 h, a
	// working day), however active.
	MaxAge time.Duration
	// BcryptCost hashes new passwords (default 12, never below 10 outside
	// tests: tests pass bcrypt.MinCost to stay fast).
	BcryptCost int
	// LoginWindow, LoginPerEmail and LoginPerIP limit failed sign-ins: at
	// most LoginPerEmail (default 5) for one email and LoginPerIP (default 20)
	// from one address within LoginWindow (default 15 min).
	LoginWindow   time.Duration
	LoginPerEmail int
	LoginPerIP    int
	// TrustedProxies are the reverse proxies (ACUERDO_TRUSTED_PROXIES) whose
	// X-Forwarded-For names the client: behind one, the per-address limit
	// applies to each client rather than to the proxy, which would lock the
	// whole team out. Empty trusts no header.
	TrustedProxies []netip.Prefix
	// HashSlots bounds the password checks (bcrypt) running at once (default
	// the number of CPUs); a sign-in that finds no slot within HashWait
	// (default 2 s) is answered 503 at once instead of piling up.
	HashSlots int
	HashWait  time.Duration
	// TemplateBudget is how many WhatsApp template messages the month's plan
	// pays for; 0 shows the count without a budget.
	TemplateBudget int
	// Creditor fills the {{creditor}} of template previews (the engine fills
	// the real message the same way, from the policy).
	Creditor string
	// Location is the team's time zone, for "today" and the times shown
	// (default UTC).
	Location *time.Location
	// Negotiation are the policy's limits, quoted when an agreement is
	// refused (the tools decide; zero is policy.Default()'s).
	Negotiation policy.Negotiation
}

func (o Options) withDefaults() Options {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Hour
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 12 * time.Hour
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = 12
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 15 * time.Minute
	}
	if o.LoginPerEmail <= 0 {
		o.LoginPerEmail = 5
	}
	if o.LoginPerIP <= 0 {
		o.LoginPerIP = 20
	}
	if o.HashSlots <= 0 {
		o.HashSlots = runtime.NumCPU()
	}
	if o.HashWait <= 0 {
		o.HashWait = 2 * time.Second
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Negotiation == (policy.Negotiation{}) {
		o.Negotiation = policy.Default().Negotiation
	}
	return o
}

//go:embed *.html static
var consoleFS embed.FS

var consolePages = template.Must(template.New("console").Funcs(template.FuncMap{
	// ts looks a text up in the page's language; a missing key shows itself,
	// so a gap is visible instead of blank.
	"ts": func(t map[string]string, key string) string {
		if v, ok := t[key]; ok {
			return v
		}
		return key
	},
	"contains": strings.Contains,
	// short is a language's code on the switcher: ES, PT, EN.
	"short": func(code string) string { return strings.ToUpper(code[:2]) },
}).ParseFS(consoleFS, "*.html"))

// Mount serves /console on r.
func (s *Server) Mount(r chi.Router) {
	static, _ := fs.Sub(consoleFS, "static")
	r.Handle("/console/static/*", http.StripPrefix("/console/static/", staticHandler(http.FileServer(http.FS(static)))))
	r.Get("/console/login", s.consoleLoginPage)
	r.Post("/console/login", s.consoleLogin)
	r.Group(func(r chi.Router) {
		r.Use(s.consoleAuth)
		r.Get("/console", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/console/inbox", http.StatusSeeOther)
		})
		r.Post("/console/logout", s.consoleLogout)
		r.Get("/console/inbox", s.consoleInbox)
		r.Get("/console/cases/{id}", s.consoleCase)
		r.Get("/console/cases/{id}/messages", s.consoleCaseMessages)
		r.Get("/console/cases/{id}/pdf", s.consoleCasePDF)
		r.Get("/console/cases/{id}/media/{mid}", s.consoleCaseMedia)
		r.Post("/console/cases/{id}/claim", s.consoleClaim)
		r.Post("/console/cases/{id}/reply", s.consoleReply)
		r.Post("/console/cases/{id}/handback", s.consoleHandBack)
		r.Post("/console/cases/{id}/close", s.consoleClose)
		r.Post("/console/cases/{id}/edit", s.consoleEdit)
		r.Post("/console/cases/{id}/payment/confirm", s.consoleConfirmPayment)
		r.Post("/console/cases/{id}/payment/reject", s.consoleRejectPayment)
		r.Post("/console/cases/{id}/plan", s.consolePlan)
		r.Post("/console/cases/{id}/promise", s.consolePromise)
		r.Post("/console/cases/{id}/due-date", s.consoleDueDate)
		r.Post("/console/cases/{id}/pause", s.consolePause)
		r.Post("/console/cases/{id}/notes", s.consoleNote)
		r.Post("/console/cases/{id}/transfer", s.consoleTransfer)
		r.Post("/console/cases/{id}/labels", s.consoleLabel)
		r.Post("/console/contacts/{id}/message", s.consoleContactMessage)
		r.Get("/console/contacts", s.consoleContacts)
		r.Get("/console/contacts/export.csv", s.consoleContactsExport)
		r.Get("/console/contacts/{id}", s.consoleContact)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAdmin)
			r.Post("/console/contacts/{id}/delete", s.consoleContactDelete)
			r.Get("/console/users", s.consoleUsers)
			r.Post("/console/users", s.consoleUserCreate)
			r.Get("/console/users/{id}", s.consoleUser)
			r.Post("/console/users/{id}", s.consoleUserUpdate)
			r.Get("/console/reports", s.consoleReports)
			r.Get("/console/reports.csv", s.consoleReportsCSV)
			r.Get("/console/canned", s.consoleCanned)
			r.Post("/console/canned", s.consoleCannedSave)
			r.Post("/console/canned/{id}/delete", s.consoleCannedDelete)
			r.Get("/console/events", s.consoleEvents)
			r.Post("/console/events/{id}/redeliver", s.consoleEventRedeliver)
			s.mountKB(r)
		})
	})
}

// staticHandler serves the console's embedded CSS and JS; they change only
// with a new binary, so browsers may keep them for an hour.
func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// consoleHeaders are every console page's: scripts and styles only from the
// console's own static files, nothing from elsewhere, no framing.
func consoleHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// langLink switches the page's language.
type langLink struct {
	Code, Name, URL string
	Current         bool
}

// page is what every console template gets.
type page struct {
	Lang    string
	T       map[string]string
	Langs   []langLink
	User    *store.User
	CSRF    string
	Nav     string // the section the page belongs to
	Title   string
	Self    string // this page's URL without lang, for the language links
	Notice  string // a confirmation after a redirect
	Problem string // what went wrong, in words for people
	Data    any
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request, nav, title string, data any) *page {
	lang := consoleLang(w, r)
	p := &page{Lang: lang, T: consoleText[lang], Nav: nav, Data: data}
	p.Title = p.T[title]
	if p.Title == "" {
		p.Title = title
	}
	if si := signedInFrom(r); si != nil {
		p.User, p.CSRF = &si.user, si.sess.CSRF
	}
	q := r.URL.Query()
	q.Del("lang")
	q.Del("ok")
	q.Del("err")
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	p.Self = u.String()
	for _, l := range httpx.Langs {
		lq := r.URL.Query()
		lq.Del("ok")
		lq.Del("err")
		lq.Set("lang", l.Code)
		p.Langs = append(p.Langs, langLink{Code: l.Code, Name: l.Name, URL: (&url.URL{Path: r.URL.Path, RawQuery: lq.Encode()}).String(), Current: l.Code == lang})
	}
	if k := r.URL.Query().Get("ok"); k != "" && strings.HasPrefix(k, "ok_") {
		p.Notice = p.T[k]
	}
	if k := r.URL.Query().Get("err"); k != "" && strings.HasPrefix(k, "err_") {
		p.Problem = p.T[k]
		if rule, ok := strings.CutPrefix(k, "err_policy_"); ok {
			p.Problem = s.policyReason(lang, rule)
		}
	}
	return p
}

func (s *Server) renderConsole(w http.ResponseWriter, status int, name string, p *page) {
	consoleHeaders(w)
	w.WriteHeader(status)
	if err := consolePages.ExecuteTemplate(w, name, p); err != nil {
		s.cfg.Logger.Error("console: render", "page", name, "err", err)
	}
}

// consoleLang picks the console's language: ?lang= (remembered in a cookie),
// then the cookie, then the browser's Accept-Language, then Spanish.
func consoleLang(w http.ResponseWriter, r *http.Request) string {
	if l := httpx.MatchLang(r.URL.Query().Get("lang")); l != "" {
		http.SetCookie(w, &http.Cookie{Name: "acuerdo_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("acuerdo_lang"); err == nil {
		if l := httpx.MatchLang(c.Value); l != "" {
			return l
		}
	}
	return httpx.PickLang(r)
}

// fail shows an error page in the user's language with the status of the
// one mapping (httpx.ErrorStatus). The message is a text key; internal errors are
// logged under the request id the page shows, never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := httpx.ErrorStatus(err)
	key := map[string]string{acuerdo.ENOTFOUND: "err_not_found", acuerdo.EFORBIDDEN: "err_forbidden", acuerdo.ECONFLICT: "err_conflict",
		acuerdo.EPOLICY: "err_conflict", acuerdo.EINVALID: "err_invalid", acuerdo.EUNAUTHORIZED: "err_unauthorized"}[code]
	if key == "" {
		key = "err_internal"
		s.cfg.Logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	}
	p := s.newPage(w, r, "", "error", nil)
	p.Problem = p.T[key]
	if code != acuerdo.EINTERNAL {
		// The store's messages say exactly what is wrong; they are English,
		// so they follow the localised sentence as detail.
		p.Data = acuerdo.ErrorMessage(err)
	} else {
		p.Data = p.T["request_id"] + ": " + httpx.RequestID(r)
	}
	s.renderConsole(w, status, "error", p)
}

// back redirects after a form post (POST-redirect-GET) with a notice or
// problem key the next page shows.
func back(w http.ResponseWriter, r *http.Request, path, param, key string) {
	// The query goes before a #fragment, or the browser reads it as part of
	// the fragment and the page never sees the notice.
	u, frag, _ := strings.Cut(path, "#")
	if key != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + param + "=" + url.QueryEscape(key)
	}
	if frag != "" {
		u += "#" + frag
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// consoleNow is the clock in the team's time zone.
func (s *Server) consoleNow() time.Time { return s.cfg.Clock().In(s.cfg.Options.Location) }
