package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/web/internal/webtest"
)

func TestConsoleLogin(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{loginPerEmail: 100})
	for _, tc := range []struct {
		name, email, password string
		noToken               bool
		disable               bool
		want                  int
		text                  string
	}{
		{name: "wrong password", email: operatorEmail, password: "nope nope nope", want: http.StatusUnauthorized, text: "Credenciales inválidas"},
		{name: "unknown email", email: "nobody@acuerdo.test", password: consolePassword, want: http.StatusUnauthorized, text: "Credenciales inválidas"},
		{name: "empty", email: "", password: "", want: http.StatusBadRequest},
		{name: "no csrf token", email: operatorEmail, password: consolePassword, noToken: true, want: http.StatusForbidden},
		{name: "ok, any case", email: strings.ToUpper(operatorEmail), password: consolePassword, want: http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.agent(t)
			a.get("/console/login")
			form := url.Values{"email": {tc.email}, "password": {tc.password}}
			if tc.noToken {
				form.Set("csrf", "")
			}
			code, body, h := a.post("/console/login", form)
			if code != tc.want || !strings.Contains(body, tc.text) {
				t.Fatalf("status %d, want %d; body has %q: %v", code, tc.want, tc.text, strings.Contains(body, tc.text))
			}
			if code != http.StatusSeeOther {
				if strings.Contains(strings.Join(h.Values("Set-Cookie"), ";"), "acuerdo_session=") {
					t.Error("a failed login set a session cookie")
				}
				return
			}
			if h.Get("Location") != "/console/inbox" {
				t.Errorf("redirect to %q", h.Get("Location"))
			}
			var sess *http.Cookie
			for _, c := range (&http.Response{Header: h}).Cookies() {
				if c.Name == "acuerdo_session" {
					sess = c
				}
			}
			if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Secure {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain http", sess)
			}
		})
	}
}

func TestConsoleSecureCookieBehindTLSProxy(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	a := r.agent(t)
	a.get("/console/login")
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/console/login", strings.NewReader(url.Values{"email": {adminEmail}, "password": {consolePassword}, "csrf": {a.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "acuerdo_session" && !c.Secure {
			t.Error("session cookie over https is not Secure")
		}
	}
}

func TestConsoleLoginRateLimited(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{loginPerEmail: 3})
	a := r.agent(t)
	for i := 0; i < 3; i++ {
		if code := a.tryLogin(operatorEmail, "wrong password!"); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	// Now even the right password is refused, with a clear message.
	a.get("/console/login")
	code, body, h := a.post("/console/login", url.Values{"email": {operatorEmail}, "password": {consolePassword}})
	if code != http.StatusTooManyRequests || !strings.Contains(body, "Demasiados intentos") || h.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	// Another account is not locked by it, and the window passes.
	if code := a.tryLogin(adminEmail, consolePassword); code != http.StatusSeeOther {
		t.Errorf("another user locked out too: %d", code)
	}
	r.clk.Add(16 * time.Minute)
	if code := r.agent(t).tryLogin(operatorEmail, consolePassword); code != http.StatusSeeOther {
		t.Errorf("still locked after the window: %d", code)
	}
}

func TestConsoleLoginRateLimitedPerAddress(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{loginPerEmail: 100})
	a := r.agent(t)
	for i := 0; i < 20; i++ {
		a.tryLogin(fmt.Sprintf("guess%d@acuerdo.test", i), "wrong password!")
	}
	if code := a.tryLogin(adminEmail, consolePassword); code != http.StatusTooManyRequests {
		t.Errorf("21st attempt from one address: %d, want 429", code)
	}
}

