package policy

import (
	"strings"
	"testing"
	"time"

	"acuerdo"
)

func tp(s string) *time.Time { t := utc(s + " 12:00:00"); return &t }

func cop(s string) acuerdo.Money {
	m, err := acuerdo.ParseMoney(s, "COP")
	if err != nil {
		panic(err)
	}
	return m
}

func TestDateChange(t *testing.T) {
	c := Default()
	today := d("2026-03-10")
	tests := []struct {
		name              string
		current, proposed acuerdo.Date
		last              *time.Time
		want              string
		reason            string // a fragment the reason must contain
	}{
		{"within 30 days", d("2026-03-15"), d("2026-04-01"), nil, RuleDateChange, ""},
		{"exactly 30 days after the due date", d("2026-03-15"), d("2026-04-14"), nil, RuleDateChange, ""},
		{"31 days after the due date", d("2026-03-15"), d("2026-04-15"), nil, RuleDateChangeMaxDays, "latest date allowed is 2026-04-14"},
		{"past due: counts from today", d("2026-02-01"), d("2026-04-09"), nil, RuleDateChange, ""},
		{"past due: 31 days from today", d("2026-02-01"), d("2026-04-10"), nil, RuleDateChangeMaxDays, "latest date allowed is 2026-04-09"},
		{"unknown due date: counts from today", acuerdo.Date{}, d("2026-04-09"), nil, RuleDateChange, ""},
		{"today is allowed", d("2026-03-05"), today, nil, RuleDateChange, ""},
		{"in the past", d("2026-03-15"), d("2026-03-09"), nil, RuleDateChangeInPast, "2026-03-10 to 2026-04-14"},
		{"no date", d("2026-03-15"), acuerdo.Date{}, nil, RuleDateChangeInPast, ""},
		{"same date", d("2026-03-15"), d("2026-03-15"), nil, RuleDateChangeSameDate, ""},
		{"earlier than the due date", d("2026-03-15"), d("2026-03-12"), nil, RuleDateChange, ""},
		{"changed 89 days ago", d("2026-03-15"), d("2026-04-01"), tp("2025-12-11"), RuleDateChangeFrequency, "next from 2026-03-11"},
		{"changed exactly 90 days ago", d("2026-03-15"), d("2026-04-01"), tp("2025-12-10"), RuleDateChange, ""},
	}
	for _, tt := range tests {
		got := c.DateChange(tt.current, tt.proposed, today, tt.last)
		if got.Rule != tt.want || got.Allowed != (tt.want == RuleDateChange) || !strings.Contains(got.Reason, tt.reason) {
			t.Errorf("%s: got %+v, want rule %s with %q", tt.name, got, tt.want, tt.reason)
		}
	}
	if got := c.MaxNewDueDate(d("2026-03-15"), today); got != d("2026-04-14") {
		t.Errorf("MaxNewDueDate = %s", got)
	}
}

func TestPause(t *testing.T) {
	c := Default()
	today := d("2026-03-10")
	tests := []struct {
		name string
		days int
		last *time.Time
		want string
	}{
		{"1 day", 1, nil, RulePause},
		{"30 days", 30, nil, RulePause},
		{"0 days", 0, nil, RulePauseDays},
		{"31 days", 31, nil, RulePauseDays},
		{"negative", -5, nil, RulePauseDays},
		{"paused 11 months ago", 10, tp("2025-04-10"), RulePauseFrequency},
		{"paused the day before 12 months", 10, tp("2025-03-11"), RulePauseFrequency},
		{"paused exactly 12 months ago", 10, tp("2025-03-10"), RulePause},
	}
	for _, tt := range tests {
		got := c.Pause(tt.days, today, tt.last)
		if got.Rule != tt.want || got.Allowed != (tt.want == RulePause) || got.Reason == "" {
			t.Errorf("%s: got %+v, want %s", tt.name, got, tt.want)
		}
	}
	none := Default()
	none.Negotiation.PauseMaxDays = 0
	if got := none.Pause(5, today, nil); got.Allowed {
		t.Errorf("pauses off: got %+v", got)
	}
}

