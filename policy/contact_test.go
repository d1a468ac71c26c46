package policy

import (
	"strings"
	"testing"
	"time"

	"acuerdo"
)

// at parses "2006-01-02 15:04:05" in the zone tz.
func at(tz, s string) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func utc(s string) time.Time { return at("UTC", s) }

func TestContactAllowed(t *testing.T) {
	c := Default()
	const bog, ny, mx, sp = "America/Bogota", "America/New_York", "America/Mexico_City", "America/Sao_Paulo"
	tests := []struct {
		name, country, tz string
		at                time.Time
		want              bool
	}{
		{"CO weekday opens 07:00", "CO", bog, at(bog, "2026-03-02 07:00:00"), true},
		{"CO weekday before 07:00", "CO", bog, at(bog, "2026-03-02 06:59:59"), false},
		{"CO weekday last second", "CO", bog, at(bog, "2026-03-02 18:59:59"), true},
		{"CO weekday 19:00 sharp", "CO", bog, at(bog, "2026-03-02 19:00:00"), false},
		{"CO Saturday 08:00", "CO", bog, at(bog, "2026-03-07 08:00:00"), true},
		{"CO Saturday 07:30", "CO", bog, at(bog, "2026-03-07 07:30:00"), false},
		{"CO Saturday 14:59", "CO", bog, at(bog, "2026-03-07 14:59:59"), true},
		{"CO Saturday 15:00", "CO", bog, at(bog, "2026-03-07 15:00:00"), false},
		{"CO Sunday", "CO", bog, at(bog, "2026-03-08 10:00:00"), false},
		{"CO holiday Reyes (moved to Monday)", "CO", bog, at(bog, "2026-01-12 10:00:00"), false},
		{"CO Good Friday", "CO", bog, at(bog, "2026-04-03 10:00:00"), false},
		{"CO day after holiday", "CO", bog, at(bog, "2026-01-13 10:00:00"), true},
		{"CO lower-case country", "co", bog, at(bog, "2026-03-02 10:00:00"), true},
		{"CO empty zone uses Bogota", "CO", "", at(bog, "2026-03-02 07:00:00"), true},
		{"CO invalid zone uses Bogota", "CO", "Mars/Olympus", at(bog, "2026-03-02 06:59:00"), false},
		{"CO debtor abroad uses own zone", "CO", "Europe/Madrid", at("Europe/Madrid", "2026-03-02 07:30:00"), true},
		{"MX Sunday 07:00", "MX", mx, at(mx, "2026-03-01 07:00:00"), true},
		{"MX 21:59", "MX", mx, at(mx, "2026-03-03 21:59:59"), true},
		{"MX 22:00", "MX", mx, at(mx, "2026-03-03 22:00:00"), false},
		{"MX unknown zone: 07:30 CDMX is 05:30 in Tijuana", "MX", "", at(mx, "2026-03-03 07:30:00"), false},
		{"MX unknown zone: 09:00 CDMX is 07:00 in Tijuana", "MX", "", at(mx, "2026-03-03 09:00:00"), true},
		{"MX unknown zone: 21:30 CDMX is 22:30 in Cancun", "MX", "", at(mx, "2026-03-03 21:30:00"), false},
		{"US Sunday 08:00", "US", ny, at(ny, "2026-03-01 08:00:00"), true},
		{"US 20:59:59", "US", ny, at(ny, "2026-07-06 20:59:59"), true},
		{"US 21:00", "US", ny, at(ny, "2026-07-06 21:00:00"), false},
		{"US DST start day 08:00 EDT", "US", ny, utc("2026-03-08 12:00:00"), true},
		{"US DST start day 07:59 EDT (08:59 EST would be wrong)", "US", ny, utc("2026-03-08 11:59:00"), false},
		{"US day before DST 08:00 EST", "US", ny, utc("2026-03-07 13:00:00"), true},
		{"US day before DST 07:30 EST", "US", ny, utc("2026-03-07 12:30:00"), false},
		{"US DST end day 08:00 EST", "US", ny, utc("2026-11-01 13:00:00"), true},
		{"US DST end day 07:30 EST", "US", ny, utc("2026-11-01 12:30:00"), false},
		{"US holiday observed", "US", ny, at(ny, "2026-07-03 10:00:00"), false},
		{"US Los Angeles 20:30", "US", "America/Los_Angeles", at("America/Los_Angeles", "2026-03-03 20:30:00"), true},
		{"US unknown zone: 08:00 Honolulu is 13:00 NY", "US", "", utc("2026-03-03 18:00:00"), true},
		{"US unknown zone: 07:59 Honolulu", "US", "", utc("2026-03-03 17:59:00"), false},
		{"BR Saturday", "BR", sp, at(sp, "2026-03-07 19:59:00"), true},
		{"BR Sunday", "BR", sp, at(sp, "2026-03-08 10:00:00"), false},
		{"BR Tiradentes", "BR", sp, at(sp, "2026-04-21 10:00:00"), false},
		{"BR unknown zone 08:30 Sao Paulo is 06:30 Rio Branco", "BR", "", at(sp, "2026-03-03 08:30:00"), false},
		{"AR 20:00", "AR", "America/Argentina/Buenos_Aires", at("America/Argentina/Buenos_Aires", "2026-03-03 20:00:00"), false},
		{"ES Canary zone unknown: 08:30 Madrid is 07:30 Canarias", "ES", "", at("Europe/Madrid", "2026-03-03 08:30:00"), false},
		{"ES Madrid 08:30", "ES", "Europe/Madrid", at("Europe/Madrid", "2026-03-03 08:30:00"), true},
		{"unknown country, Bogota: 07:30 is too early for the strictest", "ZZ", bog, at(bog, "2026-03-02 07:30:00"), false},
		{"unknown country, Bogota: 08:00", "ZZ", bog, at(bog, "2026-03-02 08:00:00"), true},
		{"unknown country, Bogota: 19:00 is CO's end", "ZZ", bog, at(bog, "2026-03-02 19:00:00"), false},
		{"unknown country, Bogota: Saturday 15:00", "ZZ", bog, at(bog, "2026-03-07 15:00:00"), false},
		{"unknown country, Bogota: Sunday", "ZZ", bog, at(bog, "2026-03-08 10:00:00"), false},
		{"unknown country, Bogota: a US holiday", "ZZ", bog, at(bog, "2026-01-19 10:00:00"), false},
		{"unknown country and zone: never", "", "", utc("2026-03-03 15:00:00"), false},
	}
	for _, tt := range tests {
		d := c.ContactAllowed(tt.country, tt.tz, tt.at)
		if d.Allowed != tt.want || d.Rule != RuleContactHours || d.Reason == "" {
			t.Errorf("%s: ContactAllowed(%s, %q, %s) = %+v, want allowed=%v", tt.name, tt.country, tt.tz, tt.at, d, tt.want)
		}
	}
}

