package understand

import (
	"bufio"
	_ "embed"
	"math"
	"strings"
	"sync"
)

// The classifier is multinomial naive Bayes over words, word pairs and
// letter 4-grams (which carry it over typos: "enfermo" and "enfremo" share
// most of theirs). It is trained when first used, from the labelled corpus
// embedded below: a few thousand utterances take milliseconds. Scores are
// tempered (the mean log-likelihood per feature, scaled) so that they behave
// like probabilities a threshold can be set on.

//go:embed testdata/train.tsv
var trainTSV string

// Thresholds, set by cross-validation on the training split only (see
// TestCrossValidation): a guard intent is added at guardThreshold; any other
// reading below sureThreshold asks a short question.
const (
	guardThreshold = 0.8
	sureThreshold  = 0.45
	temperature    = 6.0
	smoothing      = 0.2
)

// Example is one labelled utterance of the corpus.
type Example struct {
	Intent Intent
	Lang   string
	Text   string
}

// ParseCorpus reads a corpus file: one utterance a line, "intent<TAB>lang<TAB>text";
// blank lines and lines starting with # are skipped.
func ParseCorpus(tsv string) []Example {
	var out []Example
	sc := bufio.NewScanner(strings.NewReader(tsv))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		out = append(out, Example{Intent(strings.TrimSpace(f[0])), strings.TrimSpace(f[1]), f[2]})
	}
	return out
}

// model is a trained classifier.
type model struct {
	intents []Intent
	logp    map[string][]float32 // feature → log P(feature | intent)
	unseen  []float32            // log P(unseen feature | intent)
}

var (
	trained   *model
	trainOnce sync.Once
)

func classifier() *model {
	trainOnce.Do(func() { trained = train(ParseCorpus(trainTSV)) })
	return trained
}

// train fits the classifier to examples.
func train(examples []Example) *model {
	m := &model{logp: map[string][]float32{}}
	index := map[Intent]int{}
	for _, i := range Intents {
		index[i] = len(m.intents)
		m.intents = append(m.intents, i)
	}
	k := len(m.intents)
	counts := map[string][]float64{}
	totals := make([]float64, k)
	for _, e := range examples {
		c, ok := index[e.Intent]
		if !ok {
			continue
		}
		for _, f := range features(Normalize(e.Text)) {
			v := counts[f]
			if v == nil {
				v = make([]float64, k)
				counts[f] = v
			}
			v[c]++
			totals[c]++
		}
	}
	vocab := float64(len(counts))
	m.unseen = make([]float32, k)
	for c := range k {
		m.unseen[c] = float32(math.Log(smoothing / (totals[c] + smoothing*vocab)))
	}
	for f, v := range counts {
		lp := make([]float32, k)
		for c := range k {
			lp[c] = float32(math.Log((v[c] + smoothing) / (totals[c] + smoothing*vocab)))
		}
		m.logp[f] = lp
	}
	return m
}

// scores returns a probability-like score per intent for the words.
func (m *model) scores(words string) []float64 {
	k := len(m.intents)
	out := make([]float64, k)
	if strings.TrimSpace(words) == "" { // no features
		out[len(out)-1] = 1 // Other
		return out
	}
	sum := make([]float64, k)
	known := 0
	eachFeature(words, func(f []byte) {
		lp, ok := m.logp[string(f)]
		if !ok {
			return
		}
		known++
		for c := range k {
			sum[c] += float64(lp[c])
		}
	})
	if known == 0 {
		out[len(out)-1] = 1
		return out
	}
	best := math.Inf(-1)
	for c := range k {
		sum[c] = sum[c] / float64(known) * temperature * math.Sqrt(float64(known))
		best = math.Max(best, sum[c])
	}
	var z float64
	for c := range k {
		out[c] = math.Exp(sum[c] - best)
		z += out[c]
	}
	for c := range k {
		out[c] /= z
	}
	return out
}

// classify scores the words; see top.
func classify(words string) []float64 { return classifier().scores(words) }

// top returns the best intent and its score.
func top(scores []float64) (Intent, float64) {
	m := classifier()
	best := len(scores) - 1
	for c := range scores {
		if scores[c] > scores[best] {
			best = c
		}
	}
	return m.intents[best], scores[best]
}

// features are the words, the pairs of neighbouring words and the letter
// 4-grams of the words (with their edges marked) of a normalized message.
func features(words string) []string {
	var out []string
	eachFeature(words, func(f []byte) { out = append(out, string(f)) })
	return out
}

// eachFeature calls f with each feature of the words in turn, in a buffer
// it reuses: scoring looks features up without making a string of each.
func eachFeature(words string, f func([]byte)) {
	var buf [64]byte
	b := buf[:0]
	prev := ""
	for x := range strings.FieldsSeq(words) {
		f(append(append(b[:0], "w:"...), x...))
		if prev != "" {
			f(append(append(append(append(b[:0], "b:"...), prev...), ' '), x...))
		}
		prev = x
		if len(x) >= 4 {
			for j := 0; j+4 <= len(x)+2; j++ {
				// the 4-grams of "<" + x + ">"
				g := append(b[:0], "c:"...)
				for k := j; k < j+4; k++ {
					switch {
					case k == 0:
						g = append(g, '<')
					case k == len(x)+1:
						g = append(g, '>')
					default:
						g = append(g, x[k-1])
					}
				}
				f(g)
			}
		}
	}
}
