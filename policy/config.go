package policy

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// Config is the whole policy: who the creditor is, how fast acuerdo may send,
// what the agent may negotiate and the contact rules of each country. Build it
// with Default or Load; the zero Config allows nothing useful.
type Config struct {
	CreditorName      string        // named in every disclosure
	CNPJ              string        // the creditor's Brazilian company number, shown to BR debtors
	SendRatePerSecond float64       // messages per second per sender number
	DebtorMinGap      time.Duration // least time between two messages to one debtor
	ServiceWindow     time.Duration // WhatsApp's customer-service window for free-form text
	Negotiation       Negotiation
	Countries         map[string]CountryRules // by ISO 3166 alpha-2 code
}

// Negotiation holds the limits of the agent's authority. Anything outside them
// is an out_of_policy escalation to a person.
type Negotiation struct {
	DateChangeMaxDays   int     // a new due date at most this many days after the current one
	DateChangeEveryDays int     // at most one date change per this many days
	PauseMinDays        int     // shortest pause
	PauseMaxDays        int     // longest pause
	PauseEveryMonths    int     // at most one pause per this many months
	PlanMinInstallments int     // fewest installments in a plan
	PlanMaxInstallments int     // most installments in a plan
	PlanMinFirstPercent float64 // the first installment is at least this share of the balance
	PlanStartMaxDays    int     // the first installment falls due at most this many days from today
	MaxDiscountPercent  float64 // 0: no discounts at all
}

// CountryRules are the contact rules of one country.
type CountryRules struct {
	Hours        [7]Window      // indexed by time.Weekday; a closed Window forbids the day
	PerDay       int            // business-initiated messages per local calendar day; 0 = no daily cap
	PerWeek      int            // business-initiated messages per rolling 7 days; 0 = no weekly cap
	SkipHolidays bool           // no contact on the country's national public holidays
	Holidays     []acuerdo.Date // extra days without contact (regional holidays, company closures)
	// Zones are the IANA time zones the country spans. When a debtor's own zone
	// is unknown, an instant is allowed only if it is allowed in all of them.
	Zones []string
}

// Window is a daily contact window in local time, in minutes after midnight.
// Start is included and End excluded, so 07:00-19:00 allows 18:59:59 but not
// 19:00:00.
type Window struct {
	Start, End int
}

// Open reports whether the window allows any contact.
func (w Window) Open() bool { return w.Start < w.End }

// String renders the window as "07:00-19:00", or "closed".
func (w Window) String() string {
	if !w.Open() {
		return "closed"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.Start/60, w.Start%60, w.End/60, w.End%60)
}

func hours(from, to int) Window { return Window{Start: from * 60, End: to * 60} }

// week builds Hours from a Monday–Friday, a Saturday and a Sunday window.
func week(monFri, sat, sun Window) [7]Window {
	var h [7]Window
	for d := time.Monday; d <= time.Friday; d++ {
		h[d] = monFri
	}
	h[time.Saturday], h[time.Sunday] = sat, sun
	return h
}

