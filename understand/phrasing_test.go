package understand

import (
	"slices"
	"testing"
)

// TestGuardsAsDebtorsWrite reads guard phrasings found by trying the product
// the way debtors and strangers write: the debtor's name in lower case, no
// accents, Portuguese "no" meaning "in the", the debtor's death told by a
// relative, money troubles in everyday words, name-calling.
func TestGuardsAsDebtorsWrite(t *testing.T) {
	tests := []struct {
		name, text string
		want       Intent // the most urgent guard; "" for none
		also       Intent // another guard that must be present too
	}{
		// Whoever does not know the debtor has the wrong number.
		{"Juan Sánchez Torres", "este número no es de Juan, se equivocaron", WrongNumber, ""},
		{"Juan Sánchez Torres", "quien es juan? yo no soy", WrongNumber, ""},
		{"Juan Sánchez Torres", "quien?? no conozco a ningun juan", WrongNumber, ""},
		{"Juan Sánchez Torres", "aqui no vive ningun juan", WrongNumber, ""},
		{"Mateus Oliveira Lima", "quem é mateus? nao sou eu", WrongNumber, ""},
		{"Mateus Oliveira Lima", "nao conheco nenhum mateus", WrongNumber, ""},
		{"Robert King", "who is robert", WrongNumber, ""},
		{"Robert King", "i dont know any robert", WrongNumber, ""},
		{"", "no conozco a esa persona", WrongNumber, ""},
		{"", "no lo conozco", WrongNumber, ""},
		{"", "ese numero no es de el", WrongNumber, ""},
		{"", "vcs erraram o numero", WrongNumber, ""},
		{"", "se equivocaron", WrongNumber, ""},
		{"", "equivocado", WrongNumber, ""},
		{"", "ese man no vive aqui", WrongNumber, ""},
		{"", "I don't know who that is", WrongNumber, ""},
		// Someone else, who may know the debtor.
		{"Juan Sánchez Torres", "no soy juan", ThirdParty, ""},
		{"Robert King", "not robert lol", ThirdParty, ""},
		{"", "sou esposa do mateus", ThirdParty, ""},
		{"", "hes in jail", ThirdParty, ""},
		{"", "mi esposo esta hospitalizado y no puede contestar", ThirdParty, Hardship},
		// The debtor died: a third party, and a person follows up.
		{"", "ele faleceu", ThirdParty, Hardship},
		{"", "he passed away", ThirdParty, Hardship},
		{"", "el murio hace un mes", ThirdParty, Hardship},
		{"Juan Sánchez Torres", "juan fallecio el mes pasado", ThirdParty, Hardship},
		// Hardship in everyday words; "no hospital" is Portuguese "in the hospital".
		{"", "minha mae ta no hospital", Hardship, ""},
		{"", "ando corto de dinero este mes", Hardship, ""},
		{"", "tô apertado esse mes", Hardship, ""},
		{"", "nao tenho dinheiro", Hardship, ""},
		{"", "i dont have money right now", Hardship, ""},
		{"", "no tengo plata hoy, el viernes le pago", "", ""},
		// Stop, however rudely.
		{"", "no molesten mas", OptOut, ""},
		{"", "vete a la mierda", OptOut, ""},
		{"", "fuck off", OptOut, ""},
		{"", "ya no kiero mensajes", OptOut, ""},
		{"", "pls dont msg me again", OptOut, ""},
		{"", "naum quero mais msg", OptOut, ""},
		{"", "nao fiz nenhuma compra", Dispute, ""},
		{"", "no hice ninguna compra con ustedes", Dispute, ""},
		// Name-calling reaches a person.
		{"", "ustedes son unos ladrones", Complaint, ""},
		{"", "vcs sao uns ladroes", Complaint, ""},
		{"", "you guys are scammers", Complaint, ""},
		{"", "u guys keep calling me at work its ridiculous", Complaint, ""},
		{"", "me escriben a cada rato, que fastidio", Complaint, ""},
		// Not guards.
		{"Juan Sánchez Torres", "soy juan", "", ""},
		{"Juan Sánchez Torres", "si, juan al habla", "", ""},
		{"", "el monto esta equivocado", Dispute, ""},
		{"", "que empresa es esta", "", ""},
		{"", "my phone died", "", ""},
	}
	for _, tt := range tests {
		c := testCtx
		c.Name = tt.name
		r := Read(tt.text, c)
		if r.Guard() != tt.want || tt.also != "" && !slices.Contains(r.Guards, tt.also) {
			t.Errorf("Read(%q) with name %q: guards %v; want %q first (and %q)", tt.text, tt.name, r.Guards, tt.want, tt.also)
		}
	}
}

