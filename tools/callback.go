package tools

import (
	"context"
	"fmt"
	"time"

	"acuerdo"
	"acuerdo/phone"
)

// RequestCallback is the call-back tool (DESIGN §3 of the project's contract:
// request_callback with preferred_time and phone?).
const RequestCallback = "request_callback"

// Call-back limits: a person needs some notice, and a slot weeks away is a
// promise nobody remembers.
const (
	callbackLead    = 15 * time.Minute
	callbackHorizon = 30 * 24 * time.Hour
)

// rfc3339Pattern is an RFC 3339 instant with an explicit offset or Z.
const rfc3339Pattern = `^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)$`

func callbackTool() tool {
	return tool{RequestCallback, "A person calls the debtor at preferred_time; outside contact hours, refused with a nearest_slot to offer.",
		object([]string{"preferred_time"}, map[string]*schema{
			"preferred_time": pattern("RFC 3339", rfc3339Pattern),
			"phone":          str("if not this one")}), requestCallback}
}

func requestCallback(ctx context.Context, s *Set, c *call) (Result, error) {
	if ThirdPartyLocked(c.Conv, s.Clock()) {
		return refused(RuleThirdParty, "someone who said they are not the debtor writes here; a person is not scheduled to call this number")
	}
	raw := argString(c.args, "preferred_time")
	if len(raw) == len("2006-01-02T15:04Z") || len(raw) == len("2006-01-02T15:04-05:00") {
		raw = raw[:16] + ":00" + raw[16:] // seconds are optional in the schema
	}
	want, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return refused("invalid_time", "preferred_time must be RFC 3339 with the debtor's offset, e.g. 2026-03-11T10:00:00-05:00")
	}
	country, tz := "", ""
	if c.Debtor != nil {
		country, tz = c.Debtor.Country, c.Debtor.TimeZone
	}
	loc := s.Policy.Location(country, tz)
	now := s.Clock()
	local := func(t time.Time) string { return t.In(loc).Format(time.RFC3339) }
	if want.Before(now) {
		return refused("callback_in_past", "%s has passed (now %s); ask for another time", local(want), local(now))
	}
	if want.Sub(now) > callbackHorizon {
		return refused("callback_too_far", "a call can be scheduled at most 30 days ahead (until %s); ask for a nearer time", local(now.Add(callbackHorizon)))
	}
	number := c.Conv.Phone
	if p := argString(c.args, "phone"); p != "" {
		n, err := phone.Normalize(p, country)
		if err != nil {
			return refused("invalid_phone", "%s is not a phone number; ask for it again with the area code", p)
		}
		number = n.E164
	}
	cases, err := s.Store.OpenCases(ctx, c.Conv.ID)
	if err != nil {
		return Result{}, err
	}
	for _, k := range cases {
		if k.Reason == acuerdo.ReasonCallback {
			return refused("callback_pending", "a call is already scheduled (case %d); a person will call and can change the time", k.ID)
		}
	}
	slot, ok := s.Policy.CallbackSlot(country, tz, want, now.Add(callbackLead))
	if !ok {
		return refused("contact_hours", "no hour within a year is inside the debtor's contact hours; offer a person by message instead")
	}
	slot = slot.Truncate(time.Minute)
	if !slot.Equal(want.Truncate(time.Minute)) {
		// The debtor chooses: the nearest allowed slot is offered, never booked
		// unasked.
		d := acuerdo.DateOf(slot.In(loc))
		return Result{Rule: "contact_hours", Message: fmt.Sprintf("%s is outside the contact hours or too soon; offer nearest_slot and call again with it if the debtor accepts", local(want)),
			Data: map[string]any{"nearest_slot": local(slot)}, Facts: Facts{Dates: []acuerdo.Date{d}}}, nil
	}
	at := slot.In(loc)
	cs := acuerdo.Case{ConversationID: c.Conv.ID, Reason: acuerdo.ReasonCallback, State: acuerdo.CaseComplete, Priority: 2,
		CallbackAt: &at, CallbackPhone: number,
		Summary: fmt.Sprintf("Call back at %s (%s) on %s", at.Format("Mon 2006-01-02 15:04"), loc, phone.Mask(number))}
	if c.Debtor != nil {
		cs.DebtorID = c.Debtor.ID
	}
	cs, err = s.Store.OpenCase(ctx, cs, s.allowed(c, "callback", ""))
	if err != nil {
		return Result{}, err
	}
	return Result{OK: true, committed: true, Data: map[string]any{"case_id": cs.ID, "callback_at": local(at),
		"next_step": "confirm the day and hour to the debtor; a person will call then"},
		Facts: Facts{Dates: []acuerdo.Date{acuerdo.DateOf(at)}}}, nil
}
