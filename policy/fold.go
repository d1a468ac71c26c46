package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Debtors write "número", "numero" and "NÚMERO" for the same word, so every
// lexicon works on folded text: lower case, Latin accents removed. Folding maps
// each rune to exactly one rune, which lets content checks report the original
// fragment of a match found in the folded text.

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

// foldRune lower-cases r and strips its accent.
func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	if f, ok := foldTable[r]; ok {
		return f
	}
	return r
}

// folded is a folded copy of a text with, for every byte of the copy, the
// offset of the original rune it came from.
type folded struct {
	orig string
	b    []byte // folded text; content checks blank out parts of it
	off  []int  // len(b)+1 entries
}

func foldAligned(s string) *folded {
	f := &folded{orig: s, b: make([]byte, 0, len(s)), off: make([]int, 0, len(s)+1)}
	for i, r := range s {
		if r == utf8.RuneError {
			r = ' '
		}
		n := len(f.b)
		f.b = utf8.AppendRune(f.b, foldRune(r))
		for j := n; j < len(f.b); j++ {
			f.off = append(f.off, i)
		}
	}
	f.off = append(f.off, len(s))
	return f
}

// original returns the original text behind folded bytes [i, j).
func (f *folded) original(i, j int) string { return f.orig[f.off[i]:f.off[j]] }

// blank overwrites folded bytes [i, j) with spaces so later checks skip them.
func (f *folded) blank(i, j int) {
	for k := i; k < j; k++ {
		f.b[k] = ' '
	}
}

// normalize folds s and reduces it to words of ASCII letters and digits
// separated by single spaces. Apostrophes join ("don't" → "dont") and
// everything else, emoji included, separates words, so lexicon patterns only
// ever see [a-z0-9 ].
func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		r = foldRune(r)
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
