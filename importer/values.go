package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"acuerdo"
)

// parseDate reads the dates spreadsheets produce: ISO (2024-03-15), day first
// (15/03/2024, 15-03-2024, 15.03.24) as written everywhere acuerdo works except
// the US, month first when monthFirst, and Excel serial numbers (45366).
func parseDate(s string, monthFirst bool) (acuerdo.Date, error) {
	if s == "" {
		return acuerdo.Date{}, fmt.Errorf("empty date")
	}
	if d, ok := excelSerial(s); ok {
		return d, nil
	}
	if len(s) >= 10 && s[4] == '-' {
		if d, err := acuerdo.ParseDate(s[:10]); err == nil {
			return d, nil
		}
	}
	if len(s) >= 10 && s[4] == '/' {
		if t, err := time.Parse("2006/01/02", s[:10]); err == nil {
			return acuerdo.DateOf(t), nil
		}
	}
	parts := strings.FieldsFunc(strings.Fields(s + " ")[0], func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	if len(parts) == 3 {
		a, e1 := strconv.Atoi(parts[0])
		b, e2 := strconv.Atoi(parts[1])
		y, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil {
			day, month := a, b
			if monthFirst {
				day, month = b, a
			}
			if len(parts[2]) == 2 {
				y += 2000
			}
			t := time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
			if t.Day() == day && int(t.Month()) == month && y >= 1900 && y < 2200 {
				return acuerdo.DateOf(t), nil
			}
		}
	}
	want := "DD/MM/YYYY"
	if monthFirst {
		want = "MM/DD/YYYY"
	}
	return acuerdo.Date{}, fmt.Errorf("%q is not a date: write it as YYYY-MM-DD or %s", s, want)
}

// excelSerial reads an Excel serial date (days since 1899-12-30) in a plausible
// range; RawCellValue hands dates over in this form.
func excelSerial(s string) (acuerdo.Date, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 20000 || f > 100000 || strings.ContainsAny(s, "-/") {
		return acuerdo.Date{}, false
	}
	return acuerdo.DateOf(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(f))), true
}

// parseTime reads a payment time: a date with an optional clock time, in loc when
// the text carries no zone. An Excel serial with a fraction carries the time.
func parseTime(s string, monthFirst bool, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 20000 && f <= 100000 {
		day := time.Date(1899, 12, 30, 0, 0, 0, 0, loc).AddDate(0, 0, int(f))
		return day.Add(time.Duration((f - float64(int(f))) * 24 * float64(time.Hour)).Round(time.Second)), nil
	}
	date, rest, _ := strings.Cut(s, " ")
	d, err := parseDate(date, monthFirst)
	if err != nil {
		return time.Time{}, err
	}
	t := d.Time(loc)
	if rest = strings.TrimSpace(rest); rest != "" {
		var clock time.Time
		var cerr error
		for _, layout := range []string{"15:04:05", "15:04", "3:04 PM", "3:04:05 PM"} {
			if clock, cerr = time.Parse(layout, rest); cerr == nil {
				break
			}
		}
		if cerr != nil {
			return time.Time{}, fmt.Errorf("%q has a time of day that is not HH:MM[:SS]", s)
		}
		t = t.Add(time.Duration(clock.Hour())*time.Hour + time.Duration(clock.Minute())*time.Minute + time.Duration(clock.Second())*time.Second)
	}
	return t, nil
}

// parseBool reads yes/no answers in es, pt and en.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "si", "sí", "sim", "yes", "y", "s", "true", "verdadero", "x", "ok":
		return true, nil
	case "0", "no", "não", "nao", "n", "false", "falso":
		return false, nil
	}
	return false, fmt.Errorf("%q is not yes or no: write si/sim/yes or no/não", s)
}

// parseInt reads a whole number, tolerating "12.0" as spreadsheets write it.
func parseInt(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int(f)) {
		return int(f), nil
	}
	return 0, fmt.Errorf("%q is not a whole number", s)
}

// localeOf returns the conversation language for a country.
func localeOf(country string) string {
	switch country {
	case "BR", "PT":
		return "pt-BR"
	case "US", "GB", "CA":
		return "en"
	}
	return "es"
}

// zoneOf returns the time zone of a country that has only one, or "" where the
// country spans several and the file must say.
func zoneOf(country string) string {
	switch country {
	case "CO":
		return "America/Bogota"
	case "PE":
		return "America/Lima"
	case "EC":
		return "America/Guayaquil"
	case "AR":
		return "America/Argentina/Buenos_Aires"
	case "CL":
		return "America/Santiago"
	case "UY":
		return "America/Montevideo"
	case "PY":
		return "America/Asuncion"
	case "BO":
		return "America/La_Paz"
	case "VE":
		return "America/Caracas"
	case "GT":
		return "America/Guatemala"
	case "CR":
		return "America/Costa_Rica"
	case "PA":
		return "America/Panama"
	case "DO":
		return "America/Santo_Domingo"
	}
	return ""
}

// DefaultZone returns the zone payment times are read in for a country: its only
// zone, or the capital's for countries with several.
func DefaultZone(country string) string {
	if z := zoneOf(country); z != "" {
		return z
	}
	switch country {
	case "BR":
		return "America/Sao_Paulo"
	case "MX":
		return "America/Mexico_City"
	case "US":
		return "America/New_York"
	case "ES":
		return "Europe/Madrid"
	}
	return "UTC"
}
