package tools_test

import (
	"encoding/json"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/tools"
)

// TestRequestCallback: a time inside Colombia's contact hours is booked as a
// callback case carrying the slot and the number, the bot keeps talking, and
// the creditor gets callback.requested; a time outside them is refused with
// the nearest allowed slot, which books when passed back. The tools run at
// 10:00 in Bogotá on Tuesday 2026-03-10.
func TestRequestCallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ana := f.env(t, anaPhone) // no verification needed: a call discloses nothing

	tests := []struct {
		name, args, rule string
		slot             string // nearest_slot offered
	}{
		{"malformed", `{"preferred_time":"mañana a las 10"}`, "invalid_arguments", ""},
		{"past", `{"preferred_time":"2026-03-10T09:00:00-05:00"}`, "callback_in_past", ""},
		{"too far", `{"preferred_time":"2026-05-10T10:00:00-05:00"}`, "callback_too_far", ""},
		{"too soon", `{"preferred_time":"2026-03-10T10:05:00-05:00"}`, "contact_hours", "2026-03-10T10:15:00-05:00"},
		{"night, nearer the evening", `{"preferred_time":"2026-03-10T21:00:00-05:00"}`, "contact_hours", "2026-03-10T18:30:00-05:00"},
		{"early, nearer the opening", `{"preferred_time":"2026-03-11T05:00:00-05:00"}`, "contact_hours", "2026-03-11T07:00:00-05:00"},
		{"sunday", `{"preferred_time":"2026-03-15T10:00:00-05:00"}`, "contact_hours", "2026-03-14T14:30:00-05:00"},
		{"bad phone", `{"preferred_time":"2026-03-11T10:00:00-05:00","phone":"000 0000"}`, "invalid_phone", ""},
	}
	for _, tt := range tests {
		r := f.refuse(t, ana, tools.RequestCallback, tt.args, tt.rule)
		if got, _ := data(t, r)["nearest_slot"].(string); got != tt.slot {
			t.Errorf("%s: nearest_slot %q, want %q", tt.name, got, tt.slot)
		}
	}

	// The offered slot, passed back, books; another number given in the
	// national form is normalised.
	r := f.allow(t, ana, tools.RequestCallback, `{"preferred_time":"2026-03-10T18:30:00-05:00","phone":"310 555 1234"}`, "callback")
	if got := data(t, r)["callback_at"]; got != "2026-03-10T18:30:00-05:00" {
		t.Fatalf("callback_at %v", got)
	}
	cs, err := f.db.Cases(f.ctx, store.CaseFilter{Reason: acuerdo.ReasonCallback})
	if err != nil || len(cs) != 1 {
		t.Fatalf("cases %v %v", cs, err)
	}
	c := cs[0]
	if c.CallbackAt == nil || !c.CallbackAt.Equal(time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)) || c.CallbackPhone != "+573105551234" || c.State != acuerdo.CaseComplete {
		t.Fatalf("case %+v at %v", c.Case, c.CallbackAt)
	}
	if conv, err := f.db.ConversationByID(f.ctx, ana.Conv.ID); err != nil || conv.Paused {
		t.Fatalf("a call back must leave the bot talking: paused=%v %v", conv.Paused, err)
	}
	var payload string
	if err := f.raw.QueryRowContext(f.ctx, `SELECT payload FROM events WHERE type = 'callback.requested'`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var ev struct{ Data map[string]any }
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Data["callback_at"] != "2026-03-10T23:30:00Z" || ev.Data["local_time"] != "2026-03-10T18:30:00-05:00" || ev.Data["phone"] != "+573105551234" || ev.Data["case_id"] != float64(c.ID) {
		t.Fatalf("event data %v", ev.Data)
	}

	// One pending call per conversation.
	f.refuse(t, ana, tools.RequestCallback, `{"preferred_time":"2026-03-11T10:00:00-05:00"}`, "callback_pending")

	// The inbox orders call backs by their slot, not by when they were asked.
	luz := f.env(t, luzPhone)
	f.allow(t, luz, tools.RequestCallback, `{"preferred_time":"2026-03-10T11:00:00-05:00"}`, "callback")
	cs, err = f.db.Cases(f.ctx, store.CaseFilter{})
	if err != nil || len(cs) != 2 || cs[0].DebtorID != *debtorID(luz) || cs[1].ID != c.ID {
		t.Fatalf("inbox order %v %v", cs, err)
	}
}

func debtorID(e *tools.Env) *int64 { return &e.Debtor.ID }