func TestPlanArithmetic(t *testing.T) {
	c := Default()
	today := d("2026-03-10")
	for _, bal := range []acuerdo.Money{
		cop("1000000.00"), cop("1000000.01"), cop("999999.99"), cop("150000.50"), cop("12345.67"), cop("1.00"),
		{Amount: 1234567, Currency: "CLP"}, {Amount: 100003, Currency: "USD"}, {Amount: 98765, Currency: "KWD"},
	} {
		for n := 2; n <= 12; n++ {
			plan, dec := c.Plan(bal, n, d("2026-03-31"), today)
			if !dec.Allowed {
				t.Errorf("%s in %d: refused: %s", bal, n, dec.Reason)
				continue
			}
			var sum int64
			for i, in := range plan {
				sum += in.Amount.Amount
				if in.Seq != i+1 || in.Amount.Currency != bal.Currency || in.Status != acuerdo.InstallmentDue {
					t.Errorf("%s in %d: installment %d = %+v", bal, n, i, in)
				}
				if i > 0 && in.Amount.Amount != plan[1].Amount.Amount {
					t.Errorf("%s in %d: installments after the first differ: %v", bal, n, plan)
				}
			}
			if sum != bal.Amount {
				t.Errorf("%s in %d: sum %d, want %d", bal, n, sum, bal.Amount)
			}
			if plan[0].Amount.Amount*10 < bal.Amount {
				t.Errorf("%s in %d: first %s below 10%%", bal, n, plan[0].Amount)
			}
		}
	}
}

