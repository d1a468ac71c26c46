package agent

import (
	"context"
	"net/url"
	"slices"
	"time"

	"acuerdo"
	"acuerdo/prompts"
	"acuerdo/tools"
	"acuerdo/understand"
)

// The call-back dialogue: "llámame mañana a las 10" books a call at once; a
// time outside contact hours is answered with the nearest allowed slot, booked
// only on yes; "call me" without a time asks for one. What is pending rides
// on the conversation state's extras (cb=ask, cb=ask:DAY, or cb=the offered
// slot in RFC 3339), so the menu step underneath is kept.
const callbackKey = "cb"

// callback runs the call-back dialogue; handled is false when the message has
// nothing to do with a call back (a pending question is then dropped).
func (a *Agent) callback(ctx context.Context, t *turn) (bool, error) {
	main, x := splitState(t.conv.State)
	pending := x.Get(callbackKey)
	r := t.read
	asked := slices.Contains(r.Also, understand.Callback) || r.Intent == understand.Callback && r.Sure
	if !asked && pending == "" {
		return false, nil
	}
	x.Del(callbackKey)
	t.conv.State = joinState(main, x)
	loc := a.cfg.Policy.Location(t.debtor.Country, t.debtor.TimeZone)
	now := a.cfg.Clock().In(loc)
	ask := func(v string) error {
		x.Set(callbackKey, v)
		t.conv.State = joinState(main, x)
		t.reply(prompts.T(t.locale, "callback_ask_time"))
		return a.finish(ctx, t)
	}
	day, dayKnown := pendingDay(pending)
	switch {
	case r.Time != nil:
		at := r.Time.At
		// The reader anchors to the debtor's zone when it is on file; else
		// the hour named is read in the zone contact hours use for them.
		at = time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), 0, 0, loc)
		if len(r.Dates) == 0 && dayKnown {
			at = time.Date(day.Year, day.Month, day.Day, at.Hour(), at.Minute(), 0, 0, loc)
		} else if len(r.Dates) == 0 && !at.After(now) {
			at = at.AddDate(0, 0, 1)
		}
		t.res.Handler = HandledGuard
		return true, a.bookCallback(ctx, t, at, main, x)
	case pending != "" && !isAsk(pending) && r.YesNo > 0:
		at, err := time.Parse(time.RFC3339, pending)
		if err != nil {
			return false, nil
		}
		t.res.Handler = HandledGuard
		return true, a.bookCallback(ctx, t, at, main, x)
	case len(r.Dates) > 0 && (asked || isAsk(pending)):
		// A day without an hour ("podem me ligar amanhã?"): ask the hour.
		t.res.Handler = HandledGuard
		return true, ask("ask:" + r.Dates[0].Date.String())
	case asked, pending != "" && !isAsk(pending) && r.YesNo < 0:
		t.res.Handler = HandledGuard
		return true, ask("ask")
	}
	return false, nil // the debtor moved on
}

func isAsk(pending string) bool { return len(pending) >= 3 && pending[:3] == "ask" }

// pendingDay is the day of a pending "ask:DAY".
func pendingDay(pending string) (acuerdo.Date, bool) {
	if len(pending) <= len("ask:") || pending[:4] != "ask:" {
		return acuerdo.Date{}, false
	}
	d, err := acuerdo.ParseDate(pending[4:])
	return d, err == nil
}

// bookCallback asks request_callback for a call at at and answers with the
// slot booked, the nearest one offered, or a question for another time.
func (a *Agent) bookCallback(ctx context.Context, t *turn, at time.Time, main string, x url.Values) error {
	res := a.callTool(ctx, t, "", tools.RequestCallback, jsonArgs("preferred_time", at.Format(time.RFC3339)))
	when := func(key, rfc string) {
		s, err := time.Parse(time.RFC3339, rfc)
		if err != nil {
			s = at
		}
		t.reply(prompts.T(t.locale, key, "{date}", prompts.Date(t.locale, acuerdo.DateOf(s)), "{time}", prompts.Time(t.locale, s)))
	}
	switch {
	case res.OK:
		when("callback_booked", asString(res.Data["callback_at"]))
	case res.Rule == "contact_hours" && res.Data["nearest_slot"] != nil:
		slot := asString(res.Data["nearest_slot"])
		x.Set(callbackKey, slot)
		t.conv.State = joinState(main, x)
		when("callback_offer", slot)
	case res.Rule == "callback_pending":
		t.reply(prompts.T(t.locale, "callback_pending"))
	case res.Rule == "callback_in_past" || res.Rule == "callback_too_far" || res.Rule == "invalid_time":
		x.Set(callbackKey, "ask")
		t.conv.State = joinState(main, x)
		t.reply(prompts.T(t.locale, "callback_ask_time"))
	default:
		if err := a.refusal(t, res); err != nil {
			return err
		}
	}
	return a.finish(ctx, t)
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}
