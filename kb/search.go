package kb

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"

	"acuerdo"
)

// Index is what a search needs of the store: the full-text index over the
// passages' analysed terms (SQLite FTS5, PostgreSQL tsvector) and its
// statistics.
type Index interface {
	// KnowledgeVersion changes whenever the passages change.
	KnowledgeVersion(ctx context.Context) (string, error)
	// KnowledgeVocabulary is every indexed term with the number of passages
	// holding it, the number of passages and their mean length in terms.
	KnowledgeVocabulary(ctx context.Context) (df map[string]int, passages int, meanLen float64, err error)
	// KnowledgeCandidates are up to limit passages holding any of terms, by
	// the backend's own full-text match, with their documents.
	KnowledgeCandidates(ctx context.Context, terms []string, limit int) ([]acuerdo.KnowledgeHit, error)
}

// Threshold is the confidence below which the documents are taken to be
// silent on a question: the agent then says it does not have that
// information and offers a person, rather than quoting a passage that does
// not answer. Chosen on testdata/tuning.tsv; testdata/heldout.tsv checks it.
const Threshold = 0.45

// otherLanguage weighs a passage written in another language than the
// question's, when no passage in the debtor's language matched at all: it
// may still answer, but less surely.
const otherLanguage = 0.85

// DefaultUnknownWeight is how much a word the documents never use weighs
// against the question's known words (see Search), chosen on the tuning set.
const DefaultUnknownWeight = 1.0

// DefaultRankHeading is how much a passage's rank rests on its heading
// echoing the question (see Search), chosen on the tuning sets: which
// passage answers best leans on its heading, because among passages sharing the question's words the one whose
// heading is the question ("Intereses de mora" for "¿cuánto interés de mora
// me cobran?") is the answer, and the others merely mention it.
const DefaultRankHeading = 0.6

// BM25's usual constants.
const (
	k1 = 1.2
	b  = 0.75
)

// candidates is how many passages the full-text match hands to the ranking.
const candidates = 50

// Searcher finds the passages that answer a question. It caches the
// vocabulary until the index's version changes (a new import, a document
// replaced from the console), on this replica or another.
type Searcher struct {
	idx Index
	// UnknownWeight replaces DefaultUnknownWeight when not zero (for the
	// tuning sweep).
	UnknownWeight float64
	// RankHeading replaces DefaultRankHeading when not zero (for the
	// tuning sweep).
	RankHeading float64

	mu      sync.Mutex
	version string
	df      map[string]int
	n       int
	meanLen float64
	byLen   map[int][]string
}

// NewSearcher returns a Searcher over idx.
func NewSearcher(idx Index) *Searcher { return &Searcher{idx: idx} }

