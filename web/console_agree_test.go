package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/web/internal/webtest"
)

// agreementRoutes are the console's agreement and note actions with a form
// policy allows (Ana owes 1.250.000 COP on CR-1; the rig's day is 2026-03-03).
func agreementRoutes(caseID, convID int64) []struct {
	path string
	form url.Values
} {
	c := fmt.Sprintf("/console/cases/%d", caseID)
	return []struct {
		path string
		form url.Values
	}{
		{c + "/plan", url.Values{"installments": {"3"}}},
		{c + "/promise", url.Values{"amount": {"100.000"}, "date": {"2026-03-10"}}},
		{c + "/due-date", url.Values{"new_date": {"2026-03-25"}}},
		{c + "/pause", url.Values{"days": {"10"}}},
		{c + "/notes", url.Values{"text": {"llamó por teléfono"}}},
		{fmt.Sprintf("/console/contacts/%d/message", convID), url.Values{"body": {"hola"}}},
	}
}

// TestConsoleAgreementsRolesAndCSRF: every agreement action refuses a
// request without a session (401) or without the form's token (403, nothing
// changed), an operator who does not hold the case, and an operator's
// attempt at an exception; an admin may act on any open case.
func TestConsoleAgreementsRolesAndCSRF(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op, other, admin, anon := r.agent(t), r.agent(t), r.agent(t), r.agent(t)
	op.login(operatorEmail)
	other.login(otherOpEmail)
	admin.login(adminEmail)
	anon.get("/console/login")
	counts := func() string {
		return fmt.Sprint(r.count(t, `SELECT COUNT(*) FROM plans`), r.count(t, `SELECT COUNT(*) FROM promises`), r.count(t, `SELECT COUNT(*) FROM negotiations`),
			r.count(t, `SELECT COUNT(*) FROM messages WHERE direction = 'internal'`), r.count(t, `SELECT COUNT(*) FROM outbox`))
	}
	before := counts()
	for _, rt := range agreementRoutes(r.caseID, r.convID) {
		t.Run("anonymous "+rt.path, func(t *testing.T) {
			if code, _, _ := anon.post(rt.path, rt.form); code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", code)
			}
		})
		t.Run("no csrf "+rt.path, func(t *testing.T) {
			for _, tok := range []string{"", "forged"} {
				f := url.Values{"csrf": {tok}}
				for k, v := range rt.form {
					f[k] = v
				}
				if code, _, _ := admin.post(rt.path, f); code != http.StatusForbidden {
					t.Errorf("token %q: status %d, want 403", tok, code)
				}
			}
		})
	}
	if got := counts(); got != before {
		t.Fatalf("refused posts changed something: %s → %s", before, got)
	}
	path := fmt.Sprintf("/console/cases/%d", r.caseID)
	// An operator must hold the case to agree anything.
	if _, _, h := op.post(path+"/plan", url.Values{"installments": {"3"}}); !strings.Contains(h.Get("Location"), "err_claim_first") {
		t.Errorf("plan before claiming: %q", h.Get("Location"))
	}
	op.post(path+"/claim", nil)
	for _, rt := range agreementRoutes(r.caseID, r.convID)[:5] {
		if code, _, h := other.post(rt.path, rt.form); code != http.StatusForbidden {
			t.Errorf("another operator %s: %d %q, want 403", rt.path, code, h.Get("Location"))
		}
	}
	// Only an admin grants exceptions.
	if code, _, _ := op.post(path+"/plan", url.Values{"installments": {"24"}, "exception": {"me parece bien"}}); code != http.StatusForbidden {
		t.Errorf("an operator's exception: %d, want 403", code)
	}
	if got := counts(); got != before {
		t.Fatalf("refused posts changed something: %s → %s", before, got)
	}
	// The admin may act on a case someone else holds.
	if _, _, h := admin.post(path+"/notes", url.Values{"text": {"revisado por supervisión"}}); !strings.Contains(h.Get("Location"), "ok_note") {
		t.Errorf("admin note: %q", h.Get("Location"))
	}
}

