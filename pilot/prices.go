package pilot

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"acuerdo"
)

// Prices are the dated price tables behind a pilot's cost (DESIGN §5): model
// calls are priced when they happen (the agent writes cost_usd to the audit
// log); WhatsApp template messages and operator time are priced here, at the
// rate in force on the day each was spent, so a price change never rewrites
// the cost of a pilot that already ran.
type Prices struct {
	Templates []TemplatePrice `yaml:"templates"`
	Operator  []OperatorRate  `yaml:"operator"`
}

// TemplatePrice is what one delivered template message costs in a country
// ("*" for the rest) and Meta category, from a day on.
type TemplatePrice struct {
	Country  string       `yaml:"country"`
	Category string       `yaml:"category"`
	Day      string       `yaml:"from"` // YYYY-MM-DD as written
	USD      float64      `yaml:"usd"`
	From     acuerdo.Date `yaml:"-"` // Day, parsed
}

// OperatorRate is what a person's handling costs from a day on.
type OperatorRate struct {
	Day               string       `yaml:"from"`
	From              acuerdo.Date `yaml:"-"`
	USDPerHour        float64      `yaml:"usd_per_hour"`
	MinutesPerCase    float64      `yaml:"minutes_per_case"`
	MinutesPerMessage float64      `yaml:"minutes_per_message"`
}

//go:embed prices.yaml
var defaultPricesYAML []byte

// DefaultPrices are the built-in tables (pilot/prices.yaml).
func DefaultPrices() Prices {
	p, err := ParsePrices(defaultPricesYAML)
	if err != nil {
		panic("pilot/prices.yaml: " + err.Error()) // a build defect, caught by the tests
	}
	return p
}

// LoadPrices reads a price file over the defaults: a table present in the file
// replaces the built-in one; an empty path is the defaults.
func LoadPrices(path string) (Prices, error) {
	p := DefaultPrices()
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("prices: %w", err)
	}
	over, err := ParsePrices(b)
	if err != nil {
		return p, fmt.Errorf("prices %s: %w", path, err)
	}
	if over.Templates != nil {
		p.Templates = over.Templates
	}
	if over.Operator != nil {
		p.Operator = over.Operator
	}
	return p, nil
}

// ParsePrices reads and checks a price file.
func ParsePrices(b []byte) (Prices, error) {
	var p Prices
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%w (want templates: [{country, category, from: YYYY-MM-DD, usd}] and operator: [{from, usd_per_hour, minutes_per_case, minutes_per_message}])", err)
	}
	for i, t := range p.Templates {
		switch {
		case t.Country == "" || t.Category == "":
			return p, fmt.Errorf("templates[%d]: country and category are required (country \"*\" for all others)", i)
		case t.Day == "":
			return p, fmt.Errorf("templates[%d] (%s %s): from is required, as YYYY-MM-DD", i, t.Country, t.Category)
		case t.USD < 0:
			return p, fmt.Errorf("templates[%d] (%s %s): usd must not be negative", i, t.Country, t.Category)
		}
		d, err := acuerdo.ParseDate(t.Day)
		if err != nil {
			return p, fmt.Errorf("templates[%d] (%s %s): from: %w", i, t.Country, t.Category, err)
		}
		p.Templates[i].From = d
		p.Templates[i].Country = strings.ToUpper(t.Country)
		p.Templates[i].Category = strings.ToLower(t.Category)
	}
	for i, o := range p.Operator {
		d, err := acuerdo.ParseDate(o.Day)
		if err != nil {
			return p, fmt.Errorf("operator[%d]: from: %w", i, err)
		}
		p.Operator[i].From = d
		if o.USDPerHour < 0 || o.MinutesPerCase < 0 || o.MinutesPerMessage < 0 {
			return p, fmt.Errorf("operator[%d]: want from: YYYY-MM-DD and non-negative usd_per_hour, minutes_per_case, minutes_per_message", i)
		}
	}
	// Latest first, so a lookup takes the first row in force.
	slices.SortStableFunc(p.Templates, func(a, b TemplatePrice) int { return a.From.DaysUntil(b.From) })
	slices.SortStableFunc(p.Operator, func(a, b OperatorRate) int { return a.From.DaysUntil(b.From) })
	return p, nil
}

// Template is the price of one template message of category sent to country
// at t; false when no row covers it (the report counts those as unpriced).
func (p Prices) Template(country, category string, t time.Time) (float64, bool) {
	day := acuerdo.DateOf(t)
	country, category = strings.ToUpper(country), strings.ToLower(category)
	var fallback *TemplatePrice
	for i, r := range p.Templates {
		if r.Category != category || day.Before(r.From) {
			continue
		}
		if r.Country == country {
			return r.USD, true
		}
		if r.Country == "*" && fallback == nil {
			fallback = &p.Templates[i]
		}
	}
	if fallback != nil {
		return fallback.USD, true
	}
	return 0, false
}

// OperatorAt is the operator rate in force at t; false before the first.
func (p Prices) OperatorAt(t time.Time) (OperatorRate, bool) {
	day := acuerdo.DateOf(t)
	for _, r := range p.Operator {
		if !day.Before(r.From) {
			return r, true
		}
	}
	return OperatorRate{}, false
}