// Search returns the passages that answer question best, most confident
// first, at most limit. locale is the debtor's language (es, pt-BR, en):
// passages in it are preferred. A question the documents do not answer
// returns hits below Threshold, or none.
func (s *Searcher) Search(ctx context.Context, question, locale string, limit int) ([]acuerdo.KnowledgeHit, error) {
	q := QueryTerms(question)
	if len(q) == 0 {
		return nil, nil
	}
	df, n, meanLen, err := s.stats(ctx)
	if err != nil || n == 0 {
		return nil, err
	}
	// Words the documents never use are corrected to one they do, one
	// typing slip away ("horaio" → "horari"); words still unknown stay, and
	// weigh as the rarest: a question about something the documents never
	// mention must not be answered by a passage sharing its common words.
	var known []string
	for i, t := range q {
		if df[t] == 0 {
			if c := s.correct(t, df); c != "" {
				q[i] = c
			}
		}
		if df[q[i]] > 0 {
			known = append(known, q[i])
		}
	}
	if len(known) == 0 {
		return nil, nil
	}
	hits, err := s.idx.KnowledgeCandidates(ctx, known, candidates)
	if err != nil {
		return nil, err
	}
	hits = sameLanguage(hits, locale)
	idf := func(t string) float64 {
		d := float64(df[t])
		return math.Log(1 + (float64(n)-d+0.5)/(d+0.5))
	}
	// The confidence is how much of the question a passage covers, each
	// word weighed by how rare it is in the documents (question words left
	// out). Among passages that cover as much, the one whose own heading is
	// closest to the question wins (FAQ headings are questions: "Where can
	// I pay?" over "Can I pay my loan off early?" for "how can I pay"), then
	// BM25, where a passage's length and how often it repeats a word decide.
	// A word the documents never use weighs as much as the question's known
	// words do on average (times DefaultUnknownWeight): enough that "¿aceptan
	// bitcoin?" is not answered by a passage about accepting payments, not
	// so much that a paraphrase's odd verb ("manejan") always sinks the
	// passage that answers.
	total, knownSum, nKnown, unknown := 0.0, 0.0, 0, 0
	seen := map[string]bool{}
	for _, t := range q {
		if seen[t] {
			continue
		}
		seen[t] = true
		switch {
		case Soft(t):
		case df[t] > 0:
			knownSum += idf(t)
			nKnown++
		default:
			unknown++
		}
	}
	uw := DefaultUnknownWeight
	if s.UnknownWeight != 0 {
		uw = s.UnknownWeight
	}
	if nKnown > 0 {
		total = knownSum + float64(unknown)*uw*knownSum/float64(nKnown)
	}
	rh := DefaultRankHeading
	if s.RankHeading != 0 {
		rh = s.RankHeading
	}
	bm, head, rank := make([]float64, len(hits)), make([]float64, len(hits)), make([]float64, len(hits))
	for i := range hits {
		head[i] = headingShare(hits[i].Passage.Heading, seen)
		hq := headingCover(hits[i].Passage.Heading, seen, idf)
		terms := strings.Fields(hits[i].Passage.Terms)
		tf := map[string]int{}
		for _, t := range terms {
			tf[t]++
		}
		norm := 1 - b + b*float64(len(terms))/math.Max(meanLen, 1)
		lang := 1.0
		covered := 0.0
		for t := range seen {
			if f := float64(tf[t]); f > 0 {
				bm[i] += idf(t) * f * (k1 + 1) / (f + k1*norm)
				if !Soft(t) {
					covered += idf(t)
				}
			}
		}
		if l := hits[i].Doc.Lang; l != "" && locale != "" && l != locale {
			lang = otherLanguage
		}
		if total > 0 {
			// The rank is the coverage lowered by rh where the passage's
			// own heading says nothing the question says: FAQ headings
			// are the questions a passage answers, so a passage that only
			// shares body words ("tarjeta" in the security advice for
			// "¿puedo pagar con tarjeta?") ranks below one whose heading
			// the question echoes. The confidence stays the coverage: on
			// the tuning sets, heading evidence in it moved no decision
			// that the threshold did not move as well.
			hits[i].Score = covered / total * lang
			rank[i] = covered / total * (1 - rh + rh*hq) * lang
		}
		bm[i] *= lang
	}
	order := make([]int, len(hits))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		i, j := order[x], order[y]
		if si, sj := math.Round(rank[i]*100), math.Round(rank[j]*100); si != sj {
			return si > sj
		}
		if head[i] != head[j] {
			return head[i] > head[j]
		}
		if bm[i] != bm[j] {
			return bm[i] > bm[j]
		}
		return hits[i].Passage.ID < hits[j].Passage.ID
	})
	sorted := make([]acuerdo.KnowledgeHit, len(hits))
	for x, i := range order {
		sorted[x] = hits[i]
	}
	hits = sorted
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits, nil
}

// sameLanguage keeps the passages written in the debtor's language when
// there are any: a word another language shares by chance ("consigo" in
// Portuguese, "consignar" in Spanish) is no answer, and the debtor reads
// their own language best. Documents in no known language are kept.
func sameLanguage(hits []acuerdo.KnowledgeHit, locale string) []acuerdo.KnowledgeHit {
	own := false
	for _, h := range hits {
		own = own || h.Doc.Lang == locale
	}
	if !own {
		return hits
	}
	out := hits[:0]
	for _, h := range hits {
		if h.Doc.Lang == locale || h.Doc.Lang == "" {
			out = append(out, h)
		}
	}
	return out
}

