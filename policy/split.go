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
	return splitUpTo(text, maxRunes, 0)
}

// Caps on what a turn sends. A reply has to be read on a phone: past a few
// messages it is a wall of text, or a model gone wrong (a 600 KB reply once
// queued ~370 messages), and the debtor is better served by a person.
const (
	// MaxReplyMessages bounds one model reply once split.
	MaxReplyMessages = 3
	// MaxTurnMessages bounds everything one turn queues. The menu engine
	// answers a few menu numbers typed ahead in one turn, up to four messages.
	MaxTurnMessages = 6
)

// FitReplies is the one place replies become WhatsApp messages: each reply is
// split at MaxReplyLength (SplitMessage), and ok is false, with no parts, when
// all of them together would take more than maxMessages messages; the caller
// then sends the safe reply instead.
func FitReplies(replies []string, maxMessages int) (parts []string, ok bool) {
	for _, r := range replies {
		// Stop splitting once over the cap: a huge reply costs nothing more.
		p := splitUpTo(r, MaxReplyLength, maxMessages-len(parts)+1)
		parts = append(parts, p...)
		if len(parts) > maxMessages {
			return nil, false
		}
	}
	return parts, true
}

// splitUpTo is SplitMessage returning at most limit parts (limit ≤ 0: all).
func splitUpTo(text string, maxRunes, limit int) []string {
	if maxRunes <= 0 {
		maxRunes = MaxReplyLength
	}
	var parts []string
	rest := strings.TrimSpace(text)
	for rest != "" && (limit <= 0 || len(parts) < limit) {
		if len(rest) <= maxRunes || utf8.RuneCountInString(prefixRunes(rest, maxRunes+1)) <= maxRunes {
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
