package policy

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"acuerdo"
)

func TestDefaultIsValidAndFresh(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Countries["CO"] = CountryRules{}
	if Default().Countries["CO"].PerDay != 1 {
		t.Error("Default shares its maps between calls")
	}
	co := Default().Countries["CO"]
	if co.Hours[time.Monday].String() != "07:00-19:00" || co.Hours[time.Saturday].String() != "08:00-15:00" || co.Hours[time.Sunday].Open() {
		t.Errorf("CO hours: %v", co.Hours)
	}
	if n := Default().Negotiation; n.MaxDiscountPercent != 0 || n.DateChangeMaxDays != 30 || n.PlanMaxInstallments != 12 {
		t.Errorf("negotiation defaults: %+v", n)
	}
}

func TestLoadOverride(t *testing.T) {
	c, err := Load("testdata/override.yaml")
	if err != nil {
		t.Fatal(err)
	}
	def := Default()
	if c.CreditorName != "Financiera Ejemplo S.A.S." || c.CNPJ != "11.222.333/0001-81" || c.SendRatePerSecond != 5 || c.DebtorMinGap != 10*time.Second {
		t.Errorf("top level: %+v", c)
	}
	if c.ServiceWindow != 24*time.Hour {
		t.Errorf("service window changed: %s", c.ServiceWindow)
	}
	want := def.Negotiation
	want.MaxDiscountPercent, want.PlanMaxInstallments = 15, 6
	if c.Negotiation != want {
		t.Errorf("negotiation: got %+v, want %+v", c.Negotiation, want)
	}
	co := c.Countries["CO"]
	for day, w := range map[time.Weekday]string{
		time.Monday: "08:00-18:00", time.Friday: "08:00-18:00", time.Saturday: "closed", time.Sunday: "closed",
	} {
		if co.Hours[day].String() != w {
			t.Errorf("CO %s: %s, want %s", day, co.Hours[day], w)
		}
	}
	if co.PerDay != 1 || co.PerWeek != 2 || !co.SkipHolidays || !reflect.DeepEqual(co.Zones, []string{"America/Bogota"}) {
		t.Errorf("CO untouched fields changed: %+v", co)
	}
	if !reflect.DeepEqual(co.Holidays, []acuerdo.Date{d("2026-12-24"), d("2026-12-31")}) {
		t.Errorf("CO holidays: %v", co.Holidays)
	}
	br := c.Countries["BR"]
	if br.PerWeek != 1 || br.SkipHolidays || br.Hours != def.Countries["BR"].Hours {
		t.Errorf("BR: %+v", br)
	}
	us := c.Countries["US"]
	if us.Hours[time.Monday].String() != "09:00-20:00" || us.Hours[time.Saturday].String() != "09:00-20:00" || us.Hours[time.Sunday].Open() {
		t.Errorf("US: %v", us.Hours)
	}
	if !reflect.DeepEqual(c.Countries["MX"], def.Countries["MX"]) {
		t.Errorf("MX changed: %+v", c.Countries["MX"])
	}
	// The overrides take effect in the checks.
	const bog = "America/Bogota"
	if c.ContactAllowed("CO", bog, at(bog, "2026-03-02 07:30:00")).Allowed {
		t.Error("CO 07:30 allowed after the override to 08:00")
	}
	if c.ContactAllowed("CO", bog, at(bog, "2026-12-24 10:00:00")).Allowed {
		t.Error("CO extra holiday allowed")
	}
	if !c.ContactAllowed("BR", "America/Sao_Paulo", at("America/Sao_Paulo", "2026-04-21 10:00:00")).Allowed {
		t.Error("BR holiday refused with skip_holidays: false")
	}
	if !c.Discount(cop("1000.00"), cop("150.00")).Allowed {
		t.Error("15 % discount refused")
	}
}