// Default returns the built-in policy. Each call returns fresh maps and slices,
// so callers may change their copy freely.
//
// All countries skip their national public holidays by default: the law only
// demands it in Colombia (Ley 2300 de 2023), but a collection message on
// Christmas Day is unkind everywhere. skip_holidays: false in the policy file
// turns it off per country.
func Default() Config {
	closed := Window{}
	monSat := week(hours(8, 20), hours(8, 20), closed)
	return Config{
		CreditorName:      "Acuerdo Demo",
		SendRatePerSecond: 10,
		DebtorMinGap:      6 * time.Second,
		ServiceWindow:     24 * time.Hour,
		Negotiation: Negotiation{
			DateChangeMaxDays:   30,
			DateChangeEveryDays: 90,
			PauseMinDays:        1,
			PauseMaxDays:        30,
			PauseEveryMonths:    12,
			PlanMinInstallments: 2,
			PlanMaxInstallments: 12,
			PlanMinFirstPercent: 10,
			PlanStartMaxDays:    30,
			MaxDiscountPercent:  0,
		},
		Countries: map[string]CountryRules{
			"CO": {
				Hours:  week(hours(7, 19), hours(8, 15), closed),
				PerDay: 1, PerWeek: 2, SkipHolidays: true,
				Zones: []string{"America/Bogota"},
			},
			"MX": {
				Hours:   week(hours(7, 22), hours(7, 22), hours(7, 22)),
				PerWeek: 2, SkipHolidays: true,
				Zones: []string{"America/Tijuana", "America/Hermosillo", "America/Mexico_City", "America/Matamoros", "America/Cancun"},
			},
			"US": {
				Hours:   week(hours(8, 21), hours(8, 21), hours(8, 21)),
				PerWeek: 2, SkipHolidays: true,
				// The fifty states; territories such as Guam would leave no common hour.
				Zones: []string{"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"},
			},
			"BR": {
				Hours: monSat, PerWeek: 2, SkipHolidays: true,
				Zones: []string{"America/Noronha", "America/Sao_Paulo", "America/Manaus", "America/Rio_Branco"},
			},
			"AR": {
				Hours: monSat, PerWeek: 2, SkipHolidays: true,
				Zones: []string{"America/Argentina/Buenos_Aires"},
			},
			"ES": {
				Hours: monSat, PerWeek: 2, SkipHolidays: true,
				Zones: []string{"Europe/Madrid", "Atlantic/Canary"},
			},
		},
	}
}

// Validate reports the first invalid setting, named by its path in the policy
// file ("countries.CO.per_day: ...").
func (c Config) Validate() error {
	bad := func(path, format string, args ...any) error {
		return acuerdo.Errorf(acuerdo.EINVALID, "%s: %s", path, fmt.Sprintf(format, args...))
	}
	switch {
	case strings.TrimSpace(c.CreditorName) == "":
		return bad("creditor_name", "must not be empty: disclosures name the creditor")
	case c.CNPJ != "" && !validCNPJ(c.CNPJ):
		return bad("cnpj", "%q is not a valid CNPJ: write its 14 digits, e.g. 11.222.333/0001-81", c.CNPJ)
	case !(c.SendRatePerSecond > 0):
		return bad("send_rate_per_second", "must be more than 0")
	case c.DebtorMinGap < 0:
		return bad("debtor_min_gap", "must not be negative")
	case c.ServiceWindow <= 0 || c.ServiceWindow > 24*time.Hour:
		return bad("service_window", "must be more than 0 and at most 24h, WhatsApp's limit")
	}
	n := c.Negotiation
	for _, f := range []struct {
		name     string
		v, lo, h int
	}{
		{"date_change_max_days", n.DateChangeMaxDays, 0, 3660},
		{"date_change_every_days", n.DateChangeEveryDays, 0, 3660},
		{"pause_min_days", n.PauseMinDays, 1, 3660},
		{"pause_max_days", n.PauseMaxDays, 0, 3660},
		{"pause_every_months", n.PauseEveryMonths, 0, 120},
		{"plan_min_installments", n.PlanMinInstallments, 1, 360},
		{"plan_max_installments", n.PlanMaxInstallments, 1, 360},
		{"plan_start_max_days", n.PlanStartMaxDays, 0, 3660},
	} {
		if f.v < f.lo || f.v > f.h {
			return bad("negotiation."+f.name, "%d is out of range %d–%d", f.v, f.lo, f.h)
		}
	}
	switch {
	case n.PauseMaxDays != 0 && n.PauseMaxDays < n.PauseMinDays:
		return bad("negotiation.pause_max_days", "%d is less than pause_min_days %d (use 0 to forbid pauses)", n.PauseMaxDays, n.PauseMinDays)
	case n.PlanMaxInstallments < n.PlanMinInstallments:
		return bad("negotiation.plan_max_installments", "%d is less than plan_min_installments %d", n.PlanMaxInstallments, n.PlanMinInstallments)
	case !(n.PlanMinFirstPercent >= 0 && n.PlanMinFirstPercent <= 100):
		return bad("negotiation.plan_min_first_percent", "must be between 0 and 100")
	case !(n.MaxDiscountPercent >= 0 && n.MaxDiscountPercent <= 100):
		return bad("negotiation.max_discount_percent", "must be between 0 and 100")
	}
	if len(c.Countries) == 0 {
		return bad("countries", "no country configured")
	}
	for _, code := range slices.Sorted(maps.Keys(c.Countries)) {
		r, path := c.Countries[code], "countries."+code
		switch {
		case r.PerDay < 0:
			return bad(path+".per_day", "must not be negative (0 means no daily cap)")
		case r.PerWeek < 0:
			return bad(path+".per_week", "must not be negative (0 means no weekly cap)")
		case len(r.Zones) == 0:
			return bad(path+".zones", "list at least one IANA time zone, e.g. America/Bogota")
		}
		for i, w := range r.Hours {
			if w.Open() && (w.Start < 0 || w.End > 24*60) {
				return bad(path+".hours."+dayKeys[i], "%s is not within 00:00-24:00", w)
			}
		}
		for _, z := range r.Zones {
			if _, err := time.LoadLocation(z); err != nil || z == "" {
				return bad(path+".zones", "unknown time zone %q: use an IANA name such as America/Bogota", z)
			}
		}
	}
	return nil
}

