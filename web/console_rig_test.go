package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/eval"
	"acuerdo/importer"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/web"
	"acuerdo/web/console"
	"acuerdo/web/internal/webtest"
	"acuerdo/whatsapp"
)

const (
	consolePassword = "correct horse battery"
	adminEmail      = "admin@acuerdo.test"
	operatorEmail   = "op@acuerdo.test"
	otherOpEmail    = "op2@acuerdo.test"
	reengageHX      = "HX0123456789abcdef0123456789abcdef"
	agreementHX     = "HXa9eeed0123456789abcdef0123456789"
)

// twilioFake stands in for api.twilio.com's Messages resource over loopback:
// basic auth, form-encoded creates answered with the JSON resource, and an
// empty list for reconciliation. It records every create.
type twilioFake struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []url.Values
}

func newTwilioFake(t testing.TB) *twilioFake {
	f := &twilioFake{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "/2010-04-01/Accounts/" + webtest.Account + "/Messages.json"
		if u, p, ok := r.BasicAuth(); !ok || u != webtest.Account || p != webtest.Token {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code": 20003, "message": "Authenticate", "status": 401}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == base:
			if err := r.ParseForm(); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			f.mu.Lock()
			f.msgs = append(f.msgs, r.PostForm)
			sid := fmt.Sprintf("SM%032d", len(f.msgs))
			f.mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "queued", "to": r.PostForm.Get("To"), "from": r.PostForm.Get("From"),
				"body": r.PostForm.Get("Body"), "account_sid": webtest.Account, "api_version": "2010-04-01", "direction": "outbound-api",
				"date_created": time.Now().UTC().Format(time.RFC1123Z), "num_segments": "1", "uri": "/2010-04-01/Accounts/" + webtest.Account + "/Messages/" + sid + ".json"})
		case r.Method == http.MethodGet && r.URL.Path == base:
			fmt.Fprint(w, `{"messages": [], "page": 0, "page_size": 50, "next_page_uri": null}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"code": 20404, "message": "not found", "status": 404}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// sent returns the creates received, as "To|Body|ContentSid".
func (f *twilioFake) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.msgs {
		out = append(out, m.Get("To")+"|"+m.Get("Body")+"|"+m.Get("ContentSid"))
	}
	return out
}

// twilioSender is the engine's Sender over the real whatsapp client, as cmd
// wires it (that adapter lives in package main).
type twilioSender struct{ c *whatsapp.Client }

func (s twilioSender) SendText(ctx context.Context, to, body string) (engine.Sent, error) {
	r, err := s.c.SendText(ctx, to, body)
	return engine.Sent{ID: r.SID, Status: r.Status}, err
}

func (s twilioSender) SendTemplate(ctx context.Context, to string, t engine.Template) (engine.Sent, error) {
	r, err := s.c.SendTemplate(ctx, to, t.ContentID, t.Variables)
	return engine.Sent{ID: r.SID, Status: r.Status}, err
}
func (twilioSender) Permanent(err error) bool { return whatsapp.IsPermanent(err) }
func (twilioSender) Code(error) string        { return "" }

// rigStart is a Tuesday 10:00 in Bogotá: a day later is still within
// Colombia's contact hours, so business-initiated sends are not held.
var rigStart = time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC)

// consoleRig is the console over a real store, the real engine (offline
// agent) and the real Twilio client talking to a local fake.
type consoleRig struct {
	db     *store.DB
	path   string
	clk    *webtest.Clock
	tw     *twilioFake
	srv    *httptest.Server
	users  map[string]store.User
	caseID int64 // Ana's escalation
	convID int64
}

type consoleRigOptions struct {
	loginPerEmail int
	budget        int
}

func newConsoleRig(t testing.TB, o consoleRigOptions) *consoleRig {
	t.Helper()
	ctx := context.Background()
	r := &consoleRig{path: filepath.Join(t.TempDir(), "c.db"), clk: webtest.NewClock(rigStart), tw: newTwilioFake(t), users: map[string]store.User{}}
	db, err := store.Open(ctx, r.path, store.Options{Clock: r.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.db = db
	tb, _ := importer.NewCSV(strings.NewReader("Credito,Numero,Nombre,Cedula,Saldo,Cuota,Consentimiento\nCR-1,3001234567,Ana Pérez,1020304050,1250000,250000,si\nCR-2,3007654321,Luis Gómez,99887766,800000,,si\n"))
	if _, err := importer.Portfolio(ctx, db, tb, importer.Options{Country: "CO"}); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pol := policy.Default()
	pol.DebtorMinGap = 0
	pol.SendRatePerSecond = 1e6
	wa, err := whatsapp.New(whatsapp.Config{AccountSID: webtest.Account, AuthToken: webtest.Token, From: webtest.From, APIURL: r.tw.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ag := eval.NewAgent(db, r.clk.Now, nil, pol, logger)
	eng := engine.New(engine.Config{Store: db, Agent: ag, Policy: pol, Clock: r.clk.Now,
		Senders: map[string]engine.Sender{acuerdo.ChannelWhatsApp: twilioSender{wa}}, Templates: map[string]string{"reengage/es": reengageHX, "agreement_confirmed/es": agreementHX},
		Logger: logger, Rank: whatsapp.StatusRank, Poll: 20 * time.Millisecond, Workers: 2})
	h := web.New(web.Config{Engine: eng, Store: db, AuthToken: webtest.Token, AccountSID: webtest.Account, Console: true, Outbox: eng, Tools: ag.Tools(), API: true,
		Dashboard: true, DashboardToken: webtest.Token, Clock: r.clk.Now, Logger: logger,
		ConsoleOptions: console.Options{BcryptCost: bcrypt.MinCost, LoginPerEmail: o.loginPerEmail, TemplateBudget: o.budget, Creditor: "Acuerdo Demo"}})
	r.srv = httptest.NewServer(h)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	t.Cleanup(func() { r.srv.Close(); cancel(); <-done; db.Close() })

	for email, role := range map[string]string{adminEmail: store.RoleAdmin, operatorEmail: store.RoleOperator, otherOpEmail: store.RoleOperator} {
		hash, err := store.HashPassword(consolePassword, bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.CreateUser(ctx, store.User{Email: email, Name: strings.Split(email, "@")[0], Role: role, PasswordHash: hash})
		if err != nil {
			t.Fatal(err)
		}
		r.users[email] = u
	}
	// Ana writes and asks for a person: the offline agent escalates through
	// the real tool, which opens the case and pauses the bot.
	r.inbound(t, webtest.AnaPhone, "SMana0001", "hola, quiero hablar con una persona")
	webtest.Eventually(t, "Ana's escalation", func() bool {
		cs, err := db.Cases(ctx, store.CaseFilter{})
		if err != nil || len(cs) == 0 {
			return false
		}
		r.caseID, r.convID = cs[0].ID, cs[0].ConversationID
		return true
	})
	// The agent's own reply to the escalation goes out before the test acts,
	// so that the Twilio fake's record starts settled.
	webtest.Eventually(t, "the agent's escalation reply", func() bool { return len(r.tw.sent()) >= 1 })
	return r
}

// inbound delivers a debtor's WhatsApp message through the signed webhook.
func (r *consoleRig) inbound(t testing.TB, phone, sid, body string) {
	t.Helper()
	resp := webtest.SignedPost(t, r.srv.Client(), r.srv.URL, whatsapp.InboundPath, webtest.InboundForm(sid, phone, body), webtest.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("inbound: %d %s", resp.StatusCode, webtest.ReadAll(t, resp))
	}
	resp.Body.Close()
}

// agent is one browser-like HTTP client: a cookie jar, no redirect following
// (tests look at each redirect), and the CSRF token of the last page.
type agent struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func (r *consoleRig) agent(t testing.TB) *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{t: t, base: r.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches a page and remembers its CSRF token.
func (a *agent) get(path string) (int, string, http.Header) {
	a.t.Helper()
	resp, err := a.c.Get(a.base + path)
	if err != nil {
		a.t.Fatal(err)
	}
	body := webtest.ReadAll(a.t, resp)
	if m := csrfField.FindStringSubmatch(body); m != nil {
		a.csrf = m[1]
	}
	return resp.StatusCode, body, resp.Header
}

// post sends a form with the remembered CSRF token unless the form has one.
func (a *agent) post(path string, form url.Values) (int, string, http.Header) {
	a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", a.csrf)
	}
	resp, err := a.c.PostForm(a.base+path, form)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.StatusCode, webtest.ReadAll(a.t, resp), resp.Header
}

// login signs in and fails the test unless it worked.
func (a *agent) login(email string) {
	a.t.Helper()
	if code := a.tryLogin(email, consolePassword); code != http.StatusSeeOther {
		a.t.Fatalf("login %s: status %d", email, code)
	}
	if code, _, _ := a.get("/console/inbox"); code != http.StatusOK {
		a.t.Fatalf("inbox after login: %d", code)
	}
}

func (a *agent) tryLogin(email, password string) int {
	a.t.Helper()
	a.c.Jar, _ = cookiejar.New(nil) // a fresh browser: no session yet
	a.get("/console/login")
	code, _, _ := a.post("/console/login", url.Values{"email": {email}, "password": {password}})
	return code
}

func (r *consoleRig) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	return webtest.Count(t, r.path, q, args...)
}
