package kb

import (
	"context"

	"acuerdo"
)

// Stored is what Reanalyse needs of the store: the documents, each with its
// passages, and replacing one by name.
type Stored interface {
	KnowledgeDocs(ctx context.Context) ([]acuerdo.KnowledgeDoc, error)
	KnowledgeDoc(ctx context.Context, id int64) (acuerdo.KnowledgeDoc, error)
	PutKnowledgeDoc(ctx context.Context, doc acuerdo.KnowledgeDoc, audit ...acuerdo.AuditEntry) (int64, error)
}

// Reanalyse brings the index up to this analyser: the index holds the terms
// the analyser gave each passage when it was imported, so after an upgrade
// that changes the stemmer or the concept map a question's new terms would
// miss passages analysed the old way. It re-analyses every passage from its
// stored heading and text and replaces (in one transaction each) the
// documents whose terms changed; it returns how many. Idempotent: a second
// run, on this replica or another, finds nothing to change.
func Reanalyse(ctx context.Context, st Stored) (int, error) {
	docs, err := st.KnowledgeDocs(ctx)
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, d := range docs {
		full, err := st.KnowledgeDoc(ctx, d.ID)
		if err != nil {
			return changed, err
		}
		stale := false
		for i, p := range full.Passages {
			if t := passageTerms(p.Heading, p.Text); t != p.Terms {
				full.Passages[i].Terms = t
				stale = true
			}
		}
		if !stale {
			continue
		}
		if _, err := st.PutKnowledgeDoc(ctx, full); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}
