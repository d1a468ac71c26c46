package understand

import (
	"testing"
	"time"
)

// TestTimes reads the times debtors give for a call back, in es, pt-BR and
// en, on Tuesday 2026-03-10 at 10:00 in the debtor's zone.
func TestTimes(t *testing.T) {
	bogota, _ := time.LoadLocation("America/Bogota")
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, bogota)
	tests := []struct {
		locale, text string
		want         string // local "2006-01-02 15:04"; "" for no time
		after        bool
		callback     bool // the message also asks for a call
	}{
		{"es", "mañana a las 10", "2026-03-11 10:00", false, false},
		{"es", "llámame mañana a las 10", "2026-03-11 10:00", false, true},
		{"es", "me pueden llamar mañana en la tarde?", "2026-03-11 15:00", false, true},
		{"es", "márcame después de las 5", "2026-03-10 17:00", true, true},
		{"es", "a las 3 de la tarde", "2026-03-10 15:00", false, false},
		{"es", "hoy a las 8 de la noche", "2026-03-10 20:00", false, false},
		{"es", "mañana por la mañana", "2026-03-11 09:00", false, false},
		{"es", "el viernes a las 9:30", "2026-03-13 09:30", false, false},
		{"es", "a las nueve", "2026-03-11 09:00", false, false},
		{"es", "quiero pagar en 3 cuotas", "", false, false},
		{"es", "puedo pagar las 2 cuotas", "", false, false},
		{"es", "es muy tarde para pagar", "", false, false},
		{"pt-BR", "depois das 18h", "2026-03-10 18:00", true, false},
		{"pt-BR", "pode me ligar depois das 18h?", "2026-03-10 18:00", true, true},
		{"pt-BR", "amanhã às 14h30", "2026-03-11 14:30", false, false},
		{"pt-BR", "amanhã de manhã", "2026-03-11 09:00", false, false},
		{"pt-BR", "pago as 3 parcelas", "", false, false},
		{"en", "tomorrow morning", "2026-03-11 09:00", false, false},
		{"en", "can you call me tomorrow morning?", "2026-03-11 09:00", false, true},
		{"en", "call me at 3pm", "2026-03-10 15:00", false, true},
		{"en", "after 5", "2026-03-10 17:00", true, false},
		{"en", "monday at 11am", "2026-03-16 11:00", false, false},
		{"en", "I can pay 300 tomorrow", "", false, false},
	}
	for _, tt := range tests {
		r := Read(tt.text, Context{Locale: tt.locale, Country: "CO", Now: now})
		got := ""
		if r.Time != nil {
			got = r.Time.At.Format("2006-01-02 15:04")
		}
		if got != tt.want {
			t.Errorf("%s %q: time %q, want %q", tt.locale, tt.text, got, tt.want)
			continue
		}
		if r.Time != nil && r.Time.After != tt.after {
			t.Errorf("%s %q: after %v, want %v", tt.locale, tt.text, r.Time.After, tt.after)
		}
		if tt.callback && !r.Has(Callback) {
			t.Errorf("%s %q: callback not read (intent %s, also %v)", tt.locale, tt.text, r.Intent, r.Also)
		}
	}
}
