package policy

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"acuerdo"
)

// Lexicons and content checks work on folded text (lower case, Latin accents
// removed); the rule lives in the root package (acuerdo.FoldRune). Content
// checks also undo the disguises a model (or an attacker steering one) can use
// to slip a word past them: compatibility forms (fullwidth, mathematical
// letters, ligatures, superscripts: Unicode's NFKC/NFKD mapping), letters of
// other scripts that look Latin (Cyrillic "е", Greek "ο"), and invisible
// characters (zero-width spaces and joiners, soft hyphens, bidi controls,
// stray combining marks). Every original rune maps to zero or more folded
// bytes, each remembering the rune it came from, so a violation still quotes
// the original fragment.

// foldRune lower-cases r and strips its accent.
func foldRune(r rune) rune { return acuerdo.FoldRune(r) }

// confusables maps letters of other scripts that look like a Latin letter to
// it (lower case; upper case letters are lowered first). It is the part of
// Unicode's confusables list that matters for es, pt and en words.
var confusables = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'з': '3', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'п': 'n', 'р': 'p', 'с': 'c',
	'т': 't', 'у': 'y', 'х': 'x', 'ь': 'b', 'і': 'i', 'ї': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h',
	'ӏ': 'l', 'ү': 'y', 'ғ': 'f', 'ɡ': 'g', 'ɑ': 'a', 'ɩ': 'i', 'ʏ': 'y', 'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd',
	'ᴇ': 'e', 'ɢ': 'g', 'ʜ': 'h', 'ɪ': 'i', 'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p',
	'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ᴢ': 'z',
	// Greek
	'α': 'a', 'β': 'b', 'γ': 'y', 'ε': 'e', 'ζ': 'z', 'η': 'n', 'ι': 'i', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o',
	'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'ϲ': 'c', 'ϳ': 'j', 'ς': 's',
	// Armenian and others that pass for Latin letters
	'օ': 'o', 'ս': 'u', 'ց': 'g', 'հ': 'h', 'ո': 'n', 'ɾ': 'r', 'ɛ': 'e', 'ɔ': 'c', 'ƅ': 'b', 'ǀ': 'l',
	// Look-alike punctuation for the separators of amounts and links
	'․': '.', '‚': ',', '٫': ',', '٬': ',', '。': '.', '＄': '$', '﹩': '$',
}

// invisible reports runes that show nothing: they are dropped so "em\u200bbargo"
// reads "embargo".
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) ||
		r == '\u034f' || r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0'
}

// folded is a folded copy of a text with, for every byte of the copy, the
// offset of the original rune it came from.
type folded struct {
	orig string
	b    []byte // folded text; content checks blank out parts of it
	off  []int  // len(b)+1 entries: off[i] is where byte i's rune starts in orig
	end  []int  // len(b) entries: where byte i's rune ends in orig
}

func foldAligned(s string) *folded {
	f := &folded{orig: s, b: make([]byte, 0, len(s)), off: make([]int, 0, len(s)+1), end: make([]int, 0, len(s))}
	var buf [4]byte
	for i, r := range s {
		_, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError {
			r = ' '
		}
		if r < 0x80 {
			f.add(foldRune(r), i, i+size)
			continue
		}
		if invisible(r) {
			continue
		}
		if c, ok := confusables[unicode.ToLower(r)]; ok {
			f.add(c, i, i+size)
			continue
		}
		// Compatibility decomposition: "ｅ" → "e", "ﬁ" → "fi", "①" → "1",
		// "é" → "e" + a mark the loop drops.
		n := utf8.EncodeRune(buf[:], r)
		for _, x := range norm.NFKD.String(string(buf[:n])) {
			if invisible(x) {
				continue
			}
			if c, ok := confusables[unicode.ToLower(x)]; ok {
				x = c
			}
			f.add(foldRune(x), i, i+size)
		}
	}
	f.off = append(f.off, len(s))
	return f
}

func (f *folded) add(r rune, from, to int) {
	n := len(f.b)
	f.b = utf8.AppendRune(f.b, r)
	for j := n; j < len(f.b); j++ {
		f.off = append(f.off, from)
		f.end = append(f.end, to)
	}
}

// original returns the original text behind folded bytes [i, j).
func (f *folded) original(i, j int) string {
	if i >= j {
		return ""
	}
	return f.orig[f.off[i]:f.end[j-1]]
}

// blank overwrites folded bytes [i, j) with spaces so later checks skip them.
func (f *folded) blank(i, j int) {
	for k := i; k < j; k++ {
		f.b[k] = ' '
	}
}

// normalize folds s and reduces it to words of ASCII letters and digits
// separated by single spaces (acuerdo.FoldWords).
func normalize(s string) string { return acuerdo.FoldWords(s) }
