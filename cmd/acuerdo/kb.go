package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"acuerdo"
	"acuerdo/kb"
	"acuerdo/store"
)

func init() {
	register(command{name: "kb", summary: "the creditor's documents the agent answers questions from: import, list, ask", run: runKB})
}

const kbAbout = `Manages the creditor's own documents (FAQ, policies) that the agent
answers questions from, for debtors and for numbers outside the portfolio.

  acuerdo kb import DIR        replace every document with the files in DIR
  acuerdo kb list              the documents, their language and passages
  acuerdo kb ask [--lang es] QUESTION
                               what the documents answer, with confidence

Files are Markdown (.md), plain text (.txt, UTF-8 or Windows-1252) or PDF
(.pdf with a text layer); subfolders are read too, hidden files skipped.
Each document is cut into passages at its headings (Markdown #, or short
lines ending in "?" or ":" in text and PDF). A language tag in the file
name (faq.es.md, faq.pt-BR.md, faq.en.md) says the document's language;
without one it is guessed from the text. Debtors get passages in their own
language when there are any.

import replaces the whole set in one transaction: if any file cannot be
read, nothing changes and the error names the file. Admins can also upload,
replace and remove single documents in the console (/console/kb).
Exit status: 0 done, 1 a document was refused, 2 usage error.`

func runKB(ctx context.Context, e *env, args []string) error {
	return subcommands(ctx, e, "kb", kbAbout, args, sub{"import", runKBImport}, sub{"list", runKBList}, sub{"ask", runKBAsk})
}

func runKBImport(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "kb import", "kb import DIR", kbAbout)
	pos, err := parseMixed(e, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("kb import needs one folder: acuerdo kb import DIR")
	}
	dir := pos[0]
	docs, err := kb.LoadDir(dir, func(d acuerdo.KnowledgeDoc) {
		lang := d.Lang
		if lang == "" {
			lang = "language unknown"
		}
		fmt.Fprintf(e.stderr, "  %s: %d passages (%s, %s)\n", d.Name, len(d.Passages), d.Format, lang)
	})
	if err != nil {
		return cliError(err)
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	before, err := db.KnowledgeDocs(ctx)
	if err != nil {
		return err
	}
	passages := 0
	for _, d := range docs {
		passages += len(d.Passages)
	}
	err = db.ReplaceKnowledge(ctx, docs, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "kb_import", Outcome: acuerdo.Allowed, Rule: "cli",
		Detail: fmt.Sprintf("%d documents, %d passages from %s", len(docs), passages, dir)})
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(e.stdout, "imported %d documents, %d passages (replacing %d documents)\n", len(docs), passages, len(before))
	return nil
}

func runKBList(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "kb list", "kb list", kbAbout)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("kb list takes no arguments")
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	docs, err := db.KnowledgeDocs(ctx)
	if err != nil {
		return err
	}
	if len(docs) == 0 {
		fmt.Fprintln(e.stdout, "no documents: acuerdo kb import DIR")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTITLE\tLANG\tPASSAGES\tIMPORTED")
	for _, d := range docs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Name, d.Title, orDash(d.Lang), d.Count, d.ImportedAt.Format("2006-01-02 15:04 UTC"))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runKBAsk(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "kb ask", "kb ask [--lang es|pt-BR|en] QUESTION", kbAbout)
	lang := fs.String("lang", "es", "the asker's language: es, pt-BR or en")
	pos, err := parseMixed(e, fs, args)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(strings.Join(pos, " "))
	if q == "" {
		return usageErr("kb ask needs a question: acuerdo kb ask '¿dónde puedo pagar?'")
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := kb.Reanalyse(ctx, db); err != nil {
		return fmt.Errorf("re-analysing the documents: %w", err)
	}
	hits, err := kb.NewSearcher(db).Search(ctx, q, *lang, 3)
	if err != nil {
		return err
	}
	if len(hits) == 0 || hits[0].Score < kb.Threshold {
		fmt.Fprintf(e.stdout, "the documents do not answer this (the agent says so and offers a person)\n")
	}
	for _, h := range hits {
		mark := " "
		if h.Score >= kb.Threshold {
			mark = "*"
		}
		fmt.Fprintf(e.stdout, "%s %.2f  %s › %s\n    %s\n", mark, h.Score, h.Doc.Name, h.Passage.Heading, strings.ReplaceAll(h.Passage.Text, "\n", "\n    "))
	}
	return nil
}
