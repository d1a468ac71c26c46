package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // acuerdo ships as one static binary; contact hours must not depend on the host's zoneinfo

	"acuerdo"
)

// where is the resolved contact rules for one debtor: the country's rules (or
// the most restrictive of all, for an unknown country) and the zones in which
// an instant must be allowed: the debtor's own zone, or every zone of the
// country when the debtor's is unknown.
type where struct {
	label     string // "CO", or "unknown country"
	rules     CountryRules
	holidays  []string // countries whose national holidays forbid contact
	locs      []*time.Location
	zoneKnown bool
	cache     map[int]map[acuerdo.Date]string // year → holiday → name, for this evaluation only
}

func (c Config) where(country, tz string) *where {
	code := strings.ToUpper(strings.TrimSpace(country))
	w := &where{label: code, cache: map[int]map[acuerdo.Date]string{}}
	if r, ok := c.Countries[code]; ok {
		w.rules = r
		if r.SkipHolidays {
			w.holidays = []string{code}
		}
	} else {
		w.label = "unknown-country"
		w.rules, w.holidays = c.strictest()
	}
	if loc, err := time.LoadLocation(strings.TrimSpace(tz)); err == nil && strings.TrimSpace(tz) != "" {
		w.locs, w.zoneKnown = []*time.Location{loc}, true
		return w
	}
	for _, z := range w.rules.Zones {
		if loc, err := time.LoadLocation(z); err == nil {
			w.locs = append(w.locs, loc)
		}
	}
	if len(w.locs) == 0 {
		w.locs = []*time.Location{time.UTC}
	}
	return w
}

// strictest combines every configured country into the rules for a debtor
// whose country is unknown: each day's window is the overlap of all windows,
// every country's holidays and zones apply, and the smallest caps.
func (c Config) strictest() (CountryRules, []string) {
	var s CountryRules
	var holidays []string
	for i, code := range slices.Sorted(maps.Keys(c.Countries)) {
		r := c.Countries[code]
		for d := range s.Hours {
			if i == 0 {
				s.Hours[d] = r.Hours[d]
			} else {
				s.Hours[d] = Window{max(s.Hours[d].Start, r.Hours[d].Start), min(s.Hours[d].End, r.Hours[d].End)}
			}
		}
		s.PerDay = minCap(s.PerDay, r.PerDay)
		s.PerWeek = minCap(s.PerWeek, r.PerWeek)
		if r.SkipHolidays {
			holidays = append(holidays, code)
		}
		s.Holidays = append(s.Holidays, r.Holidays...)
		s.Zones = append(s.Zones, r.Zones...)
	}
	s.SkipHolidays = true
	return s, holidays
}

