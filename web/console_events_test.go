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
)

const (
	hookFailing = "https://core.example.test/acuerdo/events"
	hookOK      = "https://backup.example.test/hooks"
)

// failEvents makes the rig's webhook outbox hold what the console must show,
// with the store calls the hooks sender makes: Ana's case.opened event given
// up on (one receiver acknowledged it, the other kept answering 500) and a
// payment link event for Luis delivered. It returns the two event ids.
func failEvents(t *testing.T, r *consoleRig) (failed, delivered string) {
	t.Helper()
	ctx := context.Background()
	luisAccount := r.count(t, `SELECT id FROM accounts WHERE ref = 'CR-2'`)
	amount, err := acuerdo.ParseMoney("800000", "COP")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.db.RecordPaymentLink(ctx, int64(luisAccount), 0, amount, "total", "https://pay.example.test/l/1"); err != nil {
		t.Fatal(err)
	}
	evs, err := r.db.ClaimEvents(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("claimed %d events, want Ana's case.opened and Luis's payment link: %+v", len(evs), evs)
	}
	for _, ev := range evs {
		var a store.EventAttempt
		switch ev.Type {
		case store.EventCaseOpened:
			failed = ev.EventID
			a = store.EventAttempt{DeliveredTo: []string{hookOK + "?token=s3cret"}, Status: 500, Done: true,
				Error: "gave up after 15 attempts: " + hookFailing + ": HTTP 500 receiver exploded"}
		case store.EventPaymentLinkSent:
			delivered = ev.EventID
			a = store.EventAttempt{DeliveredTo: []string{hookOK + "?token=s3cret", hookFailing}, Done: true}
		default:
			t.Fatalf("unexpected event %s", ev.Type)
		}
		if err := r.db.RecordEventAttempt(ctx, ev.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	return failed, delivered
}

func TestConsoleEventsPage(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	failed, delivered := failEvents(t, r)
	admin := r.agent(t)
	admin.login(adminEmail)

	code, body, _ := admin.get("/console/events?lang=en")
	if code != http.StatusOK {
		t.Fatalf("events page: %d", code)
	}
	for _, want := range []string{
		`href="/console/events" aria-current="page"`, // the admin's menu links it
		`id="backlog-failed"><b>1</b>`, `id="backlog-pending"><b>0</b>`,
		`<tr id="` + failed + `">`, "case.opened", "Failed", "HTTP 500 receiver exploded", "HTTP 500", "Ana Pérez",
		"✗ " + hookFailing, "✓ " + hookOK,
		`action="/console/events/` + failed + `/redeliver"`,
		`<tr id="` + delivered + `">`, "payment_link.sent", "Delivered", "Luis Gómez",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("events page lacks %q", want)
		}
	}
	if strings.Contains(body, "s3cret") {
		t.Error("a receiver's query string (it may hold a token) is shown")
	}
	if strings.Contains(body, `action="/console/events/`+delivered+`/redeliver"`) {
		t.Error("a delivered event offers to be sent again")
	}

	// The failing filter keeps only events whose last attempt failed.
	_, body, _ = admin.get("/console/events?failing=1&lang=es")
	if !strings.Contains(body, failed) || strings.Contains(body, delivered) {
		t.Errorf("failing filter: failed shown %v, delivered shown %v", strings.Contains(body, failed), strings.Contains(body, delivered))
	}
	if !strings.Contains(body, "Fallido") || !strings.Contains(body, `name="failing" value="1" checked`) {
		t.Error("failing filter page: Spanish state label or checked filter missing")
	}
	_, body, _ = admin.get("/console/events?state=delivered&lang=pt-BR")
	if strings.Contains(body, failed) || !strings.Contains(body, delivered) || !strings.Contains(body, "Entregue") {
		t.Error("state filter: wrong rows or missing Portuguese label")
	}
}

func TestConsoleEventsAdminOnly(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	failed, _ := failEvents(t, r)
	op := r.agent(t)
	op.login(operatorEmail) // leaves the inbox's CSRF token in op.csrf
	_, inbox, _ := op.get("/console/inbox")
	if strings.Contains(inbox, `href="/console/events"`) {
		t.Error("the operator's menu links the events page")
	}
	if code, _, _ := op.get("/console/events"); code != http.StatusForbidden {
		t.Errorf("operator GET /console/events: %d, want 403", code)
	}
	if code, _, _ := op.post("/console/events/"+failed+"/redeliver", nil); code != http.StatusForbidden {
		t.Errorf("operator redeliver with a valid token: %d, want 403", code)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM events WHERE event_id = ? AND state = 'failed'`, failed); n != 1 {
		t.Error("an operator's post redelivered the event")
	}
	if code, _, h := r.agent(t).get("/console/events"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/console/login") {
		t.Errorf("anonymous GET: %d %q, want the sign-in page", code, h.Get("Location"))
	}
}

func TestConsoleEventsRedeliver(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	failed, delivered := failEvents(t, r)
	admin := r.agent(t)
	admin.login(adminEmail)
	path := "/console/events/" + failed + "/redeliver"
	audit := `SELECT COUNT(*) FROM audit WHERE kind = 'admin' AND name = 'event_redeliver' AND outcome = 'allowed' AND rule = 'console_admin' AND detail LIKE ?`

	for _, tok := range []string{"", "forged-token"} {
		if code, _, _ := admin.post(path, url.Values{"csrf": {tok}}); code != http.StatusForbidden {
			t.Errorf("redeliver with token %q: %d, want 403", tok, code)
		}
	}
	if n := r.count(t, `SELECT COUNT(*) FROM events WHERE event_id = ? AND state = 'failed'`, failed); n != 1 {
		t.Fatal("a post without the CSRF token redelivered the event")
	}

	admin.get("/console/events?failing=1&lang=es")
	code, _, h := admin.post(path, url.Values{"query": {"failing=1"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/console/events?failing=1&ok=ok_event_redelivered" {
		t.Fatalf("redeliver: %d %q", code, h.Get("Location"))
	}
	if n := r.count(t, `SELECT COUNT(*) FROM events WHERE event_id = ? AND state = 'pending' AND attempts = 0 AND lease_until IS NULL`, failed); n != 1 {
		t.Error("the redelivered event is not back in the outbox from its first attempt")
	}
	if n := r.count(t, audit, fmt.Sprintf("%%user %d <%s>%%%s%%", r.users[adminEmail].ID, adminEmail, failed)); n != 1 {
		t.Errorf("%d admin audit lines naming the admin and the event, want 1", n)
	}
	_, body, _ := admin.get(h.Get("Location"))
	if !strings.Contains(body, "Evento en cola para reenviarse.") || !strings.Contains(body, `id="backlog-pending"><b>1</b>`) {
		t.Error("after the redelivery: no notice, or the backlog does not count it as pending")
	}
	if strings.Contains(body, `action="`+path+`"`) {
		t.Error("a pending event still offers to be sent again")
	}

	// Only failed events can be sent again; an unknown one does not exist.
	if _, _, h := admin.post(path, nil); !strings.Contains(h.Get("Location"), "err=err_not_failed") {
		t.Errorf("second redelivery: %q", h.Get("Location"))
	}
	if _, _, h := admin.post("/console/events/"+delivered+"/redeliver", nil); !strings.Contains(h.Get("Location"), "err=err_not_failed") {
		t.Errorf("delivered event: %q", h.Get("Location"))
	}
	if code, _, _ := admin.post("/console/events/evt_nothing/redeliver", nil); code != http.StatusNotFound {
		t.Errorf("unknown event: %d, want 404", code)
	}
	if n := r.count(t, audit, "%"); n != 1 {
		t.Errorf("%d redelivery audit lines, want 1 (refused ones write none)", n)
	}
}
