package policy

import (
	"testing"
	"time"

	"acuerdo"
)

func d(s string) acuerdo.Date {
	x, err := acuerdo.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

func holidayDates(country string, year int) []string {
	var out []string
	for _, h := range Holidays(country, year) {
		out = append(out, h.Date.String())
	}
	return out
}

func TestEaster(t *testing.T) {
	for year, want := range map[int]string{
		2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28",
		2028: "2028-04-16", 2030: "2030-04-21", 2038: "2038-04-25", 2285: "2285-03-22",
	} {
		if got := easter(year).String(); got != want {
			t.Errorf("easter(%d) = %s, want %s", year, got, want)
		}
	}
}

func TestHolidays(t *testing.T) {
	tests := []struct {
		country string
		year    int
		want    []string
	}{
		// The official 2026 list of Colombia (Ley 51 de 1983), 18 days.
		{"CO", 2026, []string{
			"2026-01-01", "2026-01-12", "2026-03-23", "2026-04-02", "2026-04-03", "2026-05-01",
			"2026-05-18", "2026-06-08", "2026-06-15", "2026-06-29", "2026-07-20", "2026-08-07",
			"2026-08-17", "2026-10-12", "2026-11-02", "2026-11-16", "2026-12-08", "2026-12-25",
		}},
		{"CO", 2027, []string{
			"2027-01-01", "2027-01-11", "2027-03-22", "2027-03-25", "2027-03-26", "2027-05-01",
			"2027-05-10", "2027-05-31", "2027-06-07", "2027-07-05", "2027-07-20", "2027-08-07",
			"2027-08-16", "2027-10-18", "2027-11-01", "2027-11-15", "2027-12-08", "2027-12-25",
		}},
		{"MX", 2026, []string{
			"2026-01-01", "2026-02-02", "2026-03-16", "2026-05-01", "2026-09-16", "2026-11-16", "2026-12-25",
		}},
		{"MX", 2030, []string{
			"2030-01-01", "2030-02-04", "2030-03-18", "2030-05-01", "2030-09-16", "2030-10-01", "2030-11-18", "2030-12-25",
		}},
		{"BR", 2026, []string{
			"2026-01-01", "2026-04-03", "2026-04-21", "2026-05-01", "2026-09-07", "2026-10-12",
			"2026-11-02", "2026-11-15", "2026-11-20", "2026-12-25",
		}},
		{"BR", 2027, []string{
			"2027-01-01", "2027-03-26", "2027-04-21", "2027-05-01", "2027-09-07", "2027-10-12",
			"2027-11-02", "2027-11-15", "2027-11-20", "2027-12-25",
		}},
		{"AR", 2026, []string{
			"2026-01-01", "2026-02-16", "2026-02-17", "2026-03-24", "2026-04-02", "2026-04-03",
			"2026-05-01", "2026-05-25", "2026-06-15", "2026-06-20", "2026-07-09", "2026-08-17",
			"2026-10-12", "2026-11-23", "2026-12-08", "2026-12-25",
		}},
		{"ES", 2026, []string{
			"2026-01-01", "2026-01-06", "2026-04-03", "2026-05-01", "2026-08-15", "2026-10-12",
			"2026-11-01", "2026-12-06", "2026-12-08", "2026-12-25",
		}},
		{"ES", 2027, []string{
			"2027-01-01", "2027-01-06", "2027-03-26", "2027-05-01", "2027-08-15", "2027-10-12",
			"2027-11-01", "2027-12-06", "2027-12-08", "2027-12-25",
		}},
		// 2026: 4 July is a Saturday, observed Friday 3 July.
		{"US", 2026, []string{
			"2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03", "2026-07-04",
			"2026-09-07", "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
		}},
		// 2027: 1 January 2028 is a Saturday, observed 31 December 2027;
		// 19 June, 4 July and 25 December 2027 fall on weekends.
		{"US", 2027, []string{
			"2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-06-19", "2027-07-04", "2027-07-05",
			"2027-09-06", "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-25", "2027-12-31",
		}},
		{"XX", 2026, nil},
	}
	for _, tt := range tests {
		got := holidayDates(tt.country, tt.year)
		if len(got) != len(tt.want) {
			t.Errorf("%s %d: got %d holidays %v, want %d %v", tt.country, tt.year, len(got), got, len(tt.want), tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s %d: holiday %d = %s, want %s (all: %v)", tt.country, tt.year, i, got[i], tt.want[i], got)
			}
		}
	}
}

func TestHolidaysAreMondaysWhenMoved(t *testing.T) {
	// Every Emiliani holiday lands on a Monday, whatever the year.
	for year := 2020; year <= 2040; year++ {
		for _, h := range Holidays("CO", year) {
			switch h.Name {
			case "Reyes Magos", "San José", "San Pedro y San Pablo", "Asunción de la Virgen", "Día de la Raza",
				"Todos los Santos", "Independencia de Cartagena", "Ascensión del Señor", "Corpus Christi", "Sagrado Corazón":
				if wd := weekday(h.Date); wd != time.Monday {
					t.Errorf("%s %s is a %s", h.Name, h.Date, wd)
				}
			}
		}
	}
}
