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
)

func buildVocab() {
	vocab, byLen = map[string]int{}, map[int][]string{}
	// The lexicons' own words are known words too: never "corrected" away.
	for _, r := range rules {
		for _, w := range lexWord.FindAllString(r.pattern.String(), -1) {
			if vocab[w] == 0 && len(w) >= 4 {
				byLen[len(w)] = append(byLen[len(w)], w)
			}
			vocab[w]++
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
		for n := len(w) - 1; n <= len(w)+1; n++ {
			for _, c := range byLen[n] {
				if vocab[c] > freq && within1(w, c) {
					best, freq = c, vocab[c]
				}
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

var lexWord = regexp.MustCompile(`[a-z]{4,}`)
