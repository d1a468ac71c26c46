package policy

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readLines returns the non-comment lines of a corpus file.
func readLines(t testing.TB, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "model_replies", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Every invented reply of the adversarial corpus breaks some rule.
func TestCheckModelReplyAdversarial(t *testing.T) {
	bad := readLines(t, "adversarial.txt")
	if len(bad) < 100 {
		t.Fatalf("only %d adversarial replies", len(bad))
	}
	for _, s := range bad {
		if vs := CheckModelReply(s, []string{"José"}); len(vs) == 0 {
			t.Errorf("passed the check: %q", s)
		}
	}
}

// Good replies with placeholders pass; the share refused is the false-refusal
// rate, which must stay under 3 %.
func TestCheckModelReplyGood(t *testing.T) {
	good := readLines(t, "good.txt")
	refused := 0
	for _, s := range good {
		if vs := CheckModelReply(s, []string{"José", "Maria", "John"}); len(vs) > 0 {
			refused++
			t.Logf("refused %q: %s", s, rules(vs))
		}
	}
	rate := float64(refused) / float64(len(good))
	t.Logf("false refusals: %d of %d good replies (%.1f %%)", refused, len(good), 100*rate)
	if rate > 0.03 {
		t.Errorf("false-refusal rate %.1f %% is over 3 %%", 100*rate)
	}
}

func TestCheckModelReplyRules(t *testing.T) {
	tests := []struct{ text, want string }{
		{"Tu saldo es {{balance}}.", ""},
		{"Tu saldo es {{ balance }} y vence el {{due_date}}.", ""},
		{"Te hago un 20 % de descuento.", "percentage"},
		{"Contactaremos a tu empleador.", "third_party_contact"},
		{"Nunca contactamos a tu empleador.", ""},
		{"No dudaremos en contactar a tu empleador.", "third_party_contact"},
		{"Debes dos mil pesos.", "unverified_amount"},
		{"Mil gracias por escribir.", ""},
		{"Paga en 12 cuotas.", ""},
		{"Tienes 48 horas.", "deadline"},
		{"Paga en https://x.co/a", "unverified_url"},
		{"Vence el 15/12/2026.", "unverified_date"},
		{"Te vamos a 3mb4rg4r.", "forbidden_language"},
		{"Vamos a hacer un e m b a r g o.", "forbidden_language"},
		{"Te vamos a em\u200bbargar.", "forbidden_language"},
		{"Habrá dеmаndа (cyrillic).", "forbidden_language"},
	}
	for _, tc := range tests {
		vs := CheckModelReply(tc.text, nil)
		got := ""
		if len(vs) > 0 {
			got = vs[0].Rule
		}
		if tc.want == "" && len(vs) > 0 || tc.want != "" && !strings.Contains(rules(vs), tc.want+":") {
			t.Errorf("%q: got %s (%s), want %q", tc.text, got, rules(vs), tc.want)
		}
	}
}

// The original fragment is quoted even when it was disguised.
func TestCheckModelReplyQuotesOriginal(t *testing.T) {
	vs := CheckModelReply("Te vamos a em\u200bbargar ya", nil)
	if len(vs) == 0 || !strings.Contains(vs[0].Text, "em\u200bbargar") {
		t.Fatalf("violations %+v", vs)
	}
}

func FuzzCheckModelReply(f *testing.F) {
	for _, s := range []string{"", "{{balance}}", "e m b a r g o", "3mb4rg0 $1.5OO", "\u200b\u200d", "ｈｔｔｐｓ://x", "dos mil pesos", "ﬁ①½", "\xff{{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, v := range CheckModelReply(text, []string{"Ana"}) {
			if v.Rule == "" || v.Reason == "" {
				t.Fatalf("violation without rule or reason: %+v", v)
			}
		}
	})
}
