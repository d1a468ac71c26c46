package demo

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"

	"acuerdo"
	"acuerdo/kb"
	"acuerdo/store"
)

// The demo creditor's FAQ in es, pt-BR and en, so the sandbox shows answers
// from the creditor's documents (ask "¿dónde puedo pagar?").
//
//go:embed knowledge/*.md
var knowledgeFS embed.FS

// Knowledge returns the demo creditor's documents, parsed.
func Knowledge() ([]acuerdo.KnowledgeDoc, error) {
	names, err := fs.Glob(knowledgeFS, "knowledge/*.md")
	if err != nil {
		return nil, err
	}
	var docs []acuerdo.KnowledgeDoc
	for _, n := range names {
		b, err := knowledgeFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		d, err := kb.Parse(path.Base(n), b)
		if err != nil {
			return nil, fmt.Errorf("demo documents: %w", err)
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// SeedKnowledge loads the demo creditor's documents into a database that has
// none; documents already there (imported or uploaded) are left alone.
func SeedKnowledge(ctx context.Context, db *store.DB) (bool, error) {
	have, err := db.KnowledgeDocs(ctx)
	if err != nil || len(have) > 0 {
		return false, err
	}
	docs, err := Knowledge()
	if err != nil {
		return false, err
	}
	return true, db.ReplaceKnowledge(ctx, docs, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "kb_import", Outcome: acuerdo.Allowed, Rule: "demo",
		Detail: fmt.Sprintf("%d demo documents", len(docs))})
}