// TestConsoleAgreements walks the agreements through the agent's tools: a
// plan accepted and confirmed to the debtor at Twilio, the creditor's event
// and API; an out-of-policy plan refused with the reason in the operator's
// language; an admin's exception; a promise, a new due date and a pause; a
// note that is never sent; a message to a contact without an open case.
func TestConsoleAgreements(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	ctx := context.Background()
	op, admin := r.agent(t), r.agent(t)
	op.login(operatorEmail)
	admin.login(adminEmail)
	path := fmt.Sprintf("/console/cases/%d", r.caseID)
	op.post(path+"/claim", nil)
	sent := len(r.tw.sent())

	if _, _, h := op.post(path+"/plan", url.Values{"installments": {"3"}}); !strings.Contains(h.Get("Location"), "ok_agreed") {
		t.Fatalf("plan: %q", h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM plans WHERE status = 'accepted'`); n != 1 {
		t.Fatalf("%d accepted plans, want 1", n)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM events WHERE type = 'plan.accepted'`); n != 1 {
		t.Errorf("%d plan.accepted events", n)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE kind = 'tool' AND name = 'accept_payment_plan' AND outcome = 'allowed' AND detail LIKE ?`, "by user "+fmt.Sprint(r.users[operatorEmail].ID)+" %"); n != 1 {
		t.Errorf("the audit does not name the operator as the actor of the acceptance")
	}
	// Ana wrote minutes ago: the confirmation goes as text, in Spanish, with
	// the facts rendered by code.
	webtest.Eventually(t, "the confirmation at Twilio", func() bool { return len(r.tw.sent()) > sent })
	got := r.tw.sent()[sent]
	for _, want := range []string{"whatsapp:" + webtest.AnaPhone, "un plan de 3 cuotas por $1.250.000", "$416.666,68 el 10 de marzo de 2026", "$416.666,66 el 10 de mayo de 2026"} {
		if !strings.Contains(got, want) {
			t.Errorf("Twilio got %q, want %q in it", got, want)
		}
	}
	// The creditor's API shows the plan.
	key, _, err := r.db.CreateAPIKey(ctx, "test-read", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/api/v1/debtors/"+url.PathEscape(webtest.AnaPhone)+"/plans", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := webtest.ReadAll(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `"accepted"`) || !strings.Contains(body, "416666.68") {
		t.Errorf("API plans: %d %s", resp.StatusCode, body)
	}

	// 24 installments: refused, with the reason in the operator's language.
	_, _, h := op.post(path+"/plan", url.Values{"installments": {"24"}})
	if loc := h.Get("Location"); !strings.Contains(loc, "err_policy_plan_installments") {
		t.Fatalf("24 installments: %q", loc)
	}
	if _, body, _ := op.get(path + "?err=err_policy_plan_installments"); !strings.Contains(body, "un plan tiene de 2 a 12 cuotas") {
		t.Error("the case page does not say why in Spanish")
	}
	if _, body, _ := op.get(path + "?err=err_policy_plan_installments&lang=pt-BR"); !strings.Contains(body, "um plano tem de 2 a 12 parcelas") {
		t.Error("the case page does not say why in Portuguese")
	}
	op.get(path + "?lang=es")
	// An admin's documented exception goes through, audited with its reason.
	if _, _, h := admin.post(path+"/plan", url.Values{"installments": {"24"}, "exception": {"comité de crédito 2026-14"}}); !strings.Contains(h.Get("Location"), "ok_agreed") {
		t.Fatalf("admin exception: %q", h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE name = 'offer_payment_plan' AND rule = 'exception:plan_installments' AND detail LIKE '%comité de crédito 2026-14%'`); n != 1 {
		t.Error("the exception is not audited with its reason")
	}

	// A promise, a due date and a pause, each with its event.
	for _, a := range []struct {
		path  string
		form  url.Values
		event string
	}{
		{"/promise", url.Values{"amount": {"100.000"}, "date": {"2026-03-10"}}, store.EventPromiseCreated},
		{"/due-date", url.Values{"new_date": {"2026-03-25"}}, store.EventDueDateChanged},
		{"/pause", url.Values{"days": {"10"}}, store.EventCollectionPaused},
	} {
		if _, _, h := op.post(path+a.path, a.form); !strings.Contains(h.Get("Location"), "ok_agreed") {
			t.Errorf("%s: %q", a.path, h.Get("Location"))
		}
		if n := r.count(t, `SELECT COUNT(*) FROM events WHERE type = ?`, a.event); n != 1 {
			t.Errorf("%s: %d %s events", a.path, n, a.event)
		}
	}
	if _, _, h := op.post(path+"/pause", url.Values{"days": {"200"}}); !strings.Contains(h.Get("Location"), "err_policy_pause") {
		t.Errorf("a 200-day pause: %q", h.Get("Location"))
	}

	// A note shows in the thread and is never sent.
	outbox := r.count(t, `SELECT COUNT(*) FROM outbox`)
	if _, _, h := op.post(path+"/notes", url.Values{"text": {"Prefiere que la llamen después de las 6"}}); !strings.Contains(h.Get("Location"), "ok_note") {
		t.Fatalf("note: %q", h.Get("Location"))
	}
	if _, body, _ := op.get(path); !strings.Contains(body, "Prefiere que la llamen después de las 6") || !strings.Contains(body, `class="msg note"`) {
		t.Error("the note is not in the thread")
	}
	if n := r.count(t, `SELECT COUNT(*) FROM outbox`); n != outbox {
		t.Error("the note was queued for sending")
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE name = 'case_note' AND detail LIKE '%Prefiere%'`); n != 0 {
		t.Error("the note's words are in the append-only audit")
	}
	for _, m := range r.tw.sent() {
		if strings.Contains(m, "Prefiere") {
			t.Error("the note reached Twilio")
		}
	}

	// Writing to a contact: refused while the case is open, sent once it is closed.
	contact := fmt.Sprintf("/console/contacts/%d", r.convID)
	if _, _, h := op.post(contact+"/message", url.Values{"body": {"hola de nuevo"}}); !strings.Contains(h.Get("Location"), "err_open_case") {
		t.Errorf("message with an open case: %q", h.Get("Location"))
	}
	op.post(path+"/close", url.Values{"state": {acuerdo.CaseResolved}, "useful": {"yes"}})
	sent = len(r.tw.sent())
	if _, _, h := op.post(contact+"/message", url.Values{"body": {"Hola Ana, te escribo por tu plan"}}); !strings.Contains(h.Get("Location"), "ok_sent") {
		t.Fatalf("message to the contact: %q", h.Get("Location"))
	}
	webtest.Eventually(t, "the contact message at Twilio", func() bool {
		for _, m := range r.tw.sent()[sent:] {
			if strings.Contains(m, "te escribo por tu plan") {
				return true
			}
		}
		return false
	})
}