func TestContactRefusalSaysWhatIsAllowed(t *testing.T) {
	d := Default().ContactAllowed("CO", "America/Bogota", at("America/Bogota", "2026-03-07 16:00:00"))
	if d.Allowed || !strings.Contains(d.Reason, "next allowed Mon 2026-03-09 07:00 America/Bogota") {
		t.Errorf("got %+v", d)
	}
}

func TestNextContactTime(t *testing.T) {
	c := Default()
	const bog, ny, mx = "America/Bogota", "America/New_York", "America/Mexico_City"
	tests := []struct {
		name, country, tz string
		from, want        time.Time
	}{
		{"already allowed", "CO", bog, at(bog, "2026-03-02 10:00:00"), at(bog, "2026-03-02 10:00:00")},
		{"early morning", "CO", bog, at(bog, "2026-03-02 05:00:00"), at(bog, "2026-03-02 07:00:00")},
		{"Friday 19:00 to Saturday 08:00", "CO", bog, at(bog, "2026-01-09 19:00:00"), at(bog, "2026-01-10 08:00:00")},
		{"Saturday afternoon over a Monday holiday", "CO", bog, at(bog, "2026-01-10 16:00:00"), at(bog, "2026-01-13 07:00:00")},
		{"Holy week", "CO", bog, at(bog, "2026-04-01 19:30:00"), at(bog, "2026-04-04 08:00:00")},
		{"Christmas Eve evening", "CO", bog, at(bog, "2026-12-24 20:00:00"), at(bog, "2026-12-26 08:00:00")},
		{"US DST start", "US", ny, utc("2026-03-08 05:00:00"), utc("2026-03-08 12:00:00")},
		{"US DST end", "US", ny, utc("2026-11-01 05:00:00"), utc("2026-11-01 13:00:00")},
		{"US unknown zone waits for Honolulu", "US", "", utc("2026-03-03 14:00:00"), utc("2026-03-03 18:00:00")},
		{"US unknown zone in summer", "US", "", utc("2026-08-04 14:00:00"), utc("2026-08-04 18:00:00")},
		{"MX unknown zone waits for Tijuana", "MX", "", at(mx, "2026-03-03 06:00:00"), at(mx, "2026-03-03 09:00:00")},
		{"MX unknown zone after Cancun closes", "MX", "", at(mx, "2026-03-03 21:30:00"), at(mx, "2026-03-04 09:00:00")},
		{"unknown country", "ZZ", bog, at(bog, "2026-03-07 16:00:00"), at(bog, "2026-03-09 08:00:00")},
		{"unknown country and zone: none", "ZZ", "", utc("2026-03-03 15:00:00"), time.Time{}},
	}
	for _, tt := range tests {
		got := c.NextContactTime(tt.country, tt.tz, tt.from)
		if !got.Equal(tt.want) {
			t.Errorf("%s: NextContactTime = %s, want %s", tt.name, got, tt.want)
		}
		if !got.IsZero() {
			if d := c.ContactAllowed(tt.country, tt.tz, got); !d.Allowed {
				t.Errorf("%s: NextContactTime %s is not allowed: %s", tt.name, got, d.Reason)
			}
		}
	}
}