// minCap returns the stricter of two caps where 0 means no cap.
func minCap(a, b int) int {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

// holiday names the holiday d is, or "" on an ordinary day.
func (w *where) holiday(d acuerdo.Date) string {
	for _, h := range w.rules.Holidays {
		if h == d {
			return "a day without contact in the policy"
		}
	}
	if len(w.holidays) == 0 {
		return ""
	}
	days, ok := w.cache[d.Year]
	if !ok {
		days = map[acuerdo.Date]string{}
		for _, country := range w.holidays {
			for _, h := range Holidays(country, d.Year) {
				days[h.Date] = "a public holiday in " + country + " (" + h.Name + ")"
			}
		}
		w.cache[d.Year] = days
	}
	return days[d]
}

// check returns "" when at is inside the contact hours of every zone, or why not.
func (w *where) check(at time.Time) string {
	for _, loc := range w.locs {
		lt := at.In(loc)
		if h := w.holiday(acuerdo.DateOf(lt)); h != "" {
			return fmt.Sprintf("%s in %s is %s", lt.Format("2006-01-02"), loc, h)
		}
		win := w.rules.Hours[lt.Weekday()]
		if !win.Open() {
			return fmt.Sprintf("%s allows no contact on %ss (%s in %s)", w.label, lt.Weekday(), lt.Format("2006-01-02"), loc)
		}
		if m := lt.Hour()*60 + lt.Minute(); m < win.Start || m >= win.End {
			return fmt.Sprintf("%s in %s is outside %s contact hours %s on %ss", lt.Format("15:04"), loc, w.label, win, lt.Weekday())
		}
	}
	return ""
}

// next returns the earliest allowed instant ≥ from, or the zero time when none
// falls within a year. The allowed set is an intersection of windows that are
// closed on the left, so its earliest point after from is from itself or the
// opening of some zone's window; only those instants need checking.
func (w *where) next(from time.Time) time.Time {
	if w.check(from) == "" {
		return from
	}
	for _, days := range []int{8, 400} {
		var cands []time.Time
		for _, loc := range w.locs {
			start := acuerdo.DateOf(from.In(loc))
			for i := -1; i <= days; i++ {
				d := start.AddDays(i)
				win := w.rules.Hours[weekday(d)]
				if !win.Open() {
					continue
				}
				if t := time.Date(d.Year, d.Month, d.Day, win.Start/60, win.Start%60, 0, 0, loc); t.After(from) {
					cands = append(cands, t)
				}
			}
		}
		slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
		for _, t := range cands {
			if w.check(t) != "" {
				continue
			}
			// A later zone may not have contributed its openings beyond the
			// horizon yet; trust only answers well inside it.
			if t.Before(from.Add(time.Duration(days-2) * 24 * time.Hour)) {
				return t
			}
			break
		}
	}
	return time.Time{}
}

func (w *where) describe(t time.Time) string {
	if t.IsZero() && !w.zoneKnown {
		return "no hour is allowed everywhere; set the debtor's time zone"
	} else if t.IsZero() {
		return "no allowed contact time within a year"
	}
	return "next allowed " + t.In(w.locs[0]).Format("Mon 2006-01-02 15:04") + " " + w.locs[0].String()
}

// ContactAllowed reports whether a business-initiated message may reach a
// debtor of country, living in time zone tz (IANA), at the instant at. With an
// empty or unknown tz the instant must be allowed in every zone of the
// country; with an unknown country, under the overlap of every country's rules.
func (c Config) ContactAllowed(country, tz string, at time.Time) Decision {
	w := c.where(country, tz)
	if why := w.check(at); why != "" {
		return refuse(RuleContactHours, "%s%s; %s", why, w.zoneNote(), w.describe(w.next(at)))
	}
	lt := at.In(w.locs[0])
	return allow(RuleContactHours, "%s %s in %s is within %s contact hours %s%s", lt.Weekday(), lt.Format("15:04"),
		w.locs[0], w.label, w.rules.Hours[lt.Weekday()], w.zoneNote())
}

func (w *where) zoneNote() string {
	if w.zoneKnown {
		return ""
	}
	if w.label == "unknown-country" {
		return " (time zone unknown: hours must hold in every configured zone)"
	}
	return " (time zone unknown: hours must hold in every zone of " + w.label + ")"
}

// NextContactTime returns the earliest instant ≥ from at which ContactAllowed
// allows contact, or the zero time when there is none within a year (an
// unknown country and time zone leave no hour common to every zone).
func (c Config) NextContactTime(country, tz string, from time.Time) time.Time {
	return c.where(country, tz).next(from)
}

// CallbackSlot returns the instant nearest to want at which a person may call
// a debtor of country in time zone tz, not before notBefore: want itself when
// contact is allowed then, else the nearer of the last allowed half hour
// before it and the first allowed instant after it (a call asked for at 21:00
// is offered at 18:30 that day rather than 07:00 the next). A call is
// business-initiated contact, so the contact hours are the same rule. ok is
// false when no instant within a year is allowed.
func (c Config) CallbackSlot(country, tz string, want, notBefore time.Time) (slot time.Time, ok bool) {
	w := c.where(country, tz)
	if want.Before(notBefore) {
		want = notBefore
	}
	if w.check(want) == "" {
		return want, true
	}
	after := w.next(want)
	var before time.Time
	for t := want.Truncate(30 * time.Minute); !t.Before(notBefore) && want.Sub(t) < 24*time.Hour; t = t.Add(-30 * time.Minute) {
		if t.Before(want) && w.check(t) == "" {
			before = t
			break
		}
	}
	switch {
	case after.IsZero() && before.IsZero():
		return time.Time{}, false
	case after.IsZero():
		return before, true
	case before.IsZero() || after.Sub(want) <= want.Sub(before):
		return after, true
	}
	return before, true
}

// Location is the time zone in which to speak to a debtor of country with
// time zone tz: tz itself, else the first zone of the country (the one the
// contact rules name first), else UTC.
func (c Config) Location(country, tz string) *time.Location {
	return c.where(country, tz).locs[0]
}

// FrequencyAllowed applies the caps on business-initiated messages: per local
// calendar day (CO: 1) and per rolling 7 days (default: 2). sent holds the
// times of earlier business-initiated messages to this debtor. No cap applies
// while the debtor's last inbound message is inside the service window: then
// the business is replying, not initiating.
func (c Config) FrequencyAllowed(country, tz string, sent []time.Time, lastInbound *time.Time, at time.Time) Decision {
	if lastInbound != nil && at.Sub(*lastInbound) < c.ServiceWindow {
		return allow(RuleFrequencyCap, "the debtor wrote at %s, inside the %s window: no cap on replies", lastInbound.UTC().Format(time.RFC3339), c.ServiceWindow)
	}
	w := c.where(country, tz)
	if limit := w.rules.PerDay; limit > 0 {
		n := 0
		for _, s := range sent {
			if sameLocalDay(w.locs, s, at) {
				n++
			}
		}
		if n >= limit {
			day := acuerdo.DateOf(at.In(w.locs[0]))
			return refuse(RuleFrequencyCap, "%s allows %d business-initiated message(s) per day and %d went out on %s; next allowed on %s",
				w.label, limit, n, day, day.AddDays(1))
		}
	}
	if limit := w.rules.PerWeek; limit > 0 {
		var recent []time.Time
		for _, s := range sent {
			if s.After(at.Add(-7*24*time.Hour)) && !s.After(at) {
				recent = append(recent, s)
			}
		}
		if len(recent) >= limit {
			slices.SortFunc(recent, func(a, b time.Time) int { return a.Compare(b) })
			next := recent[len(recent)-limit].Add(7 * 24 * time.Hour)
			return refuse(RuleFrequencyCap, "%s allows %d business-initiated messages per rolling 7 days and %d went out; next allowed after %s",
				w.label, limit, len(recent), next.UTC().Format(time.RFC3339))
		}
	}
	return allow(RuleFrequencyCap, "within %s caps (%s per day, %s per 7 days)", w.label, capText(w.rules.PerDay), capText(w.rules.PerWeek))
}

func capText(n int) string {
	if n == 0 {
		return "no cap"
	}
	return fmt.Sprint(n)
}

// sameLocalDay reports whether a and b fall on the same calendar day in any of
// the zones: with an unknown zone, the strictest reading counts.
func sameLocalDay(locs []*time.Location, a, b time.Time) bool {
	for _, loc := range locs {
		if acuerdo.DateOf(a.In(loc)) == acuerdo.DateOf(b.In(loc)) {
			return true
		}
	}
	return false
}

// WindowOpen is the one home of the service-window rule: free-form text may
// go to a debtor only while their last inbound message (nil: they never
// wrote) is less than window old. Outside it a message is business-initiated:
// only an approved template may go, and only under the contact policy
// (consent, hours, caps). The engine, the console and the payment webhooks
// all ask here, with the configured window (service_window), never a fixed
// 24 hours. A window ≤ 0 is the default's.
func WindowOpen(window time.Duration, lastInbound *time.Time, at time.Time) bool {
	if window <= 0 {
		window = Default().ServiceWindow
	}
	return lastInbound != nil && at.Sub(*lastInbound) < window
}

// WindowOpen is WindowOpen with the configured service window.
func (c Config) WindowOpen(lastInbound *time.Time, at time.Time) bool {
	return WindowOpen(c.ServiceWindow, lastInbound, at)
}

// FreeFormAllowed reports whether free-form text may be sent at the instant
// at (WindowOpen), with the reason. Otherwise only approved templates may go out.
func (c Config) FreeFormAllowed(lastInbound *time.Time, at time.Time) Decision {
	if lastInbound == nil {
		return refuse(RuleServiceWindow, "the debtor has never written: send an approved template")
	}
	if age := at.Sub(*lastInbound); !c.WindowOpen(lastInbound, at) {
		return refuse(RuleServiceWindow, "the debtor last wrote %s ago, outside the %s window: send an approved template",
			age.Truncate(time.Second), c.ServiceWindow)
	}
	closes := lastInbound.Add(c.ServiceWindow)
	return allow(RuleServiceWindow, "free-form text allowed until %s", closes.UTC().Format(time.RFC3339))
}

// Contact is what the combined check needs to know about one debtor.
type Contact struct {
	Country     string           // ISO 3166 alpha-2
	TimeZone    string           // IANA; empty when unknown
	Consent     *acuerdo.Consent // the WhatsApp consent record; nil when there is none
	OptedOut    bool             // the debtor asked to stop messages
	LastInbound *time.Time       // the debtor's last message; nil when never
	Sent        []time.Time      // earlier business-initiated messages
	// Unreachable is why the phone cannot be contacted (acuerdo.Unreachable…),
	// "" when it can: a number the provider rejected is not tried again.
	Unreachable string
}

// BusinessInitiated is the whole check for a proactive message at the instant
// at: opt-out, consent, contact hours and frequency, in that order. It returns
// the first refusal, or an allowed decision with rule business_initiated.
func (c Config) BusinessInitiated(ct Contact, at time.Time) Decision {
	if ct.OptedOut {
		return refuse(RuleOptOut, "the debtor opted out: no business-initiated contact")
	}
	if ct.Unreachable != "" {
		return refuse(RuleUnreachable, "the phone is unreachable (%s): the creditor must fix the number", ct.Unreachable)
	}
	if ct.Consent == nil {
		return refuse(RuleConsent, "no consent record for business-initiated WhatsApp contact")
	}
	if !ct.Consent.Active() {
		return refuse(RuleConsent, "the consent record is revoked or was never granted")
	}
	if d := c.ContactAllowed(ct.Country, ct.TimeZone, at); !d.Allowed {
		return d
	}
	if d := c.FrequencyAllowed(ct.Country, ct.TimeZone, ct.Sent, ct.LastInbound, at); !d.Allowed {
		return d
	}
	return allow(RuleBusinessInitiated, "consent active, no opt-out, within contact hours and frequency caps")
}