func TestPlanInstallments(t *testing.T) {
	c := Default()
	today := d("2026-03-10")
	amounts := func(p []acuerdo.Installment) []string {
		var out []string
		for _, in := range p {
			out = append(out, in.Amount.Decimal()+"@"+in.DueDate.String())
		}
		return out
	}
	tests := []struct {
		name    string
		balance acuerdo.Money
		n       int
		start   acuerdo.Date
		want    []string
		rule    string
	}{
		{"three equal with remainder on the first", cop("100000.00"), 3, d("2026-03-31"),
			[]string{"33333.34@2026-03-31", "33333.33@2026-04-30", "33333.33@2026-05-31"}, RulePlan},
		{"ten is exactly 10 %", cop("1000.00"), 10, d("2026-03-15"),
			[]string{"100.00@2026-03-15", "100.00@2026-04-15", "100.00@2026-05-15", "100.00@2026-06-15", "100.00@2026-07-15",
				"100.00@2026-08-15", "100.00@2026-09-15", "100.00@2026-10-15", "100.00@2026-11-15", "100.00@2026-12-15"}, RulePlan},
		{"twelve: first raised to 10 %", cop("1200.00"), 12, d("2026-04-01"),
			[]string{"120.02@2026-04-01", "98.18@2026-05-01", "98.18@2026-06-01", "98.18@2026-07-01", "98.18@2026-08-01", "98.18@2026-09-01",
				"98.18@2026-10-01", "98.18@2026-11-01", "98.18@2026-12-01", "98.18@2027-01-01", "98.18@2027-02-01", "98.18@2027-03-01"}, RulePlan},
		{"eleven: first raised to 10 %", cop("1000.00"), 11, d("2026-04-01"),
			[]string{"100.00@2026-04-01", "90.00@2026-05-01", "90.00@2026-06-01", "90.00@2026-07-01", "90.00@2026-08-01", "90.00@2026-09-01",
				"90.00@2026-10-01", "90.00@2026-11-01", "90.00@2026-12-01", "90.00@2027-01-01", "90.00@2027-02-01"}, RulePlan},
		{"one installment", cop("300.00"), 1, d("2026-03-31"), nil, RulePlanInstallments},
		{"thirteen installments", cop("300.00"), 13, d("2026-03-31"), nil, RulePlanInstallments},
		{"start in the past", cop("300.00"), 2, d("2026-03-09"), nil, RulePlanStartDate},
		{"start too late", cop("300.00"), 2, d("2026-04-10"), nil, RulePlanStartDate},
		{"start 30 days out", cop("300.00"), 2, d("2026-04-09"), []string{"150.00@2026-04-09", "150.00@2026-05-09"}, RulePlan},
		{"nothing to split", cop("0.00"), 2, d("2026-03-31"), nil, RulePlanSum},
		{"too small to split", acuerdo.Money{Amount: 3, Currency: "COP"}, 4, d("2026-03-31"), nil, RulePlanSum},
		{"too small once the first is raised", cop("0.12"), 12, d("2026-03-31"), nil, RulePlanSum},
	}
	for _, tt := range tests {
		plan, dec := c.Plan(tt.balance, tt.n, tt.start, today)
		if dec.Rule != tt.rule || dec.Allowed != (tt.rule == RulePlan) {
			t.Errorf("%s: got %+v, want %s", tt.name, dec, tt.rule)
			continue
		}
		if got := amounts(plan); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, dec := c.Plan(cop("300.00"), 20, d("2026-03-31"), today); !strings.Contains(dec.Reason, "2 to 12") {
		t.Errorf("refusal should list the range: %q", dec.Reason)
	}
}

func TestAddMonths(t *testing.T) {
	for _, tt := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"}, {"2028-01-31", 1, "2028-02-29"}, {"2026-01-31", 2, "2026-03-31"},
		{"2026-03-31", 1, "2026-04-30"}, {"2026-11-15", 3, "2027-02-15"}, {"2026-05-10", 0, "2026-05-10"},
	} {
		if got := addMonths(d(tt.from), tt.n); got != d(tt.want) {
			t.Errorf("addMonths(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}

func TestCheckPlan(t *testing.T) {
	c := Default()
	today := d("2026-03-10")
	in := func(amount string, due string) acuerdo.Installment {
		return acuerdo.Installment{Amount: cop(amount), DueDate: d(due)}
	}
	tests := []struct {
		name string
		plan []acuerdo.Installment
		want string
	}{
		{"good", []acuerdo.Installment{in("100.00", "2026-03-20"), in("900.00", "2026-04-20")}, RulePlan},
		{"first exactly 10 %", []acuerdo.Installment{in("100.00", "2026-03-20"), in("450.00", "2026-04-20"), in("450.00", "2026-05-20")}, RulePlan},
		{"first below 10 %", []acuerdo.Installment{in("99.99", "2026-03-20"), in("450.01", "2026-04-20"), in("450.00", "2026-05-20")}, RulePlanFirstInstallment},
		{"sum short by a cent", []acuerdo.Installment{in("500.00", "2026-03-20"), in("499.99", "2026-04-20")}, RulePlanSum},
		{"wrong currency", []acuerdo.Installment{in("500.00", "2026-03-20"), {Amount: acuerdo.Money{Amount: 50000, Currency: "USD"}, DueDate: d("2026-04-20")}}, RulePlanSum},
		{"zero installment", []acuerdo.Installment{in("1000.00", "2026-03-20"), in("0.00", "2026-04-20")}, RulePlanSum},
		{"dates not increasing", []acuerdo.Installment{in("500.00", "2026-03-20"), in("500.00", "2026-03-20")}, RulePlanDates},
		{"empty", nil, RulePlanInstallments},
	}
	for _, tt := range tests {
		got := c.CheckPlan(cop("1000.00"), tt.plan, today)
		if got.Rule != tt.want || got.Allowed != (tt.want == RulePlan) {
			t.Errorf("%s: got %+v, want %s", tt.name, got, tt.want)
		}
	}
}

func TestDiscount(t *testing.T) {
	none := Default()
	ten := Default()
	ten.Negotiation.MaxDiscountPercent = 10
	tests := []struct {
		name     string
		c        Config
		discount acuerdo.Money
		want     string
	}{
		{"no discount asked", none, cop("0.00"), RuleDiscount},
		{"default grants none", none, cop("1.00"), RuleDiscountNotGranted},
		{"within 10 %", ten, cop("99.99"), RuleDiscount},
		{"exactly 10 %", ten, cop("100.00"), RuleDiscount},
		{"above 10 %", ten, cop("100.01"), RuleDiscountMaxPercent},
		{"other currency", ten, acuerdo.Money{Amount: 1, Currency: "USD"}, RuleDiscountMaxPercent},
	}
	for _, tt := range tests {
		got := tt.c.Discount(cop("1000.00"), tt.discount)
		if got.Rule != tt.want || got.Allowed != (tt.want == RuleDiscount) {
			t.Errorf("%s: got %+v, want %s", tt.name, got, tt.want)
		}
	}
	if got := ten.Discount(cop("1000.00"), cop("150.00")); !strings.Contains(got.Reason, "largest allowed is 100.00") {
		t.Errorf("refusal should say the largest discount: %q", got.Reason)
	}
}
