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

// FuzzLexicon holds the lexicons to what trying every pattern of every
// phrase gives, skipping only the phrases sharing no key with the message
// (how the lexicons read before they were indexed).
func FuzzLexicon(f *testing.F) {
	for _, e := range ParseCorpus(heldoutTSV)[:200] {
		f.Add(e.Text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		words := spell(Normalize(s))
		if got, want := lexicon(words), plainLexicon(words); !reflect.DeepEqual(got, want) {
			t.Fatalf("lexicon(%q) = %v, trying every pattern gives %v", words, got, want)
		}
		for _, i := range GuardIntents {
			if got, want := negatedGuard(words, i), plainNegatedGuard(words, i); got != want {
				t.Fatalf("negatedGuard(%q, %s) = %v, trying every pattern gives %v", words, i, got, want)
			}
		}
	})
}

// plainMatches are the matches of every phrase of a rule sharing a key
// with the words.
func plainMatches(r rule, words string) [][]int {
	pre := map[string]bool{}
	for _, w := range strings.Fields(words) {
		if len(w) >= 3 {
			pre[w[:3]] = true
		}
	}
	var out [][]int
	for _, pt := range r.pattern.parts {
		shares := len(pt.keys) == 0
		for _, k := range pt.keys {
			shares = shares || pre[k]
		}
		if shares {
			out = append(out, pt.re.FindAllStringIndex(words, -1)...)
		}
	}
	return out
}

func plainLexicon(words string) map[Intent]bool {
	found := map[Intent]bool{}
	if isLoneOptOut(words) {
		found[OptOut] = true
	}
	for _, r := range rules {
		for _, m := range plainMatches(r, words) {
			if r.negation && negatedBefore(words, m[0]) {
				continue
			}
			found[r.intent] = true
			break
		}
	}
	fuzzy(words, found)
	disambiguate(words, found)
	return found
}

func plainNegatedGuard(words string, i Intent) bool {
	for _, r := range rules {
		if r.intent != i || !r.negation {
			continue
		}
		for _, m := range plainMatches(r, words) {
			if negatedBefore(words, m[0]) {
				return true
			}
		}
	}
	return false
}
