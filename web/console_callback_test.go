package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/web/internal/webtest"
)

// TestConsoleCallbackSlot: a call-back case shows its slot, in the debtor's
// local time, in the inbox and on the case page; the reason filter lists
// call backs; the inbox orders them by slot.
func TestConsoleCallbackSlot(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op := r.agent(t)
	op.login(operatorEmail)
	ctx := t.Context()
	debtor, err := r.db.DebtorByPhone(ctx, webtest.AnaPhone)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation(debtor.TimeZone)
	if debtor.TimeZone == "" {
		loc = time.UTC
	}
	late := r.clk.Now().Add(72 * time.Hour).In(loc).Truncate(time.Hour)
	early := r.clk.Now().Add(26 * time.Hour).In(loc).Truncate(time.Hour)
	var ids []int64
	for _, at := range []time.Time{late, early} {
		c, err := r.db.OpenCase(ctx, acuerdo.Case{ConversationID: r.convID, DebtorID: debtor.ID, Reason: acuerdo.ReasonCallback, Priority: 2,
			Summary: "Call back", CallbackAt: &at, CallbackPhone: debtor.Phone})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	_, body, _ := op.get("/console/inbox?reason=callback")
	for _, at := range []time.Time{late, early} {
		if want := at.Format("2006-01-02 15:04"); !strings.Contains(body, want) {
			t.Errorf("inbox does not show the slot %s", want)
		}
	}
	if i, j := strings.Index(body, fmt.Sprintf(`data-case="%d"`, ids[1])), strings.Index(body, fmt.Sprintf(`data-case="%d"`, ids[0])); i < 0 || j < 0 || i > j {
		t.Errorf("the earlier slot (case %d) must come first: at %d and %d", ids[1], i, j)
	}
	if !strings.Contains(body, `<option value="callback" selected>`) {
		t.Error("the reason filter does not offer call backs")
	}
	_, page, _ := op.get(fmt.Sprintf("/console/cases/%d", ids[1]))
	if !strings.Contains(page, `id="callback-at"`) || !strings.Contains(page, early.Format("2006-01-02 15:04")) {
		t.Error("the case page does not show the slot")
	}
}

// TestConsoleUnreachableContact: a number the provider cannot reach shows as
// unreachable, with why, on the contact's page, in the operator's language.
func TestConsoleUnreachableContact(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	op := r.agent(t)
	op.login(operatorEmail)
	path := fmt.Sprintf("/console/contacts/%d", r.convID)
	if _, body, _ := op.get(path); strings.Contains(body, `id="unreachable"`) {
		t.Fatal("a reachable contact shown unreachable")
	}
	if err := r.db.MarkUnreachable(t.Context(), r.convID, acuerdo.UnreachableNotOnWhatsApp, "63003"); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := op.get(path); !strings.Contains(body, `id="unreachable"`) || !strings.Contains(body, "no tiene WhatsApp (63003)") {
		t.Errorf("contact page does not say the number is not on WhatsApp")
	}
}
