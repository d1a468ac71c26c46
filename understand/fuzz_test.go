package understand

import (
	"strings"
	"testing"
	"time"
)

// FuzzRead feeds the reader what debtors might send: it must never panic,
// and every date it reads must be a real day.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"hola", "te pago $18.450 el lunes 14", "em 8x", "31/02", "el 31", "10 days after my date", "medio palo",
		"🙏🙏", "R$ 1.500,50 dia 20", "a fin de mes que viene", "no soy Ana", "quince de febrero del 2027", "9999999999999999999 lucas", "\xff", strings.Repeat("no ", 500), "I’m not Robert"} {
		f.Add(s)
	}
	ctx := Context{Locale: "es", Country: "CO", Now: time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4000 {
			return
		}
		r := Read(s, ctx)
		for _, d := range r.Dates {
			if d.Date.IsZero() || d.Date.Month < 1 || d.Date.Month > 12 || d.Date.Day < 1 || d.Date.Day > 31 {
				t.Fatalf("Read(%q) gave date %+v", s, d)
			}
		}
		for _, a := range r.Amounts {
			if a.Money.Amount < 0 {
				t.Fatalf("Read(%q) gave a negative amount %+v", s, a)
			}
		}
	})
}
