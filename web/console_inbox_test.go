package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"acuerdo/web/internal/webtest"
)

// TestConsoleInboxRolesAndCSRF: the inbox actions refuse requests without a
// session or the form's token, and the admin pages refuse operators.
func TestConsoleInboxRolesAndCSRF(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op, admin, anon := r.agent(t), r.agent(t), r.agent(t)
	op.login(operatorEmail)
	admin.login(adminEmail)
	anon.get("/console/login")
	c := fmt.Sprintf("/console/cases/%d", r.caseID)
	posts := []struct {
		path string
		form url.Values
	}{
		{c + "/transfer", url.Values{"user_id": {fmt.Sprint(r.users[otherOpEmail].ID)}}},
		{c + "/labels", url.Values{"label": {"vip"}}},
		{"/console/canned", url.Values{"locale": {"es"}, "shortcut": {"hola"}, "body": {"Hola"}}},
		{"/console/canned/1/delete", nil},
	}
	for _, p := range posts {
		if code, _, _ := anon.post(p.path, p.form); code != http.StatusUnauthorized {
			t.Errorf("anonymous %s: %d", p.path, code)
		}
		f := url.Values{"csrf": {"forged"}}
		for k, v := range p.form {
			f[k] = v
		}
		if code, _, _ := admin.post(p.path, f); code != http.StatusForbidden {
			t.Errorf("forged token %s: %d", p.path, code)
		}
	}
	for _, p := range posts[2:] {
		if code, _, _ := op.post(p.path, p.form); code != http.StatusForbidden {
			t.Errorf("operator %s: %d, want 403", p.path, code)
		}
	}
	for _, path := range []string{"/console/canned", "/console/reports", "/console/reports.csv"} {
		if code, _, _ := op.get(path); code != http.StatusForbidden {
			t.Errorf("operator GET %s: %d, want 403", path, code)
		}
		if code, _, _ := admin.get(path); code != http.StatusOK {
			t.Errorf("admin GET %s: %d", path, code)
		}
	}
	if n := r.count(t, `SELECT COUNT(*) FROM case_labels`) + r.count(t, `SELECT COUNT(*) FROM canned_responses`) + r.count(t, `SELECT COUNT(*) FROM cases WHERE assignee_id IS NOT NULL`); n != 0 {
		t.Errorf("refused posts changed %d rows", n)
	}
}

