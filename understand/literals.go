package understand

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// Go's regexp scans a text position by position when a pattern does not
// begin with a fixed string, and the lexicons' patterns begin with \b and an
// alternation of words: hundreds of them tried on every message cost most of
// a turn. Yet most patterns name words a message lacks, and that can be told
// without the regexp: the literal text every match of a pattern must contain
// is worked out once from the pattern's syntax (the idea of RE2's
// prefilters), and a text that lacks it skips the pattern. The test is a
// necessary condition only: whatever passes it is still matched by the
// regexp, so readings are exactly those of trying every pattern.

// needs is the literal text every match of a pattern contains: for each
// clause, one of its strings at least. No clauses: nothing is known, the
// pattern is always tried.
type needs [][]string

// needsOf works out what every match of re contains.
func needsOf(re *regexp.Regexp) needs {
	s, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		panic("understand: " + err.Error()) // re compiled from the same source
	}
	return litOf(s.Simplify()).clauses()
}

// in reports whether text may match: it holds a string of every clause.
func (n needs) in(text string) bool {
	for _, clause := range n {
		if !containsAny(text, clause) {
			return false
		}
	}
	return true
}

func containsAny(text string, strs []string) bool {
	for _, s := range strs {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

// inGrams is in for a text whose grams are known: most strings are ruled
// out by two bit tests instead of a search.
func (n needs) inGrams(text string, g *grams) bool {
	for _, clause := range n {
		found := false
		for _, s := range clause {
			if g.may(s) && strings.Contains(text, s) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// grams are the three-byte strings of a text, hashed to bits: a string
// whose first or last three bytes are not among them is not in the text.
// (Two strings may share a bit; that only lets a search through.)
type grams [1 << 15 / 64]uint64

func gram(s string) uint { return uint(s[0]&31)<<10 | uint(s[1]&31)<<5 | uint(s[2]&31) }

func (g *grams) of(text string) {
	*g = grams{}
	for i := 0; i+3 <= len(text); i++ {
		h := gram(text[i:])
		g[h/64] |= 1 << (h % 64)
	}
}

func (g *grams) has(h uint) bool { return g[h/64]&(1<<(h%64)) != 0 }

// may reports whether s may be in the text.
func (g *grams) may(s string) bool {
	return len(s) < 3 || g.has(gram(s)) && g.has(gram(s[len(s)-3:]))
}

// Sets of exact strings larger than maxExact become clauses.
const maxExact = 16

// lit is what is known of the texts a piece of a pattern matches: exactly
// the strings of exact when exact is set, else at least the clauses of need.
type lit struct {
	exact   []string
	isExact bool
	need    needs
}

func exactly(s ...string) lit { return lit{exact: s, isExact: true} }

// clauses turns what is known into clauses: an exact set is one clause.
func (l lit) clauses() needs {
	if !l.isExact {
		return l.need
	}
	for _, s := range l.exact {
		if s == "" {
			return nil // an empty string is in every text
		}
	}
	return needs{l.exact}
}

// litOf works out what a piece of a (simplified) pattern matches.
func litOf(re *syntax.Regexp) lit {
	if re.Flags&syntax.FoldCase != 0 {
		return lit{}
	}
	switch re.Op {
	case syntax.OpLiteral:
		return exactly(string(re.Rune))
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactly("")
	case syntax.OpCharClass:
		// A few letters ("[oa]"): each one exactly.
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == maxExact {
					return lit{}
				}
				out = append(out, string(r))
			}
		}
		return exactly(out...)
	case syntax.OpCapture:
		return litOf(re.Sub[0])
	case syntax.OpQuest:
		if l := litOf(re.Sub[0]); l.isExact && len(l.exact) < maxExact {
			return exactly(append([]string{""}, l.exact...)...)
		}
		return lit{}
	case syntax.OpPlus:
		return lit{need: litOf(re.Sub[0]).clauses()}
	case syntax.OpConcat:
		return concatLit(re.Sub)
	case syntax.OpAlternate:
		return alternateLit(re.Sub)
	}
	return lit{} // stars, repeats, any character: nothing known
}

// concatLit: the exact sets of neighbours multiply while small; what grows
// too large becomes clauses, all of which a match needs.
func concatLit(subs []*syntax.Regexp) lit {
	run := exactly("")
	var need needs
	for _, sub := range subs {
		l := litOf(sub)
		if l.isExact && len(run.exact)*len(l.exact) <= maxExact {
			var cross []string
			for _, a := range run.exact {
				for _, b := range l.exact {
					cross = append(cross, a+b)
				}
			}
			run = exactly(cross...)
			continue
		}
		need = append(need, run.clauses()...)
		run = exactly("")
		if l.isExact {
			run = l
		} else {
			need = append(need, l.need...)
		}
	}
	if len(need) == 0 {
		return run
	}
	return lit{need: append(need, run.clauses()...)}
}

// alternateLit: a match matches one branch, so it holds one of the strings
// of the branches' most telling clauses.
func alternateLit(subs []*syntax.Regexp) lit {
	all := make([]lit, len(subs))
	n, exact := 0, true
	for i, sub := range subs {
		all[i] = litOf(sub)
		exact = exact && all[i].isExact
		n += len(all[i].exact)
	}
	if exact && n <= maxExact {
		var out []string
		for _, l := range all {
			out = append(out, l.exact...)
		}
		return exactly(out...)
	}
	var clause []string
	for _, l := range all {
		best := telling(l.clauses())
		if best == nil {
			return lit{}
		}
		clause = append(clause, best...)
	}
	return lit{need: needs{clause}}
}

// telling picks the clause least likely to be in a text by chance: the one
// whose shortest string is longest.
func telling(n needs) []string {
	var best []string
	bestLen := 0
	for _, clause := range n {
		short := len(clause[0])
		for _, s := range clause {
			short = min(short, len(s))
		}
		if short > bestLen || short == bestLen && len(clause) < len(best) {
			best, bestLen = clause, short
		}
	}
	return best
}

// quickRe is a regexp that first asks whether a text holds what every match
// needs, and searches only then.
type quickRe struct {
	*regexp.Regexp
	needs needs
}

func mustQuick(expr string) quickRe {
	re := regexp.MustCompile(expr)
	return quickRe{re, needsOf(re)}
}

func (q quickRe) MatchString(s string) bool {
	return q.needs.in(s) && q.Regexp.MatchString(s)
}

func (q quickRe) FindAllString(s string, n int) []string {
	if !q.needs.in(s) {
		return nil
	}
	return q.Regexp.FindAllString(s, n)
}

func (q quickRe) FindAllStringSubmatchIndex(s string, n int) [][]int {
	if !q.needs.in(s) {
		return nil
	}
	return q.Regexp.FindAllStringSubmatchIndex(s, n)
}

func (q quickRe) FindStringSubmatch(s string) []string {
	if !q.needs.in(s) {
		return nil
	}
	return q.Regexp.FindStringSubmatch(s)
}

func (q quickRe) ReplaceAllString(src, repl string) string {
	if !q.needs.in(src) {
		return src
	}
	return q.Regexp.ReplaceAllString(src, repl)
}
