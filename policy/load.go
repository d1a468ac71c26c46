package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"acuerdo"
)

// The policy file mirrors Config with pointer fields, so that Load can tell a
// field the file sets from one it leaves alone: only what the file says
// changes, everything else keeps its default.
type file struct {
	CreditorName      *string                 `yaml:"creditor_name"`
	CNPJ              *string                 `yaml:"cnpj"`
	SendRatePerSecond *float64                `yaml:"send_rate_per_second"`
	DebtorMinGap      *string                 `yaml:"debtor_min_gap"`
	ServiceWindow     *string                 `yaml:"service_window"`
	Negotiation       *fileNegotiation        `yaml:"negotiation"`
	Countries         map[string]*fileCountry `yaml:"countries"`
}

type fileNegotiation struct {
	DateChangeMaxDays   *int     `yaml:"date_change_max_days"`
	DateChangeEveryDays *int     `yaml:"date_change_every_days"`
	PauseMinDays        *int     `yaml:"pause_min_days"`
	PauseMaxDays        *int     `yaml:"pause_max_days"`
	PauseEveryMonths    *int     `yaml:"pause_every_months"`
	PlanMinInstallments *int     `yaml:"plan_min_installments"`
	PlanMaxInstallments *int     `yaml:"plan_max_installments"`
	PlanMinFirstPercent *float64 `yaml:"plan_min_first_percent"`
	PlanStartMaxDays    *int     `yaml:"plan_start_max_days"`
	MaxDiscountPercent  *float64 `yaml:"max_discount_percent"`
}

type fileCountry struct {
	Hours        map[string]string `yaml:"hours"` // "mon-fri": "07:00-19:00", "sun": closed
	PerDay       *int              `yaml:"per_day"`
	PerWeek      *int              `yaml:"per_week"`
	SkipHolidays *bool             `yaml:"skip_holidays"`
	Holidays     *[]string         `yaml:"holidays"` // YYYY-MM-DD; replaces the default list
	Zones        *[]string         `yaml:"zones"`
}

// Load reads the policy file at path (ACUERDO_POLICY) and merges it onto
// Default: only the fields the file sets change, and within countries.XX.hours
// only the days it names. Unknown fields, unknown countries and invalid values
// are errors that name the file and the field.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("policy file: %w", err)
	}
	c, err := parse(b)
	if err != nil {
		return Config{}, acuerdo.Errorf(acuerdo.EINVALID, "policy file %s: %s", path, acuerdo.ErrorMessage(err))
	}
	return c, nil
}

// yamlTypeName strips Go type names from the YAML decoder's messages; the reader of
// the error knows the file, not this package.
var yamlTypeName = regexp.MustCompile(` in type policy\.\w+`)

func parse(b []byte) (Config, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "\n  ", "; ")
		return Config{}, acuerdo.Errorf(acuerdo.EINVALID, "%s", yamlTypeName.ReplaceAllString(msg, ""))
	}
	c := Default()
	if err := f.merge(&c); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

func (f *file) merge(c *Config) error {
	set(&c.CreditorName, f.CreditorName)
	set(&c.CNPJ, f.CNPJ)
	set(&c.SendRatePerSecond, f.SendRatePerSecond)
	for _, d := range []struct {
		path string
		src  *string
		dst  *time.Duration
	}{{"debtor_min_gap", f.DebtorMinGap, &c.DebtorMinGap}, {"service_window", f.ServiceWindow, &c.ServiceWindow}} {
		if d.src == nil {
			continue
		}
		v, err := time.ParseDuration(strings.TrimSpace(*d.src))
		if err != nil {
			return acuerdo.Errorf(acuerdo.EINVALID, "%s: %q is not a duration: write it like 6s or 24h", d.path, *d.src)
		}
		*d.dst = v
	}
	if n := f.Negotiation; n != nil {
		m := &c.Negotiation
		set(&m.DateChangeMaxDays, n.DateChangeMaxDays)
		set(&m.DateChangeEveryDays, n.DateChangeEveryDays)
		set(&m.PauseMinDays, n.PauseMinDays)
		set(&m.PauseMaxDays, n.PauseMaxDays)
		set(&m.PauseEveryMonths, n.PauseEveryMonths)
		set(&m.PlanMinInstallments, n.PlanMinInstallments)
		set(&m.PlanMaxInstallments, n.PlanMaxInstallments)
		set(&m.PlanMinFirstPercent, n.PlanMinFirstPercent)
		set(&m.PlanStartMaxDays, n.PlanStartMaxDays)
		set(&m.MaxDiscountPercent, n.MaxDiscountPercent)
	}
	for _, key := range slices.Sorted(maps.Keys(f.Countries)) {
		code := strings.ToUpper(strings.TrimSpace(key))
		r, ok := c.Countries[code]
		if !ok {
			known := slices.Sorted(maps.Keys(c.Countries))
			return acuerdo.Errorf(acuerdo.EINVALID, "countries.%s: unknown country: acuerdo has rules for %s", key, strings.Join(known, ", "))
		}
		if err := f.Countries[key].merge(&r, "countries."+code); err != nil {
			return err
		}
		c.Countries[code] = r
	}
	return nil
}

func (fc *fileCountry) merge(r *CountryRules, path string) error {
	if fc == nil {
		return nil
	}
	// Copy the slices: the defaults must never share backing arrays with a merged config.
	r.Holidays, r.Zones = slices.Clone(r.Holidays), slices.Clone(r.Zones)
	// Wider keys first, so that "mon-sat" then "sat" means what it says.
	type dayWindow struct {
		key  string
		days []time.Weekday
		w    Window
	}
	var dws []dayWindow
	for k, v := range fc.Hours {
		days, err := parseDays(k)
		if err != nil {
			return acuerdo.Errorf(acuerdo.EINVALID, "%s.hours.%s: %v", path, k, err)
		}
		w, err := parseWindow(v)
		if err != nil {
			return acuerdo.Errorf(acuerdo.EINVALID, "%s.hours.%s: %v", path, k, err)
		}
		dws = append(dws, dayWindow{k, days, w})
	}
	slices.SortFunc(dws, func(a, b dayWindow) int {
		if n := len(b.days) - len(a.days); n != 0 {
			return n
		}
		return strings.Compare(a.key, b.key)
	})
	for _, dw := range dws {
		for _, d := range dw.days {
			r.Hours[d] = dw.w
		}
	}
	set(&r.PerDay, fc.PerDay)
	set(&r.PerWeek, fc.PerWeek)
	set(&r.SkipHolidays, fc.SkipHolidays)
	if fc.Holidays != nil {
		r.Holidays = nil
		for _, s := range *fc.Holidays {
			d, err := acuerdo.ParseDate(strings.TrimSpace(s))
			if err != nil {
				return acuerdo.Errorf(acuerdo.EINVALID, "%s.holidays: %q is not a date: write it as YYYY-MM-DD", path, s)
			}
			r.Holidays = append(r.Holidays, d)
		}
	}
	if fc.Zones != nil {
		r.Zones = slices.Clone(*fc.Zones)
	}
	return nil
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