// dayKeys are the weekday names of the policy file, indexed by time.Weekday.
var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseWindow reads "07:00-19:00", "7-19" or "closed".
func parseWindow(s string) (Window, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "closed", "none", "no", "off":
		return Window{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, fmt.Errorf("%q is not a window: write it like 07:00-19:00, or closed", s)
	}
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return Window{}, fmt.Errorf("%q is not a window: write it like 07:00-19:00, or closed", s)
	}
	if start >= end {
		return Window{}, fmt.Errorf("%q ends before it starts; windows cannot cross midnight", s)
	}
	return Window{Start: start, End: end}, nil
}

// parseClock reads "07:00", "7:30" or "19" as minutes after midnight; "24:00" is the end of the day.
func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	hs, ms, hasMin := strings.Cut(s, ":")
	h, err := strconv.Atoi(hs)
	if err != nil || len(hs) > 2 {
		return 0, fmt.Errorf("bad hour %q", s)
	}
	m := 0
	if hasMin {
		if m, err = strconv.Atoi(ms); err != nil || len(ms) != 2 || m > 59 {
			return 0, fmt.Errorf("bad minute %q", s)
		}
	}
	if h < 0 || h > 24 || h == 24 && m != 0 {
		return 0, fmt.Errorf("bad hour %q", s)
	}
	return h*60 + m, nil
}

// parseDays reads a weekday key of the hours map: "mon", "mon-fri", "daily".
func parseDays(key string) ([]time.Weekday, error) {
	key = strings.ToLower(strings.TrimSpace(key))
	switch key {
	case "daily", "all", "every_day":
		return []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil
	case "weekdays":
		key = "mon-fri"
	}
	a, b, isRange := strings.Cut(key, "-")
	from, ok1 := dayIndex(a)
	to, ok2 := from, true
	if isRange {
		to, ok2 = dayIndex(b)
	}
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("unknown day %q: use mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, or daily", key)
	}
	var days []time.Weekday
	for d := from; ; d = (d + 1) % 7 {
		days = append(days, d)
		if d == to {
			return days, nil
		}
	}
}

func dayIndex(s string) (time.Weekday, bool) {
	for i, k := range dayKeys {
		if k == s {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// validCNPJ checks the 14 digits and the two check digits of a CNPJ.
func validCNPJ(s string) bool {
	var d []int
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			d = append(d, int(r-'0'))
		case r == '.' || r == '/' || r == '-' || r == ' ':
		default:
			return false
		}
	}
	if len(d) != 14 || slices.Equal(d, slices.Repeat(d[:1], 14)) {
		return false
	}
	check := func(n int) int {
		sum, w := 0, n-7
		for i := 0; i < n; i++ {
			sum += d[i] * w
			if w--; w < 2 {
				w = 9
			}
		}
		if r := sum % 11; r >= 2 {
			return 11 - r
		}
		return 0
	}
	return check(12) == d[12] && check(13) == d[13]
}
