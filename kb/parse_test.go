package kb_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"acuerdo"
	"acuerdo/kb"
)

var update = flag.Bool("update", false, "rewrite testdata/pdf/*.pdf")

func TestParseMarkdown(t *testing.T) {
	data, err := os.ReadFile("testdata/docs/preguntas-frecuentes.es.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := kb.Parse("preguntas-frecuentes.es.md", data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Preguntas frecuentes de Financiera Andina" || doc.Lang != "es" || doc.Format != "md" {
		t.Errorf("title %q, lang %q, format %q", doc.Title, doc.Lang, doc.Format)
	}
	var headings []string
	for _, p := range doc.Passages {
		headings = append(headings, p.Heading)
	}
	want := []string{
		"", // the lead paragraph under the title
		"Pagos › ¿Dónde puedo pagar mi cuota?",
		"Pagos › ¿Cuánto tarda en verse reflejado mi pago?",
		"Pagos › ¿Puedo pagar antes de tiempo o abonar a capital?",
		"Pagos › ¿Cobran comisión por pagar?",
		"Atención al cliente › ¿Cuál es el horario de atención?",
		"Atención al cliente › ¿Cómo actualizo mis datos de contacto?",
		"Certificados › ¿Cómo obtengo un paz y salvo?",
		"Certificados › ¿Cómo pido un certificado de deuda o estado de cuenta?",
		"Seguridad › ¿Cómo sé que me están escribiendo de Financiera Andina?",
	}
	if strings.Join(headings, "\n") != strings.Join(want, "\n") {
		t.Errorf("headings:\n%s\nwant:\n%s", strings.Join(headings, "\n"), strings.Join(want, "\n"))
	}
	pay := doc.Passages[1].Text
	if !strings.Contains(pay, "• En línea por PSE") || strings.Contains(pay, "**") {
		t.Errorf("payment passage: %q", pay)
	}
}

func TestParseText(t *testing.T) {
	data, err := os.ReadFile("testdata/docs/politicas-de-cobranza.es.txt")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := kb.Parse("politicas-de-cobranza.es.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Políticas de cobranza y reclamaciones" {
		t.Errorf("title %q", doc.Title)
	}
	found := map[string]string{}
	for _, p := range doc.Passages {
		found[p.Heading] = p.Text
	}
	if !strings.HasPrefix(found["Reclamos y quejas"], "Si no estás de acuerdo") {
		t.Errorf("passages: %v", found)
	}
	// Windows-1252 text (what office software saves) reads the same.
	latin := []byte("Horario:\nAtendemos de lunes a s\xe1bado.\n")
	doc, err = kb.Parse("horario.txt", latin)
	if err != nil || doc.Passages[0].Heading != "Horario" || doc.Passages[0].Text != "Atendemos de lunes a sábado." {
		t.Errorf("latin-1: %+v, %v", doc.Passages, err)
	}
}

// TestParsePDF reads a PDF made by a real PDF writer (testdata/pdf, made
// with go-pdf/fpdf; -update writes it again).
func TestParsePDF(t *testing.T) {
	path := "testdata/pdf/seguro-deudores.es.pdf"
	if *update {
		writePDF(t, path, []string{
			"Seguro de vida deudores", "",
			"¿Qué cubre el seguro?",
			"El seguro de vida deudores paga el saldo del crédito en caso de fallecimiento o incapacidad total y permanente del titular.", "",
			"¿Cómo se reclama el seguro?",
			"Un familiar debe enviar el certificado de defunción y la copia de la cédula a seguros@financiera-andina.co. La aseguradora responde en 30 días.",
		})
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := kb.Parse(filepath.Base(path), data)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Seguro de vida deudores" || doc.Format != "pdf" || doc.Lang != "es" || len(doc.Passages) != 2 {
		t.Fatalf("%+v", doc)
	}
	p := doc.Passages[1]
	if p.Heading != "¿Cómo se reclama el seguro?" || !strings.Contains(p.Text, "certificado de defunción") {
		t.Errorf("passage %q: %q", p.Heading, p.Text)
	}
}

// writePDF writes lines as a one-page PDF, a blank line as a paragraph gap.
func writePDF(t *testing.T, path string, lines []string) {
	t.Helper()
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 11)
	for _, l := range lines {
		if l == "" {
			pdf.Ln(6)
			continue
		}
		pdf.MultiCell(0, 5, tr(l), "", "L", false)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name, data, want string
	}{
		{"contrato.docx", "x", "unsupported format"},
		{"vacio.md", "# Título\n\n", "no text to index"},
		{"escaneado.pdf", "%PDF-1.4 not really", "not a readable PDF"},
		{"blank.txt", "  \n\n ", "no text to index"},
	} {
		_, err := kb.Parse(c.name, []byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("%s: %v, want an error naming it and saying %q", c.name, err, c.want)
		}
		var ae *acuerdo.Error
		if !errors.As(err, &ae) || ae.Code != acuerdo.EINVALID {
			t.Errorf("%s: %v is not EINVALID", c.name, err)
		}
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("# A\n\n## Pagos\n\nPague en línea."), 0o644)
	os.WriteFile(filepath.Join(dir, ".DS_Store"), []byte{0, 1}, 0o644)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b.txt"), []byte("Horario\n\nDe 8 a 5."), 0o644)
	var seen []string
	docs, err := kb.LoadDir(dir, func(d acuerdo.KnowledgeDoc) { seen = append(seen, d.Name) })
	if err != nil || len(docs) != 2 || strings.Join(seen, ",") != "a.md,b.txt" {
		t.Fatalf("%v %v %v", docs, seen, err)
	}
	os.WriteFile(filepath.Join(dir, "sub", "a.md"), []byte("# otra"), 0o644)
	if _, err := kb.LoadDir(dir, nil); err == nil || !strings.Contains(err.Error(), "same name") {
		t.Errorf("duplicate names: %v", err)
	}
	os.Remove(filepath.Join(dir, "sub", "a.md"))
	os.WriteFile(filepath.Join(dir, "c.xlsx"), []byte("x"), 0o644)
	if _, err := kb.LoadDir(dir, nil); err == nil || !strings.Contains(err.Error(), "c.xlsx: unsupported") {
		t.Errorf("bad file: %v", err)
	}
	if _, err := kb.LoadDir(filepath.Join(dir, "nope"), nil); err == nil {
		t.Error("missing folder: no error")
	}
}

func TestStem(t *testing.T) {
	for _, c := range [][]string{
		{"pagar", "pago", "pagos", "pague"},
		{"horario", "horarios"},
		{"certificado", "certificados"},
		{"hours", "hour"},
		{"reclamo", "reclamos", "reclamaciones"},
		{"atender", "atendem", "atendimento"},
		{"cobrar", "cobran", "cobram"},
		{"prestamo", "prestamos"},
	} {
		for _, w := range c[1:] {
			if kb.Stem(w) != kb.Stem(c[0]) {
				t.Errorf("Stem(%q) = %q, Stem(%q) = %q", w, kb.Stem(w), c[0], kb.Stem(c[0]))
			}
		}
	}
}

// TestConcepts: a debtor's words and the documents' meet on one term, and
// a phrase that looks alike but asks something else does not.
func TestConcepts(t *testing.T) {
	for _, c := range []struct {
		text, term string
		want       bool
	}{
		{"que pasa si no pago", "mor", true},
		{"e se eu nao pagar?", "mor", true},
		{"what happens if i dont pay", "mor", true},
		{"i missed a payment", "mor", true},
		{"intereses de mora", "mor", true},
		{"si no puedo pagar la cuota", "mor", false},
		{"no recibimos pagos en efectivo", "mor", false},
		{"vou ficar com nome sujo?", "buro", true},
		{"will it hurt my credit score", "buro", true},
		{"a que hora abren", "horari", true},
		{"atienden los sabados", "atencion", true},
		{"vcs atendem?", "atencion", true},
		{"horario de atendimento", "atencion", true},
		{"cambie de correo", "actualiz", true},
		{"paguei e nao caiu", "reflej", true},
	} {
		got := false
		for _, term := range kb.Terms(c.text) {
			got = got || term == c.term
		}
		if got != c.want {
			t.Errorf("Terms(%q) = %v: has %q %v, want %v", c.text, kb.Terms(c.text), c.term, got, c.want)
		}
	}
}

// FuzzParse feeds outside input (an admin's upload) to every format: no
// panic, and a document either parses into passages or is refused.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"# T\n\n## A\n\ntext", "Title\n\nHeading:\nbody", "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "\xef\xbb\xbfhola"} {
		f.Add(s)
	}
	if data, err := os.ReadFile("testdata/pdf/seguro-deudores.es.pdf"); err == nil {
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range []string{"f.md", "f.txt", "f.pdf"} {
			doc, err := kb.Parse(name, []byte(s))
			if err == nil && len(doc.Passages) == 0 {
				t.Fatalf("%s: no error and no passages", name)
			}
		}
	})
}
