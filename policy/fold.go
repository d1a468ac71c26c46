package policy

import (
	"unicode/utf8"

	"acuerdo"
)

// Lexicons and content checks work on folded text (lower case, Latin accents
// removed); the rule lives in the root package (acuerdo.FoldRune), and folding
// maps each rune to exactly one rune, which lets content checks report the
// original fragment of a match found in the folded text.

// foldRune lower-cases r and strips its accent.
func foldRune(r rune) rune { return acuerdo.FoldRune(r) }

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
// separated by single spaces (acuerdo.FoldWords).
func normalize(s string) string { return acuerdo.FoldWords(s) }