func TestConsoleOneSessionPerUser(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	first, second := r.agent(t), r.agent(t)
	first.login(operatorEmail)
	second.login(operatorEmail)
	code, _, h := first.get("/console/inbox")
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/console/login") {
		t.Errorf("first session after a second login: %d → %q, want a redirect to sign in", code, h.Get("Location"))
	}
	// The first device is told why, once.
	if _, body, _ := first.get(h.Get("Location")); !strings.Contains(body, "entraste con este usuario en otro dispositivo") {
		t.Error("the signed-out device is not told why")
	}
	if _, _, h := first.get("/console/inbox"); strings.Contains(h.Get("Location"), "err_other_device") {
		t.Error("the reason is given again after it was told")
	}
	if code, _, _ := second.get("/console/inbox"); code != http.StatusOK {
		t.Errorf("second session: %d", code)
	}
}

func TestConsoleSessionEnds(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	for _, tc := range []struct {
		name string
		act  func(a *agent)
	}{
		{"idle for over 2 h", func(a *agent) { r.clk.Add(2*time.Hour + time.Minute) }},
		{"12 h after sign-in however active", func(a *agent) {
			for i := 0; i < 13; i++ {
				r.clk.Add(59 * time.Minute)
				a.get("/console/inbox")
			}
		}},
		{"logout", func(a *agent) {
			if code, _, _ := a.post("/console/logout", nil); code != http.StatusSeeOther {
				t.Fatalf("logout: %d", code)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := r.agent(t)
			a.login(adminEmail)
			tc.act(a)
			if code, _, _ := a.get("/console/inbox"); code != http.StatusSeeOther {
				t.Errorf("inbox: %d, want a redirect to sign in", code)
			}
		})
	}
}

// TestConsoleAuthorization checks every route for each role: anonymous
// requests are sent to sign in, operators get 403 on admin routes from the
// server itself.
func TestConsoleAuthorization(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	cid := fmt.Sprint(r.caseID)
	conv := fmt.Sprint(r.convID)
	opID := fmt.Sprint(r.users[operatorEmail].ID)
	type route struct {
		method, path      string
		anon, oper, admin int
	}
	const ok, see, forbid, unauth = http.StatusOK, http.StatusSeeOther, http.StatusForbidden, http.StatusUnauthorized
	routes := []route{
		{"GET", "/console", see, see, see},
		{"GET", "/console/inbox", see, ok, ok},
		{"GET", "/console/inbox?partial=1", see, ok, ok},
		{"GET", "/console/cases/" + cid, see, ok, ok},
		{"GET", "/console/cases/" + cid + "/messages?after=0", see, ok, ok},
		{"GET", "/console/cases/" + cid + "/pdf", see, ok, ok},
		{"GET", "/console/cases/999999", see, http.StatusNotFound, http.StatusNotFound},
		{"GET", "/console/cases/" + cid + "/media/999", see, http.StatusNotFound, http.StatusNotFound},
		{"GET", "/console/contacts", see, ok, ok},
		{"GET", "/console/contacts/" + conv, see, ok, ok},
		{"GET", "/console/contacts/export.csv?range=all", see, ok, ok},
		{"GET", "/console/users", see, forbid, ok},
		{"GET", "/console/users/" + opID, see, forbid, ok},
		{"POST", "/console/users", unauth, forbid, http.StatusBadRequest},
		{"POST", "/console/users/" + opID, unauth, forbid, see},
		{"POST", "/console/contacts/999999/delete", unauth, forbid, http.StatusNotFound},
		{"POST", "/console/cases/" + cid + "/edit", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/reply", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/close", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/payment/reject", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/payment/confirm", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/handback", unauth, see, see},
		// Agreements need the case held (the operator has not taken it) or an
		// admin; their forms are empty here, so the admin's are refused as
		// invalid input after the role check.
		{"POST", "/console/cases/" + cid + "/plan", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/promise", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/due-date", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/pause", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/notes", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/transfer", unauth, see, see},
		{"POST", "/console/cases/" + cid + "/labels", unauth, see, see},
		{"POST", "/console/contacts/" + conv + "/message", unauth, see, see},
		{"GET", "/console/canned", see, forbid, ok},
		{"POST", "/console/canned", unauth, forbid, see},
		{"POST", "/console/canned/999999/delete", unauth, forbid, http.StatusNotFound},
		{"GET", "/console/reports", see, forbid, ok},
		{"GET", "/console/reports.csv", see, forbid, ok},
		{"POST", "/console/logout", unauth, see, see},
		{"GET", "/console/static/console.css", ok, ok, ok},
		{"GET", "/console/login", ok, see, see},
	}
	agents := map[string]*agent{"anon": r.agent(t), "operator": r.agent(t), "admin": r.agent(t)}
	for _, rt := range routes {
		for _, who := range []string{"anon", "operator", "admin"} {
			want := map[string]int{"anon": rt.anon, "operator": rt.oper, "admin": rt.admin}[who]
			t.Run(who+" "+rt.method+" "+rt.path, func(t *testing.T) {
				a := agents[who]
				a.t = t
				// Sign in afresh each time: logout and role routes end sessions.
				if who != "anon" {
					a.login(map[string]string{"operator": operatorEmail, "admin": adminEmail}[who])
				}
				var code int
				var h http.Header
				if rt.method == "GET" {
					code, _, h = a.get(rt.path)
				} else {
					form := url.Values{}
					if strings.HasPrefix(rt.path, "/console/users/") {
						form = url.Values{"role": {"operator"}, "name": {"Olga"}}
					}
					code, _, h = a.post(rt.path, form)
				}
				if code != want {
					t.Errorf("status %d (Location %q), want %d", code, h.Get("Location"), want)
				}
			})
		}
	}
}

func TestConsoleRefusesPostWithoutCSRF(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	a := r.agent(t)
	a.login(operatorEmail)
	for _, tok := range []string{"", "forged-token"} {
		code, body, _ := a.post(fmt.Sprintf("/console/cases/%d/claim", r.caseID), url.Values{"csrf": {tok}})
		if code != http.StatusForbidden || !strings.Contains(body, "formulario") {
			t.Errorf("token %q: status %d", tok, code)
		}
	}
	if n := r.count(t, `SELECT COUNT(*) FROM cases WHERE assignee_id IS NOT NULL`); n != 0 {
		t.Errorf("a forged post claimed the case")
	}
}

func TestConsoleCaseWorkflow(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op, other := r.agent(t), r.agent(t)
	op.login(operatorEmail)
	other.login(otherOpEmail)
	path := fmt.Sprintf("/console/cases/%d", r.caseID)
	// Inbox lists the escalation with its reason.
	if _, body, _ := op.get("/console/inbox"); !strings.Contains(body, "Ana Pérez") || !strings.Contains(body, "Pide una persona") {
		t.Fatal("inbox does not show Ana's escalation")
	}
	// Reply before claiming is refused.
	if _, _, h := op.post(path+"/reply", url.Values{"body": {"hola"}}); !strings.Contains(h.Get("Location"), "err_claim_first") {
		t.Errorf("reply before claim: %q", h.Get("Location"))
	}
	if _, _, h := op.post(path+"/claim", nil); !strings.Contains(h.Get("Location"), "ok_claimed") {
		t.Fatalf("claim: %q", h.Get("Location"))
	}
	if _, _, h := other.post(path+"/claim", nil); !strings.Contains(h.Get("Location"), "err_claimed") {
		t.Errorf("second operator claimed: %q", h.Get("Location"))
	}
	if code, _, _ := other.post(path+"/handback", nil); code != http.StatusForbidden {
		t.Errorf("another operator handed back someone else's case: %d", code)
	}
	before := len(r.tw.sent())
	// The notice is a query before the #composer fragment, where the page sees it.
	if _, _, h := op.post(path+"/reply", url.Values{"body": {"Hola Ana, soy Olga. ¿En qué te ayudo?"}}); !strings.HasSuffix(h.Get("Location"), "?ok=ok_sent#composer") {
		t.Fatalf("reply: %q", h.Get("Location"))
	}
	webtest.Eventually(t, "the reply at Twilio", func() bool { return len(r.tw.sent()) > before })
	if got := r.tw.sent()[before]; got != "whatsapp:"+webtest.AnaPhone+"|Hola Ana, soy Olga. ¿En qué te ayudo?|" {
		t.Errorf("Twilio got %q", got)
	}
	// While the operator has it, the bot stays quiet.
	r.inbound(t, webtest.AnaPhone, "SMana0002", "gracias, tengo una duda con mi saldo")
	if _, body, _ := op.get(path + "/messages?after=0"); !strings.Contains(body, "tengo una duda") {
		t.Error("new debtor message not in the polled fragment")
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE name = 'paused_conversation'`); n == 0 {
		webtest.Eventually(t, "the paused guard", func() bool { return r.count(t, `SELECT COUNT(*) FROM audit WHERE name = 'paused_conversation'`) > 0 })
	}
	if n := len(r.tw.sent()); n != before+1 {
		t.Errorf("the bot answered a paused conversation: %v", r.tw.sent()[before:])
	}
	if _, _, h := op.post(path+"/handback", nil); !strings.Contains(h.Get("Location"), "ok_handed_back") {
		t.Fatalf("hand back: %q", h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM conversations WHERE id = ? AND paused = FALSE`, r.convID); n != 1 {
		t.Error("conversation still paused after hand back")
	}
	// Handed back, the bot answers: the reply box is gone and a reply refused.
	if _, body, _ := op.get(path); strings.Contains(body, `id="reply"`) || !strings.Contains(body, `id="bot-answering"`) {
		t.Error("the reply box is still active after handing back to the bot")
	}
	if _, _, h := op.post(path+"/reply", url.Values{"body": {"hola"}}); !strings.Contains(h.Get("Location"), "err_bot_active") {
		t.Errorf("reply after hand back: %q", h.Get("Location"))
	}
	// Month names follow the page's language (rigStart is in March).
	if _, body, _ := op.get(path + "?lang=es"); !strings.Contains(body, " mar ") || strings.Contains(body, " Mar ") {
		t.Error("Spanish page without Spanish month names")
	}
	if _, body, _ := op.get(path + "?lang=en"); !strings.Contains(body, " Mar ") {
		t.Error("English page without English month names")
	}
	op.get(path + "?lang=es")
	// Edit, then close with an outcome and a verdict.
	if _, _, h := op.post(path+"/edit", url.Values{"amount": {"1.250.000"}, "currency": {"cop"}, "payment_method": {"PSE"}, "comments": {"llamar el lunes"}}); !strings.Contains(h.Get("Location"), "ok_saved") {
		t.Errorf("edit: %q", h.Get("Location"))
	}
	if _, _, h := op.post(path+"/edit", url.Values{"amount": {"mucho"}, "currency": {"COP"}}); !strings.Contains(h.Get("Location"), "err_amount") {
		t.Errorf("bad amount accepted: %q", h.Get("Location"))
	}
	if _, _, h := op.post(path+"/close", url.Values{"state": {"EN_PROCESO"}}); !strings.Contains(h.Get("Location"), "err_outcome") {
		t.Errorf("closed with an open state: %q", h.Get("Location"))
	}
	if _, _, h := op.post(path+"/close", url.Values{"state": {acuerdo.CaseResolved}, "useful": {"yes"}, "outcome": {"resuelto por chat"}}); !strings.Contains(h.Get("Location"), "ok_closed") {
		t.Fatalf("close: %q", h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM cases WHERE id = ? AND state = 'RESUELTO' AND useful = TRUE AND amount = 125000000 AND currency = 'COP'
		AND payment_method = 'PSE' AND outcome = 'resuelto por chat' AND closed_at IS NOT NULL`, r.caseID); n != 1 {
		t.Error("closed case not stored as posted")
	}
	// What was recorded stays on the page of the closed case.
	if _, body, _ := op.get(path); !strings.Contains(body, `id="fact-method">PSE<`) || !strings.Contains(body, "llamar el lunes") || !strings.Contains(body, `id="fact-amount">1250000.00 COP<`) {
		t.Error("amount, method or comments vanished from the closed case")
	}
	if n := r.count(t, `SELECT COUNT(*) FROM events WHERE type = 'case.closed' AND payload LIKE '%"useful":true%'`); n != 1 {
		t.Errorf("%d case.closed events with the verdict, want 1", n)
	}
	// Every step is in the audit log as a staff action.
	for _, name := range []string{"case_claim", "case_reply", "case_handback", "case_edit", "case_close", "login"} {
		if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE kind = 'admin' AND name = ?`, name); n == 0 {
			t.Errorf("no audit line for %s", name)
		}
	}
}

func TestConsoleWindowClosedOffersTemplates(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op := r.agent(t)
	op.login(operatorEmail)
	path := fmt.Sprintf("/console/cases/%d", r.caseID)
	op.post(path+"/claim", nil)
	r.clk.Add(25 * time.Hour)
	op.login(operatorEmail) // the session idled out meanwhile
	_, body, _ := op.get(path)
	if !strings.Contains(body, `id="template-form"`) || strings.Contains(body, `id="reply-form"`) {
		t.Fatal("closed window: the page does not offer templates instead of free text")
	}
	if _, _, h := op.post(path+"/reply", url.Values{"body": {"hola"}}); !strings.Contains(h.Get("Location"), "err_window") {
		t.Errorf("free text outside the window: %q", h.Get("Location"))
	}
	if _, _, h := op.post(path+"/reply", url.Values{"template": {"promise_reminder"}}); !strings.Contains(h.Get("Location"), "err_template") {
		t.Errorf("a template with variables the console cannot fill: %q", h.Get("Location"))
	}
	before := len(r.tw.sent())
	if _, _, h := op.post(path+"/reply", url.Values{"template": {"reengage"}}); !strings.Contains(h.Get("Location"), "ok_sent") {
		t.Fatalf("template: %q", h.Get("Location"))
	}
	// It is business-initiated now: the contact policy applies (consent is on
	// file and it is a weekday morning in Bogotá), and WhatsApp gets the
	// approved template by ContentSid, never a Body.
	webtest.Eventually(t, "the template at Twilio", func() bool { return len(r.tw.sent()) > before })
	if s := r.tw.sent(); s[before] != "whatsapp:"+webtest.AnaPhone+"||"+reengageHX {
		t.Errorf("Twilio got %q: want the approved template by ContentSid and no Body", s[before])
	}
}

func TestConsolePaymentReport(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op := r.agent(t)
	op.login(operatorEmail)
	ctx := t.Context()
	debtor, err := r.db.DebtorByPhone(ctx, webtest.AnaPhone)
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := r.db.Accounts(ctx, debtor.ID)
	report := func() int64 {
		c, err := r.db.OpenCase(ctx, acuerdo.Case{ConversationID: r.convID, DebtorID: debtor.ID, Reason: acuerdo.ReasonPaymentReport, Summary: "Debtor reports a payment"})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	confirm := fmt.Sprintf("/console/cases/%d", report())
	today := r.clk.Now().Format("2006-01-02")
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"account_id": {"999"}, "amount": {"250.000"}, "paid_on": {today}}, "err_account"},
		{url.Values{"account_id": {fmt.Sprint(accts[0].ID)}, "amount": {"0"}, "paid_on": {today}}, "err_amount"},
		{url.Values{"account_id": {fmt.Sprint(accts[0].ID)}, "amount": {"250.000"}, "paid_on": {"2999-01-01"}}, "err_date"},
		{url.Values{"account_id": {fmt.Sprint(accts[0].ID)}, "amount": {"250.000"}, "paid_on": {today}, "method": {"Nequi"}}, "ok_payment_confirmed"},
		{url.Values{"account_id": {fmt.Sprint(accts[0].ID)}, "amount": {"250.000"}, "paid_on": {today}}, "err_closed"},
	} {
		if _, _, h := op.post(confirm+"/payment/confirm", tc.form); !strings.Contains(h.Get("Location"), tc.want) {
			t.Errorf("%v: %q, want %s", tc.form, h.Get("Location"), tc.want)
		}
	}
	if n := r.count(t, `SELECT COUNT(*) FROM payments WHERE amount = 25000000 AND source = 'operator' AND method = 'Nequi'`); n != 1 {
		t.Errorf("%d payments recorded, want 1", n)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM events WHERE type = 'payment.registered' AND payload LIKE '%"source":"operator"%'`); n != 1 {
		t.Errorf("%d payment.registered events for the operator's payment, want 1", n)
	}
	reject := fmt.Sprintf("/console/cases/%d", report())
	if _, _, h := op.post(reject+"/payment/reject", url.Values{"reason": {""}}); !strings.Contains(h.Get("Location"), "err_reason") {
		t.Errorf("reject without reason: %q", h.Get("Location"))
	}
	before := len(r.tw.sent())
	if _, _, h := op.post(reject+"/payment/reject", url.Values{"reason": {"el comprobante es de otra cuenta"}}); !strings.Contains(h.Get("Location"), "ok_payment_rejected") {
		t.Fatalf("reject: %q", h.Get("Location"))
	}
	webtest.Eventually(t, "the rejection at Twilio", func() bool { return len(r.tw.sent()) > before })
	if got := r.tw.sent()[before]; !strings.Contains(got, "No pudimos confirmar el pago que nos reportaste: el comprobante es de otra cuenta") {
		t.Errorf("debtor was told %q", got)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM cases WHERE state = 'CANCELADO' AND outcome = 'el comprobante es de otra cuenta'`); n != 1 {
		t.Error("rejected report not closed with its reason")
	}
}

func TestConsoleEscapesDebtorText(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	r.inbound(t, webtest.AnaPhone, "SMana0xss", `<script>alert("x")</script><img src=x onerror=alert(1)>`)
	op := r.agent(t)
	op.login(operatorEmail)
	for _, path := range []string{fmt.Sprintf("/console/cases/%d", r.caseID), fmt.Sprintf("/console/cases/%d/messages?after=0", r.caseID), fmt.Sprintf("/console/contacts/%d", r.convID)} {
		_, body, h := op.get(path)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s: debtor text not escaped", path)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
}

func TestConsoleContacts(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	r.inbound(t, "+573007654321", "SMluis0001", "hola")
	webtest.Eventually(t, "Luis's conversation", func() bool {
		return r.count(t, `SELECT COUNT(*) FROM conversations WHERE phone = '+573007654321'`) == 1
	})
	op, admin := r.agent(t), r.agent(t)
	op.login(operatorEmail)
	admin.login(adminEmail)
	for _, tc := range []struct {
		q          string
		has, hasnt string
	}{
		{"", "Ana Pérez", ""},
		{"?q=Luis", "Luis Gómez", "Ana Pérez"},
		{"?q=4567", "Ana Pérez", "Luis Gómez"},
		{"?sort=name", "Ana Pérez", ""},
	} {
		_, body, _ := op.get("/console/contacts" + tc.q)
		if !strings.Contains(body, tc.has) || (tc.hasnt != "" && strings.Contains(body, tc.hasnt)) {
			t.Errorf("contacts%s: has %q %v, lacks %q", tc.q, tc.has, strings.Contains(body, tc.has), tc.hasnt)
		}
	}
	code, body, h := op.get("/console/contacts/export.csv?range=month")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != http.StatusOK || err != nil || len(recs) != 3 || recs[0][0] != "created_at" || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %v %v", code, recs, err)
	}
	// An invalid value is 422 everywhere, the one mapping of httpx.ErrorStatus.
	if code, _, _ := op.get("/console/contacts/export.csv?range=week"); code != http.StatusUnprocessableEntity {
		t.Errorf("unknown range: %d", code)
	}
	// Deleting is an admin's: an operator gets 403, an admin erases.
	del := fmt.Sprintf("/console/contacts/%d/delete", r.convID)
	if code, _, _ := op.post(del, nil); code != http.StatusForbidden {
		t.Errorf("operator delete: %d", code)
	}
	if _, _, h := admin.post(del, nil); !strings.Contains(h.Get("Location"), "ok_deleted") {
		t.Fatalf("admin delete: %q", h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND body <> ''`, r.convID); n != 0 {
		t.Errorf("%d message bodies survived the deletion", n)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM messages WHERE conversation_id = ?`, r.convID); n == 0 {
		t.Error("message counts (anonymised aggregates) were lost")
	}
	if _, body, _ := admin.get("/console/contacts"); strings.Contains(body, "Ana Pérez") || strings.Contains(body, webtest.AnaPhone) {
		t.Error("deleted contact still listed")
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE kind = 'admin' AND name IN ('erase', 'contacts_export')`); n != 2 {
		t.Errorf("%d audit lines for export and erase, want 2", n)
	}
}

func TestConsoleUsers(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	admin, op := r.agent(t), r.agent(t)
	admin.login(adminEmail)
	op.login(operatorEmail)
	for _, tc := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"email": {"new@acuerdo.test"}, "role": {"operator"}, "password": {"short"}}, http.StatusBadRequest},
		{url.Values{"email": {"nope"}, "role": {"operator"}, "password": {consolePassword}}, http.StatusBadRequest},
		{url.Values{"email": {"new@acuerdo.test"}, "role": {"root"}, "password": {consolePassword}}, http.StatusBadRequest},
		{url.Values{"email": {"new@acuerdo.test"}, "name": {"Nina"}, "role": {"operator"}, "password": {consolePassword}}, http.StatusSeeOther},
		{url.Values{"email": {"NEW@acuerdo.test"}, "role": {"operator"}, "password": {consolePassword}}, http.StatusConflict},
	} {
		if code, _, _ := admin.post("/console/users", tc.form); code != tc.want {
			t.Errorf("create %v: %d, want %d", tc.form, code, tc.want)
		}
	}
	if code := r.agent(t).tryLogin("new@acuerdo.test", consolePassword); code != http.StatusSeeOther {
		t.Errorf("new user cannot sign in: %d", code)
	}
	// Disabling the operator ends their session at once and keeps them out.
	opPath := fmt.Sprintf("/console/users/%d", r.users[operatorEmail].ID)
	admin.get(opPath)
	if code, _, _ := admin.post(opPath, url.Values{"role": {"operator"}, "disabled": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("disable: %d", code)
	}
	if code, _, _ := op.get("/console/inbox"); code != http.StatusSeeOther {
		t.Errorf("disabled user's session still works: %d", code)
	}
	if code := r.agent(t).tryLogin(operatorEmail, consolePassword); code != http.StatusForbidden {
		t.Errorf("disabled user signed in: %d", code)
	}
	// The last admin cannot demote themselves.
	self := fmt.Sprintf("/console/users/%d", r.users[adminEmail].ID)
	if _, _, h := admin.post(self, url.Values{"role": {"operator"}}); !strings.Contains(h.Get("Location"), "err_last_admin") {
		t.Errorf("last admin demoted: %q", h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE kind = 'admin' AND name IN ('user_create', 'user_update')`); n != 2 {
		t.Errorf("%d admin audit lines, want 2 (create, disable)", n)
	}
}

func TestConsoleCountersAndPDF(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{budget: 1000})
	op := r.agent(t)
	op.login(operatorEmail)
	_, body, _ := op.get("/console/inbox")
	for _, want := range []string{"Contactos únicos", "Nuevos hoy", "Mensajes hoy", "Plantillas este mes", "/ 1000"} {
		if !strings.Contains(body, want) {
			t.Errorf("inbox lacks %q", want)
		}
	}
	_, body, _ = op.get("/console/inbox?lang=en")
	if !strings.Contains(body, "Unique contacts") || !strings.Contains(body, `lang="en"`) {
		t.Error("language switch to English did not work")
	}
	if _, body, _ = op.get("/console/inbox"); !strings.Contains(body, "Unique contacts") {
		t.Error("the chosen language was not remembered")
	}
	op.get("/console/inbox?lang=pt-BR")
	if _, body, _ = op.get("/console/inbox"); !strings.Contains(body, "Contatos únicos") {
		t.Error("Portuguese missing")
	}
	resp, err := op.c.Get(r.srv.URL + fmt.Sprintf("/console/cases/%d/pdf", r.caseID))
	if err != nil {
		t.Fatal(err)
	}
	pdf := webtest.ReadAll(t, resp)
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") || len(pdf) < 1000 {
		t.Errorf("pdf: %s, %d bytes", resp.Header.Get("Content-Type"), len(pdf))
	}
}

