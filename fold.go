package acuerdo

import (
	"strings"
	"unicode"
)

// Debtors write "número", "numero" and "NÚMERO" for the same word, so every
// reader of their words (the policy lexicons, the understanding layer, content
// checks) works on folded text: lower case, Latin accents removed. This is the
// one home of that rule. Folding maps each rune to exactly one rune, which lets
// content checks report the original fragment of a match found in the folded
// text.

// foldPairs lists accented letters and the ASCII letter they fold to.
var foldPairs = [...]struct {
	from string
	to   rune
}{
	{"àáâãäåāăą", 'a'}, {"çćĉċč", 'c'}, {"ďđ", 'd'}, {"èéêëēĕėęě", 'e'},
	{"ĝğġģ", 'g'}, {"ĥħ", 'h'}, {"ìíîïĩīĭįı", 'i'}, {"ĵ", 'j'}, {"ķ", 'k'},
	{"ĺļľŀł", 'l'}, {"ñńņňŉ", 'n'}, {"òóôõöøōŏő", 'o'}, {"ŕŗř", 'r'},
	{"śŝşš", 's'}, {"ţťŧ", 't'}, {"ùúûüũūŭůűų", 'u'}, {"ŵ", 'w'},
	{"ýÿŷ", 'y'}, {"źżž", 'z'},
	{"\u2018\u2019\u02bc\u00b4`", '\''}, {"\u201c\u201d\u00ab\u00bb", '"'},
	{"\u2010\u2011\u2012\u2013\u2014", '-'}, {"\u00a0\u2007\u202f", ' '},
	{"\u00ba\u00b0", 'o'}, {"\u00aa", 'a'},
}

// foldTable is built once from foldPairs and never written afterwards.
var foldTable = func() map[rune]rune {
	m := make(map[rune]rune)
	for _, p := range foldPairs {
		for _, r := range p.from {
			m[r] = p.to
		}
	}
	return m
}()

// FoldRune lower-cases r and strips its accent.
func FoldRune(r rune) rune {
	if r < 0x80 {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	r = unicode.ToLower(r)
	if f, ok := foldTable[r]; ok {
		return f
	}
	return r
}

// FoldWords folds s and reduces it to words of ASCII letters and digits
// separated by single spaces. Apostrophes join ("don't" → "dont") and
// everything else, emoji included, separates words, so lexicons only ever see
// [a-z0-9 ].
func FoldWords(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		r = FoldRune(r)
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			space = false
		case r == '\'':
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}