func TestLoadEmptyIsDefault(t *testing.T) {
	c, err := Load("testdata/empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("got %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"missing.yaml", "no such file"},
		{"bad_yaml.yaml", "policy file testdata/bad_yaml.yaml: line"},
		{"bad_country.yaml", "countries.XX: unknown country: acuerdo has rules for AR, BR, CO, ES, MX, US"},
		{"bad_hours.yaml", "countries.CO.hours.mon: \"19:00-07:00\" ends before it starts"},
		{"bad_day.yaml", "countries.CO.hours.funday: unknown day"},
		{"bad_field.yaml", "field send_rate not found"},
		{"bad_duration.yaml", "debtor_min_gap: \"6\" is not a duration"},
		{"bad_zone.yaml", "countries.MX.zones: unknown time zone \"America/Atlantis\""},
		{"bad_holiday.yaml", "countries.CO.holidays: \"24/12/2026\" is not a date"},
		{"bad_value.yaml", "negotiation.plan_max_installments: 4 is less than plan_min_installments 8"},
		{"bad_cnpj.yaml", "cnpj: \"11.222.333/0001-82\" is not a valid CNPJ"},
		{"bad_type.yaml", "cannot unmarshal"},
	}
	for _, tt := range tests {
		_, err := Load("testdata/" + tt.file)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.file, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), "policy file") || strings.Contains(err.Error(), "policy.file") {
			t.Errorf("%s: error does not name the file cleanly: %v", tt.file, err)
		}
	}
}

func TestParseWindowAndDays(t *testing.T) {
	for in, want := range map[string]string{
		"07:00-19:00": "07:00-19:00", "7-19": "07:00-19:00", " 08:30 - 15:00 ": "08:30-15:00", "00:00-24:00": "00:00-24:00",
		"closed": "closed", "": "closed",
	} {
		w, err := parseWindow(in)
		if err != nil || w.String() != want {
			t.Errorf("parseWindow(%q) = %s, %v; want %s", in, w, err, want)
		}
	}
	for _, bad := range []string{"7", "25:00-26:00", "07:60-08:00", "08:00-08:00", "a-b", "07:00-24:30"} {
		if _, err := parseWindow(bad); err == nil {
			t.Errorf("parseWindow(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int{"mon": 1, "mon-fri": 5, "fri-mon": 4, "daily": 7, "weekdays": 5, "sun": 1} {
		days, err := parseDays(in)
		if err != nil || len(days) != want {
			t.Errorf("parseDays(%q) = %v, %v", in, days, err)
		}
	}
}

func TestValidCNPJ(t *testing.T) {
	for in, want := range map[string]bool{
		"11.222.333/0001-81": true, "11222333000181": true, "11.444.777/0001-61": true,
		"11.222.333/0001-82": false, "00.000.000/0000-00": false, "1122233300018": false, "11.222.333/0001-8a": false,
	} {
		if got := validCNPJ(in); got != want {
			t.Errorf("validCNPJ(%q) = %v", in, got)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"creditor", func(c *Config) { c.CreditorName = " " }, "creditor_name"},
		{"rate", func(c *Config) { c.SendRatePerSecond = 0 }, "send_rate_per_second"},
		{"window", func(c *Config) { c.ServiceWindow = 25 * time.Hour }, "service_window"},
		{"percent", func(c *Config) { c.Negotiation.MaxDiscountPercent = 120 }, "negotiation.max_discount_percent"},
		{"per day", func(c *Config) { r := c.Countries["CO"]; r.PerDay = -1; c.Countries["CO"] = r }, "countries.CO.per_day"},
		{"zones", func(c *Config) { r := c.Countries["ES"]; r.Zones = nil; c.Countries["ES"] = r }, "countries.ES.zones"},
		{"no countries", func(c *Config) { c.Countries = nil }, "countries"},
	}
	for _, tt := range tests {
		c := Default()
		tt.edit(&c)
		if err := c.Validate(); err == nil || !strings.HasPrefix(acuerdo.ErrorMessage(err), tt.want) {
			t.Errorf("%s: got %v", tt.name, err)
		}
	}
}
