package policy

import (
	"strings"
	"testing"
	"unicode/utf8"

	"acuerdo"
)

func rules(vs []Violation) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Rule+":"+v.Text)
	}
	return strings.Join(out, " | ")
}

func TestCheckReply(t *testing.T) {
	allowed := Allowed{
		Amounts:  []string{"150000.00", "1500000.00", "99.90", "250000", "33333.34", "12500.00"},
		Dates:    []acuerdo.Date{d("2026-12-15"), d("2026-03-31")},
		URLs:     []string{"https://pay.example.com/l/AbC123", "https://wa.me/573001234567"},
		PlanIDs:  []string{"PL-4812"},
		Verbatim: []string{"Sue Ellen", "CR-100234"},
	}
	tests := []struct {
		name, text string
		want       string // rule:text pairs joined by " | "; "" for a clean reply
	}{
		// clean replies
		{"greeting", "¡Hola! Soy el asistente de pagos. ¿En qué te puedo ayudar hoy?", ""},
		{"counts are not amounts", "Puedo ofrecerte un plan de 3 cuotas, o elegir la opción 2. Tienes 30 días.", ""},
		{"allowed amounts in many forms", "Tu saldo es $150.000, o sea COP 150000, 150 mil pesos o 150,000.00.", ""},
		{"allowed millions", "El total es 1.5 millones (COP 1.500.000).", ""},
		{"allowed reais", "O valor é R$ 99,90.", ""},
		{"allowed plain big number", "Tu saldo: 250000", ""},
		{"allowed dates", "Tu cuota vence el 15/12/2026, es decir el 15 de diciembre de 2026 (2026-12-15). Your next one is December 15.", ""},
		{"allowed date without year", "Vence el 31 de marzo.", ""},
		{"allowed url", "Paga aquí: https://pay.example.com/l/AbC123.", ""},
		{"allowed url with trailing slash and no scheme", "Link: pay.example.com/l/AbC123/", ""},
		{"allowed host alone", "Entra a pay.example.com y sigue los pasos.", ""},
		{"allowed whatsapp link", "Escríbenos a https://wa.me/573001234567", ""},
		{"allowed plan id", "Tu plan PL-4812 quedó listo.", ""},
		{"allowed verbatim name and reference", "Hola Sue Ellen, tu crédito CR-100234 está al día.", ""},
		{"verbatim only as whole words", "Hola Sue Ellen. Pensamos que sue ellenita... we will sue.", "forbidden_language:sue"},
		{"times and percentages", "Te escribo mañana a las 10:30 o a las 7 pm. El descuento es del 10 % o 15%.", ""},
		{"year alone", "En 2026 puedes pagar con tarjeta.", ""},
		{"payment report is fine", "Puedes reportar tu pago enviando el comprobante. Tu pago fue reportado al equipo.", ""},
		{"schedule", "Atendemos 24/7.", ""},
		{"ordinals", "Es tu 1ra cuota y la 2da vence después.", ""},
		// unverified amounts
		{"made-up amount", "Tu saldo es $180.000.", "unverified_amount:$180.000"},
		{"made-up decimals", "Son 150,000.50 en total.", "unverified_amount:150,000.50"},
		{"made-up reais", "Pague R$ 99,99 hoje.", "unverified_amount:R$ 99,99"},
		{"made-up code", "Debes COP 250001.", "unverified_amount:COP 250001"},
		{"made-up millions", "Son 2 millones de pesos.", "unverified_amount:2 millones de pesos"},
		{"made-up small dollars", "Only $5 today!", "unverified_amount:$5"},
		{"made-up plain number", "Tu saldo es 180000.", "unverified_amount:180000"},
		{"made-up k", "About 20k.", "unverified_amount:20k"},
		{"made-up euros", "Debe 300 euros.", "unverified_amount:300 euros"},
		// unverified dates
		{"made-up numeric date", "Vence el 16/12/2026.", "unverified_date:16/12/2026"},
		{"made-up iso date", "Due 2026-12-16.", "unverified_date:2026-12-16"},
		{"made-up spanish date", "Paga antes del 20 de diciembre.", "unverified_date:20 de diciembre"},
		{"made-up portuguese date", "Vence em 20 de dezembro de 2026.", "unverified_date:20 de dezembro de 2026"},
		{"made-up english date", "Pay by January 5th, 2027.", "unverified_date:January 5th, 2027"},
		{"wrong year", "Vence el 15 de diciembre de 2027.", "unverified_date:15 de diciembre de 2027"},
		// unverified urls
		{"made-up url", "Paga en https://pagos-rapidos.com/x", "unverified_url:https://pagos-rapidos.com/x"},
		{"made-up path on the allowed host", "Paga en https://pay.example.com/l/XYZ", "unverified_url:https://pay.example.com/l/XYZ"},
		{"bare domain", "Visita www.otro.co para más.", "unverified_url:www.otro.co"},
		{"bare domain without www", "Entra a bancoejemplo.com.co", "unverified_url:bancoejemplo.com.co"},
		{"email", "Escribe a cobros@acme.com", "unverified_url:cobros@acme.com"},
		// unverified plans
		{"made-up plan id", "Tu plan #991 está activo.", "unverified_plan:plan #991"},
		// forbidden language
		{"jail", "Si no pagas podrías ir a la cárcel.", "forbidden_language:cárcel"},
		{"seizure es", "Procederemos con el embargo de su salario.", "forbidden_language:embargo"},
		{"lawsuit es", "Iniciaremos un proceso judicial.", "forbidden_language:proceso judicial"},
		{"demanda", "Le pondremos una demanda.", "forbidden_language:demanda"},
		{"bureau es", "Lo reportaremos a Datacrédito.", "forbidden_language:reportaremos | forbidden_language:Datacrédito"},
		{"centrales", "Quedarás en las centrales de riesgo.", "forbidden_language:centrales de riesgo"},
		{"te vamos a reportar", "Te vamos a reportar.", "forbidden_language:Te vamos a reportar"},
		{"shaming es", "Qué vergüenza, eres un irresponsable.", "forbidden_language:vergüenza | forbidden_language:irresponsable"},
		{"pt jail", "Você pode ser preso.", "forbidden_language:preso"},
		{"pt seizure", "Haverá penhora dos seus bens.", "forbidden_language:penhora"},
		{"pt bureau", "Seu nome vai para o Serasa e o SPC.", "forbidden_language:Serasa | forbidden_language:SPC"},
		{"pt negativar", "Vamos negativar seu nome.", "forbidden_language:negativar"},
		{"pt shaming", "Não seja caloteiro.", "forbidden_language:caloteiro"},
		{"en jail", "You could go to JAIL.", "forbidden_language:JAIL"},
		{"en lawsuit", "We will file a lawsuit.", "forbidden_language:lawsuit"},
		{"en sue", "We will sue you.", "forbidden_language:sue"},
		{"en garnish", "We'll garnish your wages.", "forbidden_language:garnish"},
		{"en bureau", "This goes on your credit report.", "forbidden_language:credit report"},
		{"en shaming", "You deadbeat.", "forbidden_language:deadbeat"},
		{"en threat", "This is your final warning.", "forbidden_language:final warning"},
		// several at once
		{"many", "Paga $99.999 el 1/1/2027 en http://x.co o iremos a juicio.",
			"unverified_url:http://x.co | forbidden_language:juicio | unverified_date:1/1/2027 | unverified_amount:$99.999"},
	}
	for _, tt := range tests {
		if got := rules(CheckReply(tt.text, allowed)); got != tt.want {
			t.Errorf("%s: CheckReply(%q)\n got  %s\n want %s", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestCheckReplyTooLong(t *testing.T) {
	ok := strings.Repeat("a", MaxReplyLength)
	if vs := CheckReply(ok, Allowed{}); len(vs) != 0 {
		t.Errorf("1600 characters: %v", vs)
	}
	// Characters, not bytes: 1600 "ñ" are 3200 bytes and still fit.
	if vs := CheckReply(strings.Repeat("ñ", MaxReplyLength), Allowed{}); len(vs) != 0 {
		t.Errorf("1600 ñ: %v", vs)
	}
	vs := CheckReply(ok+"a", Allowed{})
	if len(vs) != 1 || vs[0].Rule != RuleTooLong {
		t.Errorf("1601 characters: %v", vs)
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in     string
		val    int64
		shaped bool
		ok     bool
	}{
		{"150.000", 150000000, true, true}, {"150,000", 150000000, true, true}, {"1.234.567,89", 1234567890, true, true},
		{"1,234,567.89", 1234567890, true, true}, {"99,90", 99900, true, true}, {"1.5", 1500, false, true},
		{"250000", 250000000, false, true}, {"12.34.56", 0, false, false}, {"1.2345", 0, false, false},
		{"1234.567.890", 0, false, false}, {"1.000,5", 1000500, true, true}, {"1234567890123456789", -1, false, true},
	}
	for _, tt := range tests {
		val, shaped, ok := parseNumber(tt.in)
		if val != tt.val || shaped != tt.shaped || ok != tt.ok {
			t.Errorf("parseNumber(%q) = %d, %v, %v; want %d, %v, %v", tt.in, val, shaped, ok, tt.val, tt.shaped, tt.ok)
		}
	}
}

func TestSplitMessage(t *testing.T) {
	para := strings.Repeat("Una frase corta. ", 20) // 340 characters
	tests := []struct {
		name  string
		text  string
		max   int
		parts int
	}{
		{"short", "Hola.", 100, 1},
		{"empty", "  ", 100, 0},
		{"paragraphs", para + "\n\n" + para + "\n\n" + para, 700, 2},
		{"sentences", para, 100, 4},
		{"one long word", strings.Repeat("x", 250), 100, 3},
		{"default max", strings.Repeat("palabra ", 300), 0, 2},
	}
	for _, tt := range tests {
		parts := SplitMessage(tt.text, tt.max)
		if len(parts) != tt.parts {
			t.Errorf("%s: %d parts, want %d: %q", tt.name, len(parts), tt.parts, parts)
		}
		limit := tt.max
		if limit <= 0 {
			limit = MaxReplyLength
		}
		joined := ""
		for _, p := range parts {
			if n := utf8.RuneCountInString(p); n > limit || n == 0 {
				t.Errorf("%s: part of %d characters", tt.name, n)
			}
			joined += p
		}
		if strip(joined) != strip(tt.text) {
			t.Errorf("%s: text lost in the split", tt.name)
		}
	}
	parts := SplitMessage("Primera frase. Segunda frase que es larga. Tercera.", 30)
	if parts[0] != "Primera frase." {
		t.Errorf("should cut after a sentence: %q", parts)
	}
	parts = SplitMessage("Párrafo uno.\n\nPárrafo dos es más largo que el límite.", 45)
	if parts[0] != "Párrafo uno." {
		t.Errorf("should cut at the paragraph: %q", parts)
	}
}

func strip(s string) string { return strings.Join(strings.Fields(s), "") }

func TestDisclosure(t *testing.T) {
	c := Default()
	c.CreditorName = "Financiera Ejemplo"
	c.CNPJ = "11.222.333/0001-81"
	tests := []struct {
		country, locale string
		want            []string
		not             []string
	}{
		{"CO", "es", []string{"Mensaje de Financiera Ejemplo."}, []string{"CNPJ", "debt"}},
		{"BR", "pt-BR", []string{"Mensagem de Financiera Ejemplo, CNPJ 11.222.333/0001-81."}, nil},
		{"BR", "", []string{"Mensagem de", "CNPJ"}, nil},
		{"US", "en", []string{"This message is from Financiera Ejemplo.", "This is an attempt to collect a debt and any information obtained will be used for that purpose."}, nil},
		{"US", "es", []string{"Mensaje de Financiera Ejemplo.", "intento de cobrar una deuda"}, nil},
		{"MX", "en-US", []string{"This message is from Financiera Ejemplo."}, []string{"attempt"}},
		{"CO", "pt-BR", []string{"Mensagem de"}, []string{"CNPJ"}},
	}
	for _, tt := range tests {
		got := Disclosure(tt.country, tt.locale, c)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("Disclosure(%s, %s) = %q, missing %q", tt.country, tt.locale, got, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(got, w) {
				t.Errorf("Disclosure(%s, %s) = %q, should not have %q", tt.country, tt.locale, got, w)
			}
		}
		// The disclosure itself must pass the content rules.
		if vs := CheckReply(got, Allowed{Verbatim: []string{c.CNPJ}}); len(vs) != 0 {
			t.Errorf("Disclosure(%s, %s) breaks content rules: %v", tt.country, tt.locale, vs)
		}
	}
}

func TestFitReplies(t *testing.T) {
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("palabra ", n)) }
	for _, tt := range []struct {
		name    string
		replies []string
		max     int
		parts   int
		ok      bool
	}{
		{"none", nil, 3, 0, true},
		{"short", []string{"hola"}, 3, 1, true},
		{"exactly one message", []string{strings.Repeat("ñ", MaxReplyLength)}, 3, 1, true},
		{"three messages", []string{words(550)}, 3, 3, true}, // 4,399 characters
		{"four messages", []string{words(700)}, 3, 0, false},
		{"several replies add up", []string{"a", "b", "c", "d"}, 3, 0, false},
		{"menu within the turn cap", []string{"a", "b", "c", "d"}, MaxTurnMessages, 4, true},
		{"600 KB", []string{strings.Repeat("Hola. ", 100_000)}, MaxReplyMessages, 0, false},
	} {
		parts, ok := FitReplies(tt.replies, tt.max)
		if ok != tt.ok || len(parts) != tt.parts {
			t.Errorf("%s: %d parts, %v; want %d, %v", tt.name, len(parts), ok, tt.parts, tt.ok)
		}
		for _, p := range parts {
			if n := utf8.RuneCountInString(p); n > MaxReplyLength || n == 0 {
				t.Errorf("%s: a part of %d characters", tt.name, n)
			}
		}
	}
}
