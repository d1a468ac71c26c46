package store

import "strings"

// The knowledge base's index on PostgreSQL (0021_knowledge.postgres.sql):
// kb_passages.tsv, a generated tsvector with a GIN index, kept in step by
// the server itself.

// pgKBVocabulary reads each term with the number of passages holding it.
const pgKBVocabulary = `SELECT word, ndoc FROM ts_stat('SELECT tsv FROM kb_passages')`

// pgKBCandidates is the query of passages holding any of terms, best first
// by ts_rank.
func pgKBCandidates(cols string, terms []string, limit int) (string, []any) {
	match := strings.Join(terms, " | ")
	return `SELECT ` + cols + ` FROM kb_passages p JOIN kb_documents d ON d.id = p.document_id
			WHERE p.tsv @@ to_tsquery('simple', ?) ORDER BY ts_rank(p.tsv, to_tsquery('simple', ?)) DESC, p.id LIMIT ?`, []any{match, match, limit}
}
