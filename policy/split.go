package policy

import (
	"strings"
	"unicode/utf8"
)

// SplitMessage cuts text into parts of at most maxRunes characters (runes), at the
// best boundary available inside each part: a blank line, then a line break,
// then the end of a sentence, then a space, and only as a last resort inside a
// word. Parts are trimmed and never empty. maxRunes ≤ 0 means MaxReplyLength.
func SplitMessage(text string, maxRunes int) []string {
	if maxRunes <= 0 {
		maxRunes = MaxReplyLength
	}
	var parts []string
	rest := strings.TrimSpace(text)
	for rest != "" {
		if utf8.RuneCountInString(rest) <= maxRunes {
			parts = append(parts, rest)
			break
		}
		head := prefixRunes(rest, maxRunes)
		cut := splitPoint(head)
		part := strings.TrimSpace(rest[:cut])
		if part == "" { // only whitespace before the cut: cut hard
			cut, part = len(head), strings.TrimSpace(head)
		}
		if part != "" {
			parts = append(parts, part)
		}
		rest = strings.TrimSpace(rest[cut:])
	}
	return parts
}

// prefixRunes returns the first n runes of s.
func prefixRunes(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// splitPoint returns the byte offset in head after which to cut: after the
// last blank line, else line break, else sentence end, else space. A boundary
// in the first third of head gives way to a later boundary of a weaker kind,
// so that parts stay long, but never to a mere space.
func splitPoint(head string) int {
	structural := [][]string{{"\n\n"}, {"\n"}, {". ", "! ", "? ", "… ", ".\n", "!\n", "?\n"}}
	for _, floor := range []int{len(head) / 3, 0} {
		for _, seps := range structural {
			if i := lastBoundary(head, seps); i > floor {
				return i
			}
		}
	}
	if i := lastBoundary(head, []string{" ", "\t"}); i > 0 {
		return i
	}
	return len(head)
}

// lastBoundary returns the offset just after the last of seps in head,
// counting a sentence mark but not the blank that follows it; -1 if none.
func lastBoundary(head string, seps []string) int {
	best := -1
	for _, sep := range seps {
		if i := strings.LastIndex(head, sep); i >= 0 {
			mark := strings.TrimRight(sep, " \t\n")
			if mark == "" {
				mark = sep
			}
			best = max(best, i+len(mark))
		}
	}
	return best
}
