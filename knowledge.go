package acuerdo

import "time"

// KnowledgeDoc is one of the creditor's own documents (a FAQ, a policy) that
// the agent answers questions from. The set is replaced whole by
// `acuerdo kb import` and edited one document at a time from the console.
type KnowledgeDoc struct {
	ID         int64
	Name       string // the file's name: unique, and what an admin replaces by
	Title      string // the document's own title (its first heading), else Name
	Lang       string // es, pt-BR or en; "" when it could not be told
	Format     string // md, txt or pdf
	SHA256     string // of the file as imported
	Bytes      int
	ImportedAt time.Time
	Passages   []KnowledgePassage // in reading order; empty when listed
	Count      int                // how many passages it has (when listed)
}

// KnowledgePassage is one retrievable piece of a document: a section under a
// heading, or a paragraph of a long section.
type KnowledgePassage struct {
	ID      int64
	DocID   int64
	Seq     int    // position in the document
	Heading string // the section's heading path ("Pagos › Medios de pago")
	Text    string // the creditor's words, as written
	// Terms are the passage's analysed words (package kb), space separated:
	// what full-text search indexes on both backends, so that SQLite and
	// PostgreSQL find the same passages.
	Terms string
}

// KnowledgeHit is a passage found for a question, with its document and its
// confidence (0 to 1: how much of the question it covers).
type KnowledgeHit struct {
	Passage KnowledgePassage
	Doc     KnowledgeDoc // without Passages
	Score   float64
}
