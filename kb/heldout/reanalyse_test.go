package heldout_test

import (
	"context"
	"strings"
	"testing"

	"acuerdo/kb"
)

// TestReanalyse: passages indexed by an older analyser (here, the hours
// passage without its "horari" terms) are brought up to this one, so a
// question about hours finds them again; a second run changes nothing.
func TestReanalyse(t *testing.T) {
	s, db := corpus(t)
	ctx := context.Background()
	docs, err := db.KnowledgeDocs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for _, d := range docs {
		if d.Name != "preguntas-frecuentes.es.md" {
			continue
		}
		full, err := db.KnowledgeDoc(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range full.Passages {
			full.Passages[i].Terms = strings.ReplaceAll(p.Terms, "horari", "horario")
		}
		if _, err := db.PutKnowledgeDoc(ctx, full); err != nil {
			t.Fatal(err)
		}
		name = d.Name
	}
	if name == "" {
		t.Fatal("no preguntas-frecuentes.es.md in the sample documents")
	}
	ask := func() string {
		hits, err := s.Search(ctx, "que horario tienen", "es", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].Score < kb.Threshold {
			return "(none)"
		}
		return hits[0].Doc.Name + "#" + hits[0].Passage.Heading
	}
	if got := ask(); strings.Contains(got, "horario de atención") && strings.HasPrefix(got, name) {
		t.Fatalf("stale index still answers %q: the damage did not take", got)
	}
	n, err := kb.Reanalyse(ctx, db)
	if err != nil || n != 1 {
		t.Fatalf("Reanalyse = %d, %v; want 1 document", n, err)
	}
	if got := ask(); !strings.HasPrefix(got, name) || !strings.Contains(got, "horario de atención") {
		t.Errorf("after Reanalyse: %q", got)
	}
	if n, err := kb.Reanalyse(ctx, db); err != nil || n != 0 {
		t.Errorf("second Reanalyse = %d, %v; want 0", n, err)
	}
}