// headingCover is the share of the question's known content words, each
// weighed by idf, that a passage's own heading (the last of its path) has.
func headingCover(path string, q map[string]bool, idf func(string) float64) float64 {
	if i := strings.LastIndex(path, "›"); i >= 0 {
		path = path[i+len("›"):]
	}
	h := map[string]bool{}
	for _, t := range QueryTerms(path) {
		h[t] = true
	}
	all, in := 0.0, 0.0
	for t := range q {
		if Soft(t) {
			continue
		}
		w := idf(t)
		all += w
		if h[t] {
			in += w
		}
	}
	if all == 0 {
		return 0
	}
	return in / all
}

// headingShare is the share of the words of a passage's own heading (the
// last of its path) that the question has.
func headingShare(path string, q map[string]bool) float64 {
	if i := strings.LastIndex(path, "›"); i >= 0 {
		path = path[i+len("›"):]
	}
	n, in := 0, 0
	for _, t := range QueryTerms(path) {
		if Soft(t) {
			continue
		}
		n++
		if q[t] {
			in++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(in) / float64(n)
}

// stats returns the vocabulary, reloading it when the index changed.
func (s *Searcher) stats(ctx context.Context) (map[string]int, int, float64, error) {
	v, err := s.idx.KnowledgeVersion(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v != s.version || s.df == nil {
		df, n, mean, err := s.idx.KnowledgeVocabulary(ctx)
		if err != nil {
			return nil, 0, 0, err
		}
		s.df, s.n, s.meanLen, s.version = df, n, mean, v
		s.byLen = map[int][]string{}
		for t := range df {
			s.byLen[len(t)] = append(s.byLen[len(t)], t)
		}
		for _, ts := range s.byLen {
			sort.Strings(ts)
		}
	}
	return s.df, s.n, s.meanLen, nil
}

// correct returns the indexed term one edit away from t (the most frequent
// of several), or "". Short words are left alone: at three letters one edit
// away is another word.
func (s *Searcher) correct(t string, df map[string]int) string {
	if len(t) < 4 {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	best, freq := "", 0
	for l := len(t) - 1; l <= len(t)+1; l++ {
		for _, c := range s.byLen[l] {
			if df[c] > freq && oneEdit(t, c) {
				best, freq = c, df[c]
			}
		}
	}
	return best
}

// oneEdit reports whether a and b differ by one insertion, deletion,
// substitution or transposition of adjacent letters.
func oneEdit(a, b string) bool {
	if a == b {
		return false
	}
	la, lb := len(a), len(b)
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	if lb-la > 1 {
		return false
	}
	i := 0
	for i < la && a[i] == b[i] {
		i++
	}
	if la == lb {
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i:] == b[i+1:]
}

// IsQuestion reports whether a message asks something: a question mark, or
// a question word first ("donde pago", "como faço", "what are your hours").
// The agent only looks things up in the documents for questions.
func IsQuestion(text string) bool {
	if strings.ContainsAny(text, "?¿") {
		return true
	}
	f := strings.Fields(acuerdo.FoldWords(text))
	for i, w := range f {
		if i > 3 {
			break
		}
		if questionWords[w] {
			return true
		}
	}
	return false
}

var questionWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`donde adonde como cuando cual cuales cuanto cuanta cuantos cuantas que quien puedo pueden podria hay tienen aceptan
		onde aonde quando qual quais quanto quantos quem posso podem voces tem aceitam existe
		where how when which what who whats can could do does is are any`) {
		questionWords[w] = true
	}
}

// Empty reports whether there are no passages at all (nothing imported).
func (s *Searcher) Empty(ctx context.Context) (bool, error) {
	_, n, _, err := s.stats(ctx)
	return n == 0, err
}
