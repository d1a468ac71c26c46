package prompts

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"acuerdo"
)

// Every text exists in every locale, with the same placeholders.
func TestLocalesComplete(t *testing.T) {
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	base := Keys("es")
	sort.Strings(base)
	for _, l := range Locales {
		if got := len(Keys(l)); got != len(base) {
			t.Errorf("%s has %d texts, es has %d", l, got, len(base))
		}
		for _, k := range base {
			s, ok := texts[l][k]
			if !ok || strings.TrimSpace(s) == "" {
				t.Errorf("%s lacks %q", l, k)
				continue
			}
			want := ph.FindAllString(texts["es"][k], -1)
			got := ph.FindAllString(s, -1)
			sort.Strings(want)
			sort.Strings(got)
			if strings.Join(want, ",") != strings.Join(got, ",") {
				t.Errorf("%s %q placeholders %v, es has %v", l, k, got, want)
			}
		}
	}
}

func TestMoneyAndDate(t *testing.T) {
	for _, tt := range []struct {
		locale string
		m      acuerdo.Money
		want   string
	}{
		{"es", acuerdo.Money{Amount: 123456700, Currency: "COP"}, "$1.234.567"},
		{"es", acuerdo.Money{Amount: 123456750, Currency: "COP"}, "$1.234.567,50"},
		{"pt-BR", acuerdo.Money{Amount: 123456, Currency: "BRL"}, "R$ 1.234,56"},
		{"en", acuerdo.Money{Amount: 123456, Currency: "USD"}, "$1,234.56"},
		{"es", acuerdo.Money{Amount: 5000, Currency: "MXN"}, "$50.00"},
		{"es", acuerdo.Money{Amount: 1845000, Currency: "MXN"}, "$18,450.00"},
		{"es", acuerdo.Money{Amount: 1845000, Currency: "COP"}, "$18.450"},
		{"pt-BR", acuerdo.Money{Amount: 1845000, Currency: "BRL"}, "R$ 18.450,00"},
		{"en", acuerdo.Money{Amount: 1845000, Currency: "USD"}, "$18,450.00"},
		{"es", acuerdo.Money{Amount: 1845000, Currency: "USD"}, "$18,450.00"},
		{"en", acuerdo.Money{Amount: 1845000, Currency: "COP"}, "COP 18,450"},
		{"en", acuerdo.Money{Amount: 1845050, Currency: "MXN"}, "MXN 18,450.50"},
		{"es", acuerdo.Money{Amount: 1845000, Currency: "CLP"}, "$1.845.000"},
		{"es", acuerdo.Money{Amount: -500, Currency: "MXN"}, "-$5.00"},
	} {
		if got := Money(tt.locale, tt.m); got != tt.want {
			t.Errorf("Money(%s, %v) = %q; want %q", tt.locale, tt.m, got, tt.want)
		}
	}
	d := acuerdo.Date{Year: 2026, Month: 12, Day: 5}
	for l, want := range map[string]string{"es": "5 de diciembre de 2026", "pt-BR": "5 de dezembro de 2026", "en": "Dec 5, 2026", "es-MX": "5 de diciembre de 2026"} {
		if got := Date(l, d); got != want {
			t.Errorf("Date(%s) = %q, want %q", l, got, want)
		}
	}
	at := time.Date(2026, 12, 14, 15, 30, 0, 0, time.FixedZone("COT", -5*3600))
	if DateTime("es", at) != "14 de diciembre de 2026, 15:30" || DateTime("en", at) != "Dec 14, 2026, 3:30 PM" {
		t.Errorf("DateTime: %q %q", DateTime("es", at), DateTime("en", at))
	}
	if Locale("pt") != "pt-BR" || Locale("en-US") != "en" || Locale("") != "es" || Locale("es-CO") != "es" {
		t.Error("Locale mapping")
	}
	if s := System(SystemVars{Creditor: "Banco X", Name: "Ana", Locale: "pt-BR", Today: d, AccountDigits: true}); !strings.Contains(s, "Brazilian Portuguese") || !strings.Contains(s, "account number") || strings.Contains(PlaceholderFree(s), "{") {
		t.Errorf("system prompt: %s", s)
	}
}

// PlaceholderFree drops the {{placeholders}} the prompt teaches, leaving any
// {variable} the prompt failed to fill.
func PlaceholderFree(s string) string {
	return regexp.MustCompile(`\{\{[a-z_]+\}\}`).ReplaceAllString(s, "")
}

func TestTemplates(t *testing.T) {
	if len(Templates()) < 4 {
		t.Fatal("catalogue too small")
	}
	for _, name := range Templates() {
		tp, _ := LookupTemplate(name)
		for _, l := range Locales {
			text := tp.Text[l]
			if text == "" {
				t.Errorf("template %s lacks %s", name, l)
			}
			for i := range tp.Variables {
				if !strings.Contains(text, "{{"+string(rune('1'+i))+"}}") {
					t.Errorf("template %s/%s lacks {{%d}}", name, l, i+1)
				}
			}
		}
	}
	tp, _ := LookupTemplate("reengage")
	if got := tp.Render("pt-BR", map[string]string{"name": "Ana", "creditor": "Banco"}); !strings.Contains(got, "Olá, Ana") || !strings.Contains(got, "Banco") {
		t.Errorf("render %q", got)
	}
	if p := tp.Positional(map[string]string{"name": "Ana", "creditor": "Banco"}); p["1"] != "Ana" || p["2"] != "Banco" {
		t.Errorf("positional %v", p)
	}
}
