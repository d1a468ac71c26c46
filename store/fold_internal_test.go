package store

import (
	"os"
	"strings"
	"testing"
	"unicode"

	"acuerdo"
)

// TestFoldPatternMatchesFoldRune: on PostgreSQL, lower(text) ~
// pgFoldPattern(query) answers exactly "FoldRune(text) contains
// FoldRune(query)" — SQLite's answer, by construction — for every printable
// rune of the Latin blocks, the punctuation and Greek, against single-rune
// queries of each. It needs a server, so it runs in the PostgreSQL pass only.
func TestFoldPatternMatchesFoldRune(t *testing.T) {
	url := os.Getenv("ACUERDO_TEST_POSTGRES")
	if url == "" {
		t.Skip("PostgreSQL only (ACUERDO_TEST_POSTGRES)")
	}
	raw, err := OpenRaw(url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	fold := func(s string) string { return strings.Map(acuerdo.FoldRune, s) }
	var runes []rune
	for _, rg := range [][2]rune{{0x20, 0x24F}, {0x2B0, 0x2FF}, {0x370, 0x3FF}, {0x2000, 0x206F}} {
		for r := rg[0]; r <= rg[1]; r++ {
			if unicode.IsPrint(r) || unicode.IsSpace(r) {
				runes = append(runes, r)
			}
		}
	}
	queries := []string{"a", "e", "n", "o", "z", "'", "-", " ", "%", ".", "ß", "σ"}
	var texts, patterns []string
	var want []bool
	for _, r := range runes {
		text := "x" + string(r) + "y"
		for _, q := range append([]string{string(r), string(unicode.ToUpper(r))}, queries...) {
			texts = append(texts, text)
			patterns = append(patterns, pgFoldPattern(q))
			want = append(want, strings.Contains(fold(text), fold(q)))
		}
	}
	rows, err := raw.Query(`SELECT n, lower(t) ~ p FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS x(t, p, n) ORDER BY n`, texts, patterns)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	bad := 0
	for rows.Next() {
		var n int
		var got bool
		if err := rows.Scan(&n, &got); err != nil {
			t.Fatal(err)
		}
		if i := n - 1; got != want[i] && bad < 20 {
			bad++
			t.Errorf("%q ~ %q: PostgreSQL says %v, FoldRune %v", texts[i], patterns[i], got, want[i])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) < 5000 {
		t.Fatalf("only %d pairs compared", len(want))
	}
}
