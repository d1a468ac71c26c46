package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kbDocs is the sample creditor's documents (es, pt-BR, en) the kb tests use.
const kbDocs = "../../kb/testdata/docs"

func TestKBImport(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	code, out, errOut := runCLI(t, "kb", "import", kbDocs, "--db", db)
	if code != 0 || !strings.Contains(out, "imported 4 documents, 35 passages (replacing 0 documents)") ||
		!strings.Contains(errOut, "preguntas-frecuentes.es.md: 10 passages (md, es)") {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "kb", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "perguntas-frequentes.pt-BR.md") || !strings.Contains(out, "pt-BR") {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "kb", "ask", "--db", db, "¿dónde", "puedo", "pagar?")
	if code != 0 || !strings.HasPrefix(out, "* 1.00  preguntas-frecuentes.es.md › Pagos › ¿Dónde puedo pagar mi cuota?") {
		t.Fatalf("ask: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "kb", "ask", "--db", db, "--lang", "en", "do you accept bitcoin?")
	if code != 0 || !strings.Contains(out, "the documents do not answer this") {
		t.Fatalf("ask, silent: %d %q", code, out)
	}

	// A folder with a file acuerdo cannot read changes nothing.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "nuevo.md"), []byte("# Nuevo\n\n## Pagos\n\nSolo en efectivo."), 0o644)
	os.WriteFile(filepath.Join(bad, "contrato.docx"), []byte("PK..."), 0o644)
	code, out, errOut = runCLI(t, "kb", "import", bad, "--db", db)
	if code != 1 || !strings.Contains(errOut, "contrato.docx: unsupported format") || out != "" {
		t.Fatalf("bad folder: %d %q %q", code, out, errOut)
	}
	if _, out, _ = runCLI(t, "kb", "list", "--db", db); strings.Contains(out, "nuevo.md") || !strings.Contains(out, "faq.en.md") {
		t.Fatalf("a refused import changed the documents: %q", out)
	}
	// A good one replaces the whole set.
	os.Remove(filepath.Join(bad, "contrato.docx"))
	if code, out, _ = runCLI(t, "kb", "import", bad, "--db", db); code != 0 || !strings.Contains(out, "imported 1 documents, 1 passages (replacing 4 documents)") {
		t.Fatalf("replace: %d %q", code, out)
	}
	if _, out, _ = runCLI(t, "kb", "list", "--db", db); !strings.Contains(out, "nuevo.md") || strings.Contains(out, "faq.en.md") {
		t.Fatalf("after replacing: %q", out)
	}
	for _, args := range [][]string{{"kb", "import"}, {"kb", "import", "a", "b"}, {"kb", "ask"}, {"kb", "frob"}} {
		if code, _, errOut := runCLI(t, append(args, "--db", db)...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errOut)
		}
	}
}
