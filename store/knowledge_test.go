package store_test

import (
	"context"
	"strings"
	"testing"

	"acuerdo"
)

func kbDoc(name, lang string, passages ...string) acuerdo.KnowledgeDoc {
	d := acuerdo.KnowledgeDoc{Name: name, Title: name, Lang: lang, Format: "md", SHA256: "x", Bytes: 10}
	for i, p := range passages {
		h, body, _ := strings.Cut(p, "|")
		d.Passages = append(d.Passages, acuerdo.KnowledgePassage{Seq: i + 1, Heading: h, Text: body, Terms: strings.ToLower(h + " " + body)})
	}
	return d
}

// TestKnowledge runs on both backends (TestMain): the same candidates, the
// same vocabulary, replacement all or nothing.
func TestKnowledge(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	docs := []acuerdo.KnowledgeDoc{
		kbDoc("faq.md", "es", "pagos|pag efecty pse", "horario|horari lunes viernes"),
		kbDoc("faq.en.md", "en", "payments|pay card online"),
	}
	if err := db.ReplaceKnowledge(ctx, docs); err != nil {
		t.Fatal(err)
	}
	v1, _ := db.KnowledgeVersion(ctx)
	hits, err := db.KnowledgeCandidates(ctx, []string{"pag", "efecty", "nada"}, 10)
	if err != nil || len(hits) != 1 || hits[0].Doc.Name != "faq.md" || hits[0].Passage.Heading != "pagos" || hits[0].Doc.Lang != "es" {
		t.Fatalf("candidates: %+v, %v", hits, err)
	}
	if hits, _ := db.KnowledgeCandidates(ctx, []string{"horari", "pay"}, 10); len(hits) != 2 {
		t.Errorf("OR of two terms: %d hits", len(hits))
	}
	if hits, _ := db.KnowledgeCandidates(ctx, []string{`x" OR "y`, "a'b"}, 10); len(hits) != 0 {
		t.Errorf("terms outside [a-z0-9] must never reach the query: %v", hits)
	}
	df, n, mean, err := db.KnowledgeVocabulary(ctx)
	if err != nil || n != 3 || df["pag"] != 1 || df["horari"] != 1 || mean < 3 {
		t.Fatalf("vocabulary: %v %d %.1f %v", df, n, mean, err)
	}

	// A failing replacement changes nothing.
	bad := append(docs, kbDoc("faq.md", "es", "x|y"))
	if err := db.ReplaceKnowledge(ctx, bad); err == nil {
		t.Fatal("two documents of one name: no error")
	}
	empty := append([]acuerdo.KnowledgeDoc{kbDoc("otro.md", "es", "a|b")}, acuerdo.KnowledgeDoc{Name: "vacio.md", Title: "v", Format: "md"})
	if err := db.ReplaceKnowledge(ctx, empty); err == nil {
		t.Fatal("a document without passages: no error")
	}
	if v, _ := db.KnowledgeVersion(ctx); v != v1 {
		t.Errorf("a failed replacement changed the knowledge base: %s → %s", v1, v)
	}
	if hits, _ := db.KnowledgeCandidates(ctx, []string{"a"}, 10); len(hits) != 0 {
		t.Errorf("a failed replacement left passages: %v", hits)
	}

	// Replacing one document from the console.
	id, err := db.PutKnowledgeDoc(ctx, kbDoc("faq.md", "es", "pagos|pag baloto"), acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "kb_upload", Outcome: acuerdo.Allowed})
	if err != nil {
		t.Fatal(err)
	}
	if hits, _ := db.KnowledgeCandidates(ctx, []string{"efecty"}, 10); len(hits) != 0 {
		t.Errorf("the replaced document's passages are still found: %v", hits)
	}
	if hits, _ := db.KnowledgeCandidates(ctx, []string{"baloto"}, 10); len(hits) != 1 || hits[0].Doc.ID != id {
		t.Errorf("the new passages are not found: %v", hits)
	}
	list, err := db.KnowledgeDocs(ctx)
	if err != nil || len(list) != 2 || list[1].Name != "faq.md" || list[1].Count != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
	d, err := db.KnowledgeDoc(ctx, id)
	if err != nil || len(d.Passages) != 1 || d.Passages[0].Text != "pag baloto" {
		t.Fatalf("doc: %+v %v", d, err)
	}
	if err := db.DeleteKnowledgeDoc(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteKnowledgeDoc(ctx, id); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
		t.Errorf("deleting twice: %v", err)
	}
	if _, n, _, _ := db.KnowledgeVocabulary(ctx); n != 1 {
		t.Errorf("after delete: %d passages", n)
	}
	if hits, _ := db.KnowledgeCandidates(ctx, []string{"baloto", "pag"}, 10); len(hits) != 0 {
		t.Errorf("the deleted document's passages are still found: %v", hits)
	}
}