func TestConsoleExpiryByEngine(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	r.clk.Add(49 * time.Hour)
	// The engine's scheduler expires it without anyone opening the console.
	webtest.Eventually(t, "the case to expire", func() bool {
		return r.count(t, `SELECT COUNT(*) FROM cases WHERE id = ? AND state = 'VENCIDO'`, r.caseID) == 1
	})
}

func TestDashboardAcceptsConsoleSession(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	a := r.agent(t)
	if code, _, _ := a.get("/dashboard"); code != http.StatusUnauthorized {
		t.Errorf("dashboard without sign-in: %d", code)
	}
	a.login(operatorEmail)
	if code, _, _ := a.get("/dashboard"); code != http.StatusOK {
		t.Errorf("dashboard for a signed-in console user: %d", code)
	}
}

func TestConsoleReceipts(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	ctx := t.Context()
	// A receipt as the engine stores it: an attachment of an inbound message,
	// downloaded, attached to the payment report.
	_, _, err := r.db.Receive(ctx, acuerdo.ChannelWhatsApp, webtest.AnaPhone, acuerdo.Message{Body: "ya pagué", ProviderID: "SMana0rcpt"},
		[]store.InboundMedia{{URL: "https://api.twilio.com/m/1", ContentType: "image/png"}, {URL: "https://api.twilio.com/m/2", ContentType: "text/html"}})
	if err != nil {
		t.Fatal(err)
	}
	media, err := r.db.PendingMedia(ctx, 10)
	if err != nil || len(media) != 2 {
		t.Fatalf("media %v %v", media, err)
	}
	png := "\x89PNG\r\n\x1a\n fake image bytes"
	if err := r.db.SaveMediaData(ctx, media[0].ID, []byte(png), "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := r.db.SaveMediaData(ctx, media[1].ID, []byte("<script>alert(1)</script>"), "text/html"); err != nil {
		t.Fatal(err)
	}
	op := r.agent(t)
	op.login(operatorEmail)
	_, page, _ := op.get(fmt.Sprintf("/console/cases/%d", r.caseID))
	if !strings.Contains(page, fmt.Sprintf("/media/%d", media[0].ID)) {
		t.Error("case page does not show the receipt")
	}
	for _, tc := range []struct {
		id          int64
		ctype, disp string
	}{{media[0].ID, "image/png", "inline"}, {media[1].ID, "application/octet-stream", "attachment"}} {
		resp, err := op.c.Get(r.srv.URL + fmt.Sprintf("/console/cases/%d/media/%d", r.caseID, tc.id))
		if err != nil {
			t.Fatal(err)
		}
		body := webtest.ReadAll(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.ctype || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), tc.disp) ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("media %d: %d %v", tc.id, resp.StatusCode, resp.Header)
		}
		if tc.id == media[0].ID && body != png {
			t.Error("receipt bytes differ")
		}
	}
	// Another conversation's case cannot reach this conversation's files.
	other, err := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573007654321")
	if err != nil {
		t.Fatal(err)
	}
	oc, err := r.db.OpenCase(ctx, acuerdo.Case{ConversationID: other.ID, Reason: acuerdo.ReasonOther})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := op.get(fmt.Sprintf("/console/cases/%d/media/%d", oc.ID, media[0].ID)); code != http.StatusNotFound {
		t.Errorf("receipt reachable through another case: %d", code)
	}
}