// NextContactTime must return the earliest allowed instant: no minute between
// from and the answer may be allowed.
func TestNextContactTimeIsEarliest(t *testing.T) {
	c := Default()
	for _, country := range []string{"CO", "MX", "US", "BR", "AR", "ES"} {
		for _, tz := range []string{"", "America/Bogota", "America/New_York", "Pacific/Honolulu"} {
			from := utc("2026-03-06 10:17:00")
			next := c.NextContactTime(country, tz, from)
			if next.IsZero() {
				t.Fatalf("%s %q: no next time", country, tz)
			}
			for m := from; m.Before(next); m = m.Add(time.Minute) {
				if c.ContactAllowed(country, tz, m).Allowed {
					t.Errorf("%s %q: %s allowed before next %s", country, tz, m, next)
					break
				}
			}
		}
	}
}

func TestFrequencyAllowed(t *testing.T) {
	c := Default()
	const bog, sp = "America/Bogota", "America/Sao_Paulo"
	inbound := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name, country, tz string
		sent              []time.Time
		lastInbound       *time.Time
		at                time.Time
		want              bool
	}{
		{"CO first of the day", "CO", bog, nil, nil, at(bog, "2026-03-02 08:00:00"), true},
		{"CO second the same day", "CO", bog, []time.Time{at(bog, "2026-03-02 08:00:00")}, nil, at(bog, "2026-03-02 15:00:00"), false},
		{"CO next day", "CO", bog, []time.Time{at(bog, "2026-03-02 08:00:00")}, nil, at(bog, "2026-03-03 07:00:00"), true},
		{"CO local day, not UTC day: 23:30 then 07:00", "CO", bog, []time.Time{at(bog, "2026-03-02 23:30:00")}, nil, at(bog, "2026-03-03 07:00:00"), true},
		{"CO local day, not UTC day: same evening", "CO", bog, []time.Time{at(bog, "2026-03-02 18:00:00")}, nil, utc("2026-03-03 00:30:00"), false},
		{"CO weekly cap too", "CO", bog, []time.Time{at(bog, "2026-03-02 08:00:00"), at(bog, "2026-03-04 08:00:00")}, nil, at(bog, "2026-03-06 08:00:00"), false},
		{"CO reply in window", "CO", bog, []time.Time{at(bog, "2026-03-02 08:00:00")}, inbound(at(bog, "2026-03-02 09:00:00")), at(bog, "2026-03-02 15:00:00"), true},
		{"BR two a week", "BR", sp, []time.Time{at(sp, "2026-03-02 09:00:00")}, nil, at(sp, "2026-03-02 10:00:00"), true},
		{"BR third in 7 days", "BR", sp, []time.Time{at(sp, "2026-03-02 09:00:00"), at(sp, "2026-03-04 09:00:00")}, nil, at(sp, "2026-03-08 09:00:00"), false},
		{"BR exactly 7 days after the older", "BR", sp, []time.Time{at(sp, "2026-03-02 09:00:00"), at(sp, "2026-03-04 09:00:00")}, nil, at(sp, "2026-03-09 09:00:00"), true},
		{"BR one second before", "BR", sp, []time.Time{at(sp, "2026-03-02 09:00:00"), at(sp, "2026-03-04 09:00:00")}, nil, at(sp, "2026-03-09 08:59:59"), false},
		{"BR debtor wrote 23h59m ago", "BR", sp, []time.Time{at(sp, "2026-03-02 09:00:00"), at(sp, "2026-03-04 09:00:00")}, inbound(at(sp, "2026-03-05 09:00:01")), at(sp, "2026-03-06 09:00:00"), true},
		{"BR debtor wrote exactly 24h ago", "BR", sp, []time.Time{at(sp, "2026-03-02 09:00:00"), at(sp, "2026-03-04 09:00:00")}, inbound(at(sp, "2026-03-05 09:00:00")), at(sp, "2026-03-06 09:00:00"), false},
		{"unknown country takes CO's daily cap", "ZZ", bog, []time.Time{at(bog, "2026-03-02 08:00:00")}, nil, at(bog, "2026-03-02 12:00:00"), false},
	}
	for _, tt := range tests {
		d := c.FrequencyAllowed(tt.country, tt.tz, tt.sent, tt.lastInbound, tt.at)
		if d.Allowed != tt.want || d.Rule != RuleFrequencyCap || d.Reason == "" {
			t.Errorf("%s: got %+v, want allowed=%v", tt.name, d, tt.want)
		}
	}
}

