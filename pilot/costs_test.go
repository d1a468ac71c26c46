package pilot

import (
	"math"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/store"
)

func day0(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTemplatePrices(t *testing.T) {
	p, err := ParsePrices([]byte(`
templates:
  - {country: co, category: Utility, from: 2025-07-01, usd: 0.0008}
  - {country: CO, category: utility, from: 2026-01-01, usd: 0.0010}
  - {country: "*", category: utility, from: 2025-07-01, usd: 0.0080}
operator:
  - {from: 2025-01-01, usd_per_hour: 6, minutes_per_case: 8, minutes_per_message: 1.5}
  - {from: 2026-03-01, usd_per_hour: 7.5, minutes_per_case: 8, minutes_per_message: 1.5}
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		country, category, at string
		usd                   float64
		ok                    bool
	}{
		{"CO", "utility", "2025-06-30T23:00:00Z", 0, false}, // before any row
		{"CO", "utility", "2025-07-01T00:00:00Z", 0.0008, true},
		{"CO", "utility", "2025-12-31T23:59:59Z", 0.0008, true},
		{"CO", "utility", "2026-01-01T00:00:00Z", 0.0010, true}, // the later row takes over
		{"co", "UTILITY", "2026-05-01T00:00:00Z", 0.0010, true},
		{"PE", "utility", "2026-05-01T00:00:00Z", 0.0080, true}, // the rest of the world
		{"CO", "marketing", "2026-05-01T00:00:00Z", 0, false},   // no row for the category
	} {
		usd, ok := p.Template(c.country, c.category, day0(c.at))
		if usd != c.usd || ok != c.ok {
			t.Errorf("Template(%s, %s, %s) = %v, %v; want %v, %v", c.country, c.category, c.at, usd, ok, c.usd, c.ok)
		}
	}
	if r, ok := p.OperatorAt(day0("2026-02-28T12:00:00Z")); !ok || r.USDPerHour != 6 {
		t.Errorf("operator rate in February: %+v %v", r, ok)
	}
	if r, ok := p.OperatorAt(day0("2026-03-01T00:00:00Z")); !ok || r.USDPerHour != 7.5 {
		t.Errorf("operator rate in March: %+v %v", r, ok)
	}
	if _, ok := p.OperatorAt(day0("2024-12-31T00:00:00Z")); ok {
		t.Error("an operator rate before the first row")
	}
}

func TestParsePricesErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"templates:\n  - {country: CO, category: utility, usd: 1}\n", "from is required"},
		{"templates:\n  - {country: CO, category: utility, from: 2025-13-01, usd: 1}\n", "YYYY-MM-DD"},
		{"templates:\n  - {category: utility, from: 2025-01-01, usd: 1}\n", "country and category are required"},
		{"templates:\n  - {country: CO, category: utility, from: 2025-01-01, usd: -1}\n", "must not be negative"},
		{"operator:\n  - {from: 2025-01-01, usd_per_hour: -3}\n", "non-negative"},
		{"templatez: []\n", "want templates:"},
	} {
		if _, err := ParsePrices([]byte(c.yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePrices(%q) = %v; want an error saying %q", c.yaml, err, c.want)
		}
	}
	if p := DefaultPrices(); len(p.Templates) == 0 || len(p.Operator) == 0 {
		t.Fatalf("default prices %+v", p)
	}
}

// TestCostsOf prices a small pilot by hand: template messages at the
// country's rate of the day they went out, failed ones free, operator cases
// and messages at the operator rate.
func TestCostsOf(t *testing.T) {
	p, err := ParsePrices([]byte(`
templates:
  - {country: CO, category: utility, from: 2025-07-01, usd: 0.001}
  - {country: CO, category: utility, from: 2026-02-01, usd: 0.002}
  - {country: CO, category: marketing, from: 2025-07-01, usd: 0.02}
  - {country: "*", category: utility, from: 2025-07-01, usd: 0.01}
operator:
  - {from: 2025-01-01, usd_per_hour: 6, minutes_per_case: 10, minutes_per_message: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	assigned := day0("2026-01-15T00:00:00Z")
	data := store.ExperimentData{
		Rows: []store.CohortRow{
			{DebtorID: 1, Country: "CO", AssignedAt: assigned, CostUSD: 0.25, OperatorCases: 1},
			{DebtorID: 2, Country: "BR", AssignedAt: assigned},
			{DebtorID: 3, Country: "CO", AssignedAt: assigned},
		},
		Messages: []store.CohortMessage{
			{Row: 0, At: day0("2026-01-20T10:00:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Status: acuerdo.MessageDelivered, Template: "first_contact", TemplateID: "HX1"},
			{Row: 0, At: day0("2026-02-02T10:00:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Status: acuerdo.MessageRead, Template: "first_contact", TemplateID: "HX1"},
			{Row: 0, At: day0("2026-02-03T10:00:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorOperator, Status: acuerdo.MessageDelivered},
			{Row: 0, At: day0("2026-02-03T10:05:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorOperator, Status: acuerdo.MessageDelivered},
			{Row: 1, At: day0("2026-01-20T10:00:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Status: acuerdo.MessageSent, Template: "promo", TemplateID: "HX2"},
			{Row: 2, At: day0("2026-01-20T10:00:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Status: "failed", Template: "first_contact", TemplateID: "HX1"},
			{Row: 2, At: day0("2026-01-20T10:00:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Status: acuerdo.MessageDelivered}, // session text: free
			{Row: 2, At: day0("2026-01-21T10:00:00Z"), Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Status: acuerdo.MessageDelivered, Template: "promo", TemplateID: "HX2"},
		},
	}
	cat := map[string]string{"first_contact": "utility", "promo": "marketing"}
	costs, unpriced := costsOf(data, p, func(n string) string { return cat[n] })
	want := []DebtorCost{
		// 0.001 (January rate) + 0.002 (February rate); 10 + 2×2 minutes at $6/h = $1.40.
		{LLMUSD: 0.25, TemplateMessages: 2, TemplateUSD: 0.003, OperatorCases: 1, OperatorMessages: 2, OperatorMinutes: 14, OperatorUSD: 1.4},
		// Brazil has no marketing row and "*" has none either: counted, unpriced.
		{TemplateMessages: 1},
		// The failed template is free; the marketing one costs 0.02.
		{TemplateMessages: 1, TemplateUSD: 0.02},
	}
	if unpriced != 1 {
		t.Errorf("unpriced %d; want 1", unpriced)
	}
	for i := range want {
		g, w := costs[i], want[i]
		if g.TemplateMessages != w.TemplateMessages || g.OperatorCases != w.OperatorCases || g.OperatorMessages != w.OperatorMessages ||
			!near(g.LLMUSD, w.LLMUSD) || !near(g.TemplateUSD, w.TemplateUSD) || !near(g.OperatorMinutes, w.OperatorMinutes) || !near(g.OperatorUSD, w.OperatorUSD) {
			t.Errorf("debtor %d: %+v; want %+v", i+1, g, w)
		}
	}
	if !near(costs[0].Total(), 0.25+0.003+1.4) {
		t.Errorf("total %v", costs[0].Total())
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestScenarioRows checks conversion by band and by first-payment method
// against counts done by hand, including a band with no payer and a tie.
func TestScenarioRows(t *testing.T) {
	assigned := day0("2026-01-01T00:00:00Z")
	// Debtors: arm, days past due. Band 1–30: C0 C1 T2 T3; band 91–180: C4 T5.
	arms := []string{"control", "control", "treatment", "treatment", "control", "treatment"}
	dpd := []int{10, 20, 15, 25, 100, 120}
	data := store.ExperimentData{}
	data.HorizonDays = 90
	for i := range arms {
		data.Rows = append(data.Rows, store.CohortRow{DebtorID: int64(i + 1), Arm: arms[i], DaysPastDue: dpd[i], AssignedAt: assigned, Stratum: "s"})
	}
	// C1 pays by card on day 3; T2 by "Tarjeta de crédito" then cash; T3 pays
	// twice on day 5 (cash listed first); T5 by PSE. C0 and C4 never pay.
	pay := func(row int, d int, amount int64, method string) store.CohortPayment {
		return store.CohortPayment{Row: row, PaidAt: assigned.Add(time.Duration(d-1)*24*time.Hour + time.Hour), Amount: amount, Method: method}
	}
	data.Payments = []store.CohortPayment{pay(1, 3, 100, "card"), pay(2, 4, 50, "Tarjeta de crédito"), pay(2, 9, 50, "cash"),
		pay(3, 5, 10, "cash"), pay(3, 5, 10, "card"), pay(5, 20, 70, "PSE")}
	c, p := cohortOf(data, make([]DebtorCost, len(data.Rows)), assigned.AddDate(0, 0, 90), 0)
	rows := ScenarioRows(experiments.RowContext{Experiment: "x"}, c, p, data, 1)
	got := map[string]float64{}
	for _, r := range rows {
		got[r.Metric+"/"+r.Arm] = r.Estimate
	}
	for key, want := range map[string]float64{
		"conversion_dpd_001_030/control":                 0.5, // C1 of C0, C1
		"conversion_dpd_001_030/treatment":               1,   // T2, T3
		"conversion_dpd_001_030/difference":              0.5,
		"conversion_dpd_091_180/control":                 0,
		"conversion_dpd_091_180/treatment":               1,
		"conversion_method_card/control":                 1.0 / 3, // C1 of three controls
		"conversion_method_card/treatment":               0,
		"conversion_method_cash/treatment":               1.0 / 3, // T3 (tie on day 5: the first listed)
		"conversion_method_tarjeta_de_credito/treatment": 1.0 / 3,
		"conversion_method_pse/treatment":                1.0 / 3,
	} {
		if g, ok := got[key]; !ok || !near(g, want) {
			t.Errorf("%s = %v (present %v); want %v", key, g, ok, want)
		}
	}
	if _, ok := got["conversion_dpd_031_060/control"]; ok {
		t.Error("a row for a band nobody is in")
	}
}

// TestCompareShares checks the difference interval against Newcombe (1998),
// Statistics in Medicine 17:873–890, Table II example (a), method 10:
// 56/70 − 48/80 = 0.2000, 95 % CI 0.0524 to 0.3339; the p-value is the pooled
// z-test by hand: pooled 104/150, SE 0.075467, z = 2.6502, p = 0.008045.
func TestCompareShares(t *testing.T) {
	c := compareShares([2]int{48, 56}, [2]int{80, 70})
	if !near4(c.Diff.Value, 0.2) || !near4(c.Diff.Low, 0.0524) || !near4(c.Diff.High, 0.3339) {
		t.Errorf("difference %+v; want 0.2000 [0.0524, 0.3339]", c.Diff)
	}
	if !near4(c.P, 0.008045) {
		t.Errorf("p = %v; want 0.008045", c.P)
	}
	// Zero in an arm: Wilson stays inside [0, 1], the relative lift is undefined.
	z := compareShares([2]int{0, 3}, [2]int{20, 20})
	if z.Control.Low != 0 || z.Control.High <= 0 || z.Control.High >= 0.2 || !math.IsNaN(z.Rel.Value) || z.Diff.Low <= -0.2 {
		t.Errorf("zero control %+v", z)
	}
}

func near4(a, b float64) bool { return math.Abs(a-b) < 5e-5 }