// TestConsoleInbox: unread markers, mine and all, transfer, labels, canned
// responses in the debtor's language, the structured summary, and reports.
func TestConsoleInbox(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op, other, admin := r.agent(t), r.agent(t), r.agent(t)
	op.login(operatorEmail)
	other.login(otherOpEmail)
	admin.login(adminEmail)
	path := fmt.Sprintf("/console/cases/%d", r.caseID)

	// Ana's escalation is unread until opened; a new message makes it unread again.
	if _, body, _ := op.get("/console/inbox"); !strings.Contains(body, "case-row unread") || !strings.Contains(body, "1 sin leer") {
		t.Fatal("a new escalation is not marked unread")
	}
	if _, body, _ := op.get(path); !strings.Contains(body, `id="case-summary"`) || !strings.Contains(body, "quiero hablar con una persona") || !strings.Contains(body, "no verificada") {
		t.Error("the case opens without its structured summary in Spanish")
	}
	if _, body, _ := op.get("/console/inbox"); strings.Contains(body, "case-row unread") {
		t.Error("still unread after opening")
	}
	r.clk.Add(time.Minute)
	r.inbound(t, webtest.AnaPhone, "SMana0100", "¿hay alguien?")
	webtest.Eventually(t, "unread again", func() bool {
		_, body, _ := op.get("/console/inbox")
		return strings.Contains(body, "case-row unread")
	})

	// Mine and all.
	op.post(path+"/claim", nil)
	if _, body, _ := op.get("/console/inbox?mine=1"); !strings.Contains(body, "Ana Pérez") || !strings.Contains(body, `id="tab-mine" aria-current="page"`) {
		t.Error("mine does not list the operator's case")
	}
	if _, body, _ := other.get("/console/inbox?mine=1"); strings.Contains(body, "Ana Pérez") {
		t.Error("another operator's mine lists Ana's case")
	}

	// Labels.
	if _, _, h := op.post(path+"/labels", url.Values{"label": {"Promesa Viernes"}}); !strings.Contains(h.Get("Location"), "ok_saved") {
		t.Fatalf("label: %q", h.Get("Location"))
	}
	if _, _, h := op.post(path+"/labels", url.Values{"label": {"<script>"}}); !strings.Contains(h.Get("Location"), "err_label") {
		t.Errorf("a bad label: %q", h.Get("Location"))
	}
	if _, body, _ := op.get("/console/inbox?label=promesa-viernes&state=all"); !strings.Contains(body, "Ana Pérez") || !strings.Contains(body, `class="label small">promesa-viernes<`) {
		t.Error("the label filter does not find the case")
	}

	// Canned responses: admins write them per language; the case offers the debtor's.
	for _, c := range []url.Values{
		{"locale": {"es"}, "shortcut": {"/saludo"}, "body": {"Hola, soy del equipo de cobranza. ¿En qué te ayudo?"}},
		{"locale": {"pt-BR"}, "shortcut": {"saludo"}, "body": {"Olá, sou da equipe de cobrança."}},
	} {
		if _, _, h := admin.post("/console/canned", c); !strings.Contains(h.Get("Location"), "ok_saved") {
			t.Fatalf("canned: %q", h.Get("Location"))
		}
	}
	if _, _, h := admin.post("/console/canned", url.Values{"locale": {"fr"}, "shortcut": {"x"}, "body": {"y"}}); !strings.Contains(h.Get("Location"), "err_canned") {
		t.Errorf("a canned response in French: %q", h.Get("Location"))
	}
	if _, body, _ := op.get(path); !strings.Contains(body, `data-shortcut="saludo">/saludo<`) || !strings.Contains(body, "Hola, soy del equipo") || strings.Contains(body, "Olá, sou da equipe") {
		t.Error("the case does not offer the Spanish canned response (only)")
	}

	// Transfer to a colleague: the case is theirs, unread for them.
	if code, _, _ := other.post(path+"/transfer", url.Values{"user_id": {fmt.Sprint(r.users[otherOpEmail].ID)}}); code != http.StatusForbidden {
		t.Errorf("a colleague took the case by transfer: %d", code)
	}
	if _, _, h := op.post(path+"/transfer", url.Values{"user_id": {"99999"}}); !strings.Contains(h.Get("Location"), "err_colleague") {
		t.Errorf("transfer to nobody: %q", h.Get("Location"))
	}
	if _, _, h := op.post(path+"/transfer", url.Values{"user_id": {fmt.Sprint(r.users[otherOpEmail].ID)}}); !strings.Contains(h.Get("Location"), "ok_transferred") {
		t.Fatalf("transfer: %q", h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM cases WHERE id = ? AND assignee_id = ? AND state = 'EN_PROCESO'`, r.caseID, r.users[otherOpEmail].ID); n != 1 {
		t.Error("the case is not the colleague's")
	}
	if _, body, _ := other.get("/console/inbox?mine=1"); !strings.Contains(body, "Ana Pérez") || !strings.Contains(body, "case-row mine unread") {
		t.Error("the transferred case is not in the colleague's mine, unread")
	}

	// The colleague answers and closes; the report counts it.
	if _, _, h := other.post(path+"/reply", url.Values{"body": {"Hola Ana, te ayudo yo"}}); !strings.Contains(h.Get("Location"), "ok_sent") {
		t.Fatalf("reply: %q", h.Get("Location"))
	}
	other.post(path+"/close", url.Values{"state": {"RESUELTO"}, "useful": {"yes"}})
	_, body, _ := admin.get("/console/reports")
	if !strings.Contains(body, "op2") || !strings.Contains(body, "1 (100%)") || !strings.Contains(body, "1 / 1") {
		t.Errorf("report:\n%s", body[strings.Index(body, `id="report"`):])
	}
	code, csvBody, h := admin.get("/console/reports.csv")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(csvBody, "Día,Asesor,Casos tomados") || !strings.Contains(csvBody, ",op2,1,1,") {
		t.Errorf("CSV %d %s:\n%s", code, h.Get("Content-Type"), csvBody)
	}
}
