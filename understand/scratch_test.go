package understand

import (
	"fmt"
	"testing"
	"time"
)

func TestScratch(t *testing.T) {
	now := time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC)
	for _, x := range []struct{ loc, country, text string }{
		{"es", "CO", "puedo pagar el lunes"}, {"es", "CO", "el 20 de enero"}, {"es", "MX", "te pago $18.450 el viernes"},
		{"es", "CO", "treinta mil"}, {"es", "CO", "50 lucas"}, {"pt-BR", "BR", "R$ 150"}, {"pt-BR", "BR", "em 8x"},
		{"es", "CO", "a 4 meses"}, {"en", "US", "in four payments"}, {"en", "US", "$40 a month"}, {"en", "US", "next Tuesday"},
		{"es", "CO", "a fin de mes"}, {"pt-BR", "BR", "dia 20"}, {"en", "US", "10 days after my date"}, {"en", "US", "12/14"},
		{"es", "CO", "14/12"}, {"es", "CO", "claro que sí"}, {"pt-BR", "BR", "sim, pode ser"}, {"es", "CO", "dale"},
		{"en", "US", "Can I pay 80 today and the rest on the 20th?"}, {"es", "CO", "el lunes 15"}, {"es", "CO", "quince de febrero"},
		{"es", "CO", "pago 80 mil hoy y el resto el 20"}, {"es", "CO", "2 palos"}, {"es", "CO", "medio millón"}, {"pt-BR", "BR", "segunda que vem"},
		{"es", "CO", "4050"}, {"es", "CO", "mañana por la mañana"}, {"es", "CO", "quiero pausar 15 días"},
	} {
		r := Read(x.text, Context{Locale: x.loc, Country: x.country, Now: now})
		fmt.Printf("%-50q %s %.2f sure=%v guards=%v also=%v dates=%v amts=%v inst=%d days=%d yn=%d lang=%s\n", x.text, r.Intent, r.Score, r.Sure, r.Guards, r.Also, r.Dates, r.Amounts, r.Installments, r.Days, r.YesNo, r.Lang)
	}
}
