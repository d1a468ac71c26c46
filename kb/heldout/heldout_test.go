// Package heldout measures the knowledge base's answers on question sets
// (../testdata): it links the store, so it lives apart from package kb's
// own tests, which the fuzzer instruments.
package heldout_test

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/kb"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

// question is one line of a question set.
type question struct {
	lang, want, text string
}

func readQuestions(t *testing.T, path string) []question {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []question
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		p := strings.Split(line, "\t")
		if len(p) != 3 {
			t.Fatalf("%s: %q: want 3 tab-separated columns", path, line)
		}
		out = append(out, question{p[0], p[1], p[2]})
	}
	return out
}

// corpus loads testdata/docs into a fresh database and returns a searcher.
func corpus(t testing.TB) (*kb.Searcher, *store.DB) {
	t.Helper()
	docs, err := kb.LoadDir("../testdata/docs", nil)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := storetest.Open(t, store.Options{})
	if err := db.ReplaceKnowledge(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return kb.NewSearcher(db), db
}

// matches reports whether a hit is the expected passage: "file#words" names
// the document and words of the passage's heading.
func matches(h acuerdo.KnowledgeHit, want string) bool {
	file, heading, _ := strings.Cut(want, "#")
	return h.Doc.Name == file && strings.Contains(acuerdo.FoldWords(h.Passage.Heading), acuerdo.FoldWords(heading))
}

// score runs a question set: accuracy is the share of answerable questions
// whose best passage, above the threshold, is the expected one; no-answer
// precision the share of "I don't have that information" answers given to
// questions the documents really do not answer, and recall the share of
// those questions that got it.
func score(t *testing.T, s *kb.Searcher, qs []question, threshold float64) (acc, naPrec, naRecall float64) {
	t.Helper()
	ctx := context.Background()
	var answerable, right, silent, saidNone, saidNoneRight int
	for _, q := range qs {
		hits, err := s.Search(ctx, q.text, q.lang, 3)
		if err != nil {
			t.Fatal(err)
		}
		answered := len(hits) > 0 && hits[0].Score >= threshold
		top := "(none)"
		if len(hits) > 0 {
			top = hits[0].Doc.Name + "#" + hits[0].Passage.Heading
		}
		var sc float64
		if len(hits) > 0 {
			sc = hits[0].Score
		}
		ok := false
		if q.want == "-" {
			silent++
			ok = !answered
		} else {
			answerable++
			ok = answered && matches(hits[0], q.want)
			if ok {
				right++
			}
		}
		if !answered {
			saidNone++
			if q.want == "-" {
				saidNoneRight++
			}
		}
		if t != quiet && (!ok || testing.Verbose()) {
			mark := "ok  "
			if !ok {
				mark = "MISS"
			}
			t.Logf("%s %.2f %-5s %q → %s (want %s)", mark, sc, q.lang, q.text, top, q.want)
		}
	}
	acc = float64(right) / float64(answerable)
	naPrec = 1
	if saidNone > 0 {
		naPrec = float64(saidNoneRight) / float64(saidNone)
	}
	naRecall = float64(saidNoneRight) / float64(silent)
	return acc, naPrec, naRecall
}

// quiet is a *testing.T that score does not log to.
var quiet = &testing.T{}

// TestHeldOut measures answers on questions never used for tuning
// (testdata/heldout.tsv). Run with -v to see every question.
func TestHeldOut(t *testing.T) {
	s, _ := corpus(t)
	acc, prec, rec := score(t, s, readQuestions(t, "../testdata/heldout.tsv"), kb.Threshold)
	t.Logf("held-out: answer accuracy %.2f, no-answer precision %.2f, no-answer recall %.2f", acc, prec, rec)
	// Blind until the end of the second round (0.69, 0.54, 0.64); its
	// misses were looked at for the third (0.69, 0.57, 0.73 after it), so
	// it is no longer blind: heldout2.tsv is. Still below the 0.85 and
	// 0.90 this feature aims at; these floors keep it from getting worse.
	if acc < 0.67 || prec < 0.55 || rec < 0.7 {
		t.Errorf("held-out: accuracy %.2f (want ≥ 0.67), no-answer precision %.2f (want ≥ 0.55), recall %.2f (want ≥ 0.70)", acc, prec, rec)
	}
}

// TestHeldOut2 measures the second blind set (testdata/heldout2.tsv),
// written before the third round and never tuned on.
func TestHeldOut2(t *testing.T) {
	s, _ := corpus(t)
	acc, prec, rec := score(t, s, readQuestions(t, "../testdata/heldout2.tsv"), kb.Threshold)
	t.Logf("held-out 2: answer accuracy %.2f, no-answer precision %.2f, no-answer recall %.2f", acc, prec, rec)
	// Measured before the third round (0.62, 0.38, 0.50) and after it
	// (0.74, 0.45, 0.50).
	if acc < 0.72 || prec < 0.43 || rec < 0.45 {
		t.Errorf("held-out 2: accuracy %.2f, no-answer precision %.2f, recall %.2f", acc, prec, rec)
	}
}

// TestHeldOutSeen reports the first held-out set, whose misses were looked
// at after the first tuning round (so it is no longer blind; see
// testdata/heldout-seen.tsv). It asserts only what was measured then.
func TestHeldOutSeen(t *testing.T) {
	s, _ := corpus(t)
	acc, prec, rec := score(t, s, readQuestions(t, "../testdata/heldout-seen.tsv"), kb.Threshold)
	t.Logf("held-out (seen): answer accuracy %.2f, no-answer precision %.2f, no-answer recall %.2f", acc, prec, rec)
	if acc < 0.82 || prec < 0.7 {
		t.Errorf("held-out (seen): accuracy %.2f, no-answer precision %.2f, worse than measured after the third round (0.85, 0.73)", acc, prec)
	}
}

// TestTuning is the set the analyser and threshold were chosen on.
func TestTuning(t *testing.T) {
	s, _ := corpus(t)
	acc, prec, rec := score(t, s, readQuestions(t, "../testdata/tuning.tsv"), kb.Threshold)
	t.Logf("tuning: answer accuracy %.2f, no-answer precision %.2f, no-answer recall %.2f", acc, prec, rec)
	// Measured after the third round: 0.94, 0.92, 0.65.
	if acc < 0.92 || prec < 0.9 || rec < 0.6 {
		t.Errorf("tuning: accuracy %.2f, no-answer precision %.2f, recall %.2f", acc, prec, rec)
	}
}

// TestSweep prints the tuning set's scores over the free parameters; it
// never looks at the held-out set.
func TestSweep(t *testing.T) {
	if !testing.Verbose() {
		t.Skip("a tuning aid: go test -v -run Sweep ./kb")
	}
	s, _ := corpus(t)
	// The tuning set and the two held-out sets whose misses were looked
	// at; heldout2.tsv stays blind.
	var qs []question
	for _, f := range []string{"tuning", "heldout-seen", "heldout"} {
		qs = append(qs, readQuestions(t, "../testdata/"+f+".tsv")...)
	}
	defer func() { s.UnknownWeight, s.RankHeading = 0, 0 }()
	for _, r := range []float64{0.001, 0.2, 0.4, 0.6, 0.8} {
		for _, u := range []float64{0.5, 1, 1.5} {
			for _, th := range []float64{0.25, 0.3, 0.35, 0.4, 0.45, 0.5} {
				s.UnknownWeight, s.RankHeading = u, r
				acc, prec, rec := score(quiet, s, qs, th)
				t.Logf("rank heading %.2f unknown %.1f threshold %.2f: accuracy %.2f, no-answer precision %.2f, recall %.2f", r, u, th, acc, prec, rec)
			}
		}
	}
}

// TestMain runs the sets on SQLite, then again on the machine's PostgreSQL:
// the analyser is Go's, so both backends must score the same.
func TestMain(m *testing.M) { storetest.Main(m) }

// BenchmarkSearch is one question answered from the sample documents (35
// passages): the version check, the full-text match and the ranking.
// BenchmarkVersion is the ceiling beside it: the one query every search
// makes whatever it finds.
func BenchmarkSearch(b *testing.B) {
	s, _ := corpus(b)
	ctx := context.Background()
	qs := []string{"¿dónde puedo pagar?", "a que hora atienden", "necesito el paz y salvo", "aceptan bitcoin?"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Search(ctx, qs[i%len(qs)], "es", 3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVersion(b *testing.B) {
	_, db := corpus(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.KnowledgeVersion(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
