package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"acuerdo/web/internal/webtest"
)

// TestConsoleKBInBrowser uploads documents through the page's script in
// headless chromium, as an admin does: a good file appears in the list, a
// bad one is refused with the reason on the page, and a question tried in
// the page finds the passage. It leaves screenshots in testoutput/.
func TestConsoleKBInBrowser(t *testing.T) {
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := newConsoleRig(t, consoleRigOptions{})
	dir := t.TempDir()
	good := filepath.Join(dir, "horario.es.md")
	bad := filepath.Join(dir, "contrato.docx")
	os.WriteFile(good, []byte("# Horario de atención\n\n## ¿A qué hora atienden?\n\nDe lunes a viernes de 8:00 a. m. a 6:00 p. m.\n"), 0o644)
	os.WriteFile(bad, []byte("PK\x03\x04"), 0o644)

	root := webtest.Browser(t, 90*time.Second, chromedp.WindowSize(1440, 900))
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := browserCtx{t: t, ctx: ctx}
	base := r.srv.URL
	b.login(base, adminEmail)
	b.do("documents page", chromedp.Navigate(base+"/console/kb"), chromedp.WaitVisible("#kb-upload"))
	b.do("upload a document",
		chromedp.SetUploadFiles(`#kb-upload input[type="file"]`, []string{good}),
		chromedp.Click(`#kb-upload button`),
		chromedp.WaitVisible(`table.kb`),
	)
	if got := b.eval(`document.querySelector("table.kb").innerText`); !strings.Contains(got, "Horario de atención") || !strings.Contains(got, "horario.es.md") {
		t.Fatalf("the list after the upload: %q", got)
	}
	if !strings.Contains(b.eval(`document.body.innerText`), "Documento cargado.") {
		t.Error("no notice after the upload")
	}
	b.do("a bad file",
		chromedp.SetUploadFiles(`#kb-upload input[type="file"]`, []string{bad}),
		chromedp.Click(`#kb-upload button`),
		chromedp.WaitVisible(`#kb-problem`),
	)
	if got := b.eval(`document.getElementById("kb-problem").innerText`); !strings.Contains(got, "contrato.docx: formato no admitido") {
		t.Errorf("refusal shown: %q", got)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM kb_documents`); n != 1 {
		t.Errorf("%d documents after the refused upload, want 1", n)
	}
	b.do("try a question",
		chromedp.SendKeys(`#kb-try input[name="q"]`, "¿a qué hora atienden?"),
		chromedp.Click(`#kb-try button`),
		chromedp.WaitVisible(`ol.kb-hits li.answers`),
	)
	b.shoot("kb")
}