// TestIntentsAsDebtorsWrite: promises in their words, a receipt that is not one.
func TestIntentsAsDebtorsWrite(t *testing.T) {
	tests := []struct {
		text string
		want Intent
	}{
		{"consigo pagar 150 na sexta", Promise},
		{"i get paid on the 15th, ill pay then", Promise},
		{"quiero pagar el viernes", Promise},
		{"quiero pagar", PayLink},
		{"quiero pagar hoy", PayLink},
		{"le mando el recibo", PaymentRep},
		{"ya pague", PaymentRep},
		{"pasame el numero de cuenta pa consignar", PayLink},
		{"lo puedo pagar de a poquito?", Plan},
		{"is there any way i can pay it monthly", Plan},
		{"can i pay later this month", DateChange},
		{"puedo pagar despues de la quincena?", DateChange},
		{"can i speak w someone", Human},
		{"hey so i can do 100 this friday and then the rest when i get paid on the 30th", Promise},
	}
	for _, tt := range tests {
		if r := Read(tt.text, testCtx); r.Intent != tt.want {
			t.Errorf("Read(%q).Intent = %q; want %q", tt.text, r.Intent, tt.want)
		}
	}
}

// TestLanguageAsDebtorsWrite: a short sentence plainly in one language is
// that language; courtesy words and words two languages share are not.
func TestLanguageAsDebtorsWrite(t *testing.T) {
	tests := []struct {
		text, lang, switchTo string
	}{
		{"Wrong number, I'm not Juan", "en", ""},
		{"I already paid", "en", ""},
		{"i lost my job", "en", ""},
		{"eu ja paguei", "pt-BR", ""},
		{"me gustaria un plan de pagos", "es", ""},
		{"ok thank you", "", ""},
		{"hola gracias", "", ""},
		{"ok thanks bro", "", ""},
		{"sorry i dont speak spanish", "en", "en"},
		{"no hablo bien el español, en inglés por favor", "", "en"},
		{"no entiendo portugues", "", ""},
	}
	for _, tt := range tests {
		r := Read(tt.text, testCtx)
		if r.Lang != tt.lang || r.SwitchTo != tt.switchTo {
			t.Errorf("Read(%q): Lang %q, SwitchTo %q; want %q, %q", tt.text, r.Lang, r.SwitchTo, tt.lang, tt.switchTo)
		}
	}
}

// TestRefusedDay: a day named only to say "not then" is not the day of the
// promise; "today and the rest on the 25th" keeps both.
func TestRefusedDay(t *testing.T) {
	tests := []struct {
		text string
		days []int // days of the month read, in order
	}{
		{"ahorita no tengo, le pago 500 varos el viernes", []int{11}},
		{"hoy no puedo, el viernes le pago 500", []int{11}},
		{"hoje nao da, pago 200 na sexta", []int{11}},
		{"not today, ill pay 100 on friday", []int{11}},
		{"puedo pagar 100 mil hoy y el resto el 25", []int{9, 25}},
		{"hoy no puedo", []int{9}},
	}
	for _, tt := range tests {
		r := Read(tt.text, testCtx)
		var got []int
		for _, d := range r.Dates {
			got = append(got, d.Date.Day)
		}
		if !slices.Equal(got, tt.days) {
			t.Errorf("Read(%q): days %v; want %v", tt.text, got, tt.days)
		}
	}
}

