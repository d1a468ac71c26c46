package policy

import (
	"strings"
	"testing"
	"unicode/utf8"

	"acuerdo"
)

func FuzzCheckReply(f *testing.F) {
	for _, s := range []string{
		"", "Tu saldo es $150.000 y vence el 15/12/2026: https://pay.example.com/l/AbC123",
		"R$ 1.234.567,89 em 20 de dezembro de 2026", "1.5 millones", "plan #12 plan id 9", "9999999999999999999999 $",
		"www.", "a@b.co", "15 de", "December 99, 2026", "$,.,", "€", "ñÑ\u00a0\u2019İ", "\xff\xfe", "31/02", "10:30 pm 10 %",
		strings.Repeat("é", 1700),
	} {
		f.Add(s)
	}
	a := Allowed{
		Amounts: []string{"150000.00", "x", ""}, Dates: []acuerdo.Date{{Year: 2026, Month: 12, Day: 15}},
		URLs: []string{"https://pay.example.com/l/AbC123", ""}, PlanIDs: []string{"PL-1", ""}, Verbatim: []string{"", "Ana"},
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, v := range CheckReply(text, a) {
			if v.Rule == "" || v.Reason == "" {
				t.Fatalf("violation without rule or reason: %+v", v)
			}
		}
	})
}

func FuzzSplitMessage(f *testing.F) {
	f.Add("Hola. ¿Cómo estás?\n\nBien.", 10)
	f.Add(strings.Repeat("x", 50), 7)
	f.Add("", 0)
	f.Add("a\u00a0b", 1)
	f.Fuzz(func(t *testing.T, text string, n int) {
		if n > 5000 || n < -5 || !utf8.ValidString(text) {
			return // joining parts of invalid UTF-8 can form new runes
		}
		limit := n
		if limit <= 0 {
			limit = MaxReplyLength
		}
		var joined strings.Builder
		for _, p := range SplitMessage(text, n) {
			if c := utf8.RuneCountInString(p); c == 0 || c > limit {
				t.Fatalf("part of %d characters (limit %d): %q", c, limit, p)
			}
			joined.WriteString(p)
		}
		if strip(joined.String()) != strip(text) {
			t.Fatalf("text changed by the split: %q", text)
		}
	})
}