func TestFreeFormAllowed(t *testing.T) {
	c := Default()
	now := utc("2026-03-02 12:00:00")
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	tests := []struct {
		name string
		last *time.Time
		want bool
	}{
		{"never wrote", nil, false},
		{"just now", ago(0), true},
		{"23h59m59s ago", ago(24*time.Hour - time.Second), true},
		{"exactly 24h ago", ago(24 * time.Hour), false},
		{"25h ago", ago(25 * time.Hour), false},
	}
	for _, tt := range tests {
		d := c.FreeFormAllowed(tt.last, now)
		if d.Allowed != tt.want || d.Rule != RuleServiceWindow {
			t.Errorf("%s: got %+v, want %v", tt.name, d, tt.want)
		}
	}
}

func TestBusinessInitiated(t *testing.T) {
	c := Default()
	const bog = "America/Bogota"
	granted := &acuerdo.Consent{DebtorID: 1, Channel: "whatsapp", GrantedAt: utc("2025-01-01 00:00:00")}
	revokedAt := utc("2026-01-01 00:00:00")
	revoked := &acuerdo.Consent{DebtorID: 1, Channel: "whatsapp", GrantedAt: utc("2025-01-01 00:00:00"), RevokedAt: &revokedAt}
	ok := at(bog, "2026-03-02 10:00:00")
	tests := []struct {
		name string
		ct   Contact
		at   time.Time
		want string
	}{
		{"allowed", Contact{Country: "CO", TimeZone: bog, Consent: granted}, ok, RuleBusinessInitiated},
		{"opted out beats everything", Contact{Country: "CO", TimeZone: bog, Consent: granted, OptedOut: true}, ok, RuleOptOut},
		{"no consent", Contact{Country: "CO", TimeZone: bog}, ok, RuleConsent},
		{"revoked consent", Contact{Country: "CO", TimeZone: bog, Consent: revoked}, ok, RuleConsent},
		{"never granted", Contact{Country: "CO", TimeZone: bog, Consent: &acuerdo.Consent{}}, ok, RuleConsent},
		{"Sunday", Contact{Country: "CO", TimeZone: bog, Consent: granted}, at(bog, "2026-03-08 10:00:00"), RuleContactHours},
		{"already today", Contact{Country: "CO", TimeZone: bog, Consent: granted, Sent: []time.Time{at(bog, "2026-03-02 08:00:00")}}, ok, RuleFrequencyCap},
	}
	for _, tt := range tests {
		d := c.BusinessInitiated(tt.ct, tt.at)
		if d.Rule != tt.want || d.Allowed != (tt.want == RuleBusinessInitiated) {
			t.Errorf("%s: got %+v, want rule %s", tt.name, d, tt.want)
		}
		if err := d.Err(); (err == nil) != d.Allowed || err != nil && acuerdo.ErrorCode(err) != acuerdo.EPOLICY {
			t.Errorf("%s: Err() = %v", tt.name, err)
		}
	}
}
