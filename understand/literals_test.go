package understand

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestNeedsOf(t *testing.T) {
	for _, tt := range []struct {
		expr string
		want needs
	}{
		{`\b(?:hola)\b`, needs{{"hola"}}},
		{`\b(?:obrigad[oa])\b`, needs{{"obrigado", "obrigada"}}},
		{`\b(?:(me )?(dar|de|deem) uns dias)\b`, needs{{"dar uns dias", "de uns dias", "deem uns dias", "me dar uns dias", "me de uns dias", "me deem uns dias"}}},
		// Too many to list whole: each part a match needs.
		{`(cambiar|mover|correr|pasar|aplazar) (la |mi |el )?(fecha|pago|cuota)`, needs{{"cambiar ", "mover ", "correr ", "pasar ", "aplazar "},
			{"cuota", "fecha", "pago", "el cuota", "el fecha", "el pago", "la cuota", "la fecha", "la pago", "mi cuota", "mi fecha", "mi pago"}}},
		// Branches too many to list: what each needs.
		{`(fecha (de )?pago|(el |la |mi |tu |su )?(cuota|saldo|deuda|valor))`, needs{{"fecha pago", "fecha de pago", "cuota", "saldo", "deuda", "valor"}}},
		// Nothing certain: an optional word, a repeat, any word.
		{`(la )?\w+`, nil},
		{`(hola|hi)*`, nil},
		{`(hola|)`, nil},
	} {
		got := needsOf(regexp.MustCompile(tt.expr))
		for _, clause := range got {
			// The parser may factor alternations; compare as sets.
			slicesSort(clause)
		}
		for _, clause := range tt.want {
			slicesSort(clause)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("needsOf(%s) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func slicesSort(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

// FuzzNeeds checks what makes skipping a pattern safe: a text that some
// pattern of the reader matches holds what needsOf says every match holds.
func FuzzNeeds(f *testing.F) {
	for _, s := range []string{"hola", "no me escriban mas", "te pago $18.450 el lunes 14", "em 8x", "a las 10 de la manana", "me dar uns dias",
		"No soy Juan", "I'm not Robert", "quiero hablar con un asesor", "superintendencia financiera", "10:30", "no no no", "sim claro"} {
		f.Add(s)
	}
	var all []*regexp.Regexp
	var want []needs
	for _, r := range rules {
		for _, pt := range r.pattern.parts {
			all, want = append(all, pt.re), append(want, pt.needs)
		}
	}
	for _, q := range quickRes() {
		all, want = append(all, q.Regexp), append(want, q.needs)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		for _, text := range []string{s, Normalize(s), strings.ToLower(s)} {
			for i, re := range all {
				if re.MatchString(text) && !want[i].in(text) {
					t.Fatalf("%s matches %q, which lacks %q", re, text, want[i])
				}
			}
		}
	})
}

// quickRes are the reader's other quick regexps.
func quickRes() []quickRe {
	out := []quickRe{negations, strongLegal, switchRe, clockRe, partRe, hourRe, notNamed, payingWord, identityAnswer, yesRe, noRe, perMonthRe}
	for _, f := range dateForms {
		out = append(out, f.re)
	}
	for _, r := range regulators {
		out = append(out, r.re)
	}
	return out
}