// TestMoneyAndDaysInTheirWords: Colombian slang amounts and chat spellings
// of days, read into a promise with its amount and day.
func TestMoneyAndDaysInTheirWords(t *testing.T) {
	tests := []struct {
		country, text string
		amount        string // decimal; "" for none
		day           int    // day of the month; 0 for none
	}{
		{"CO", "le abono medio palo el 15", "500000.00", 15},
		{"CO", "te pago un palo el viernes", "1000000.00", 11},
		{"CO", "le pago 80 barras el lunes", "80000.00", 14},
		{"MX", "le doy mil pesos el viernes", "1000.00", 11},
		{"US", "ill send 200 tmrw", "200.00", 10},
		{"US", "can pay 50 2morrow", "50.00", 10},
		{"BR", "pago 100 hj", "100.00", 9},
		{"CO", "te pago 50 mil mñn", "50000.00", 10},
		{"CO", "pago el prox viernes", "", 11},
		{"BR", "to sem dinheiro", "", 0},
	}
	for _, tt := range tests {
		c := testCtx
		c.Country = tt.country
		r := Read(tt.text, c)
		amount, day := "", 0
		if len(r.Amounts) > 0 {
			amount = r.Amounts[0].Money.Decimal()
		}
		if len(r.Dates) > 0 {
			day = r.Dates[0].Date.Day
		}
		if amount != tt.amount || day != tt.day {
			t.Errorf("Read(%q) in %s: amount %q, day %d; want %q, %d", tt.text, tt.country, amount, day, tt.amount, tt.day)
		}
		if tt.amount != "" && tt.day != 0 && r.Intent != Promise {
			t.Errorf("Read(%q).Intent = %q; want promise", tt.text, r.Intent)
		}
	}
}

// TestWeeksAsked: a pause asked by the week is days, never money, and never
// a hardship story.
func TestWeeksAsked(t *testing.T) {
	tests := []struct {
		text string
		days int
	}{
		{"me das una semana?", 7}, {"me da uma semana", 7}, {"denme 2 semanas porfa", 14},
		{"necesito un par de semanas", 14}, {"can u give me 2 weeks", 14}, {"give me a week pls", 7},
		{"preciso de quinze dias", 15},
	}
	for _, tt := range tests {
		r := Read(tt.text, testCtx)
		if r.Intent != Pause || r.Days != tt.days || len(r.Amounts) > 0 || len(r.Guards) > 0 {
			t.Errorf("Read(%q): %s, %d days, amounts %v, guards %v; want pause, %d days", tt.text, r.Intent, r.Days, r.Amounts, r.Guards, tt.days)
		}
	}
	for _, yes := range []string{"fechou", "firmeza", "demorou"} {
		if r := Read(yes, testCtx); r.YesNo != 1 {
			t.Errorf("Read(%q).YesNo = %d; want 1", yes, r.YesNo)
		}
	}
}

// Messages folded into one turn keep each line's guard: "BAJA" sent while
// "4050" was being answered is still an opt-out (TestDashboardMetricsExist
// lost it once turns were claimed a little later than before).
func TestFoldedLinesKeepTheirGuards(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Intent
	}{
		{"4050\nBAJA", OptOut},
		{"1020\nSTOP", OptOut},
		{"hola\nquiero hablar con una persona", Human},
		{"4050\nparem de me mandar mensagem", OptOut},
	} {
		if got := Read(tc.text, Context{Locale: "es", Country: "CO"}); !slices.Contains(got.Guards, tc.want) || got.Intent != got.Guards[0] {
			t.Errorf("%q: guards %v, intent %s; want %s among the guards", tc.text, got.Guards, got.Intent, tc.want)
		}
	}
}
