package understand

import (
	"regexp"
	"strings"
	"sync"
)

// Typos are corrected against the words of the training corpus: a word of
// five letters or more that the corpus never uses, one edit away from words it
// does, becomes the most frequent of them ("menasjes" → "mensajes",
// "girlfrend" → "girlfriend"). Lexicons then match it, and the classifier's
// letter 4-grams carry what correction misses.

var (
	vocabOnce sync.Once
	vocab     map[string]int   // word → frequency in the corpus
	byLen     map[int][]string // candidate words by length
	// deletes maps a word less one letter to the words it came from.
	deletes map[string][]string
)

func buildVocab() {
	defer indexDeletes()
	vocab, byLen = map[string]int{}, map[int][]string{}
	// The lexicons' own words are known words too: never "corrected" away.
	add := func(w string) {
		if vocab[w] == 0 && len(w) >= 4 {
			byLen[len(w)] = append(byLen[len(w)], w)
		}
		vocab[w]++
	}
	for _, r := range rules {
		src := r.pattern.String()
		for _, w := range lexWord.FindAllString(src, -1) {
			add(w)
		}
		// "cort[oa]s?" names "corto", "corta", "cortos" and "cortas": known
		// words too, or "corto" would be "corrected" to "certo".
		for _, m := range lexClass.FindAllStringSubmatch(src, -1) {
			for _, c := range m[2] {
				add(m[1] + string(c))
				if m[3] != "" {
					add(m[1] + string(c) + "s")
				}
			}
		}
	}
	for _, e := range ParseCorpus(trainTSV) {
		for _, w := range strings.Fields(Normalize(e.Text)) {
			if vocab[w] == 0 && len(w) >= 4 {
				byLen[len(w)] = append(byLen[len(w)], w)
			}
			vocab[w]++
		}
	}
}

// spell corrects the words of a normalized message.
func spell(words string) string {
	vocabOnce.Do(buildVocab)
	f := strings.Fields(words)
	changed := false
	for i, w := range f {
		if len(w) < 5 || vocab[w] > 0 || w[0] >= '0' && w[0] <= '9' || vocab[strings.TrimSuffix(w, "s")] > 0 {
			continue
		}
		best, freq := "", 0
		for _, c := range candidates(w) {
			if vocab[c] > freq && within1(w, c) {
				best, freq = c, vocab[c]
			}
		}
		if best != "" {
			f[i], changed = best, true
		}
	}
	if !changed {
		return words
	}
	return strings.Join(f, " ")
}

var (
	lexWord  = regexp.MustCompile(`[a-z]{4,}`)
	lexClass = regexp.MustCompile(`([a-z]{3,})\[([a-z]+)\](s\?)?`)
)

// indexDeletes indexes every known word under itself less each one letter,
// so that the words one edit from a typo are found by a few lookups (the
// symmetric-delete idea of SymSpell) instead of comparing with every word.
func indexDeletes() {
	deletes = map[string][]string{}
	for _, ws := range byLen {
		for _, w := range ws {
			deletes[w] = append(deletes[w], w)
			for i := range len(w) {
				d := w[:i] + w[i+1:]
				deletes[d] = append(deletes[d], w)
			}
		}
	}
}

// candidates are the known words that may be one edit from w.
func candidates(w string) []string {
	out := append([]string(nil), deletes[w]...)
	for i := range len(w) {
		out = append(out, deletes[w[:i]+w[i+1:]]...)
	}
	return out
}
