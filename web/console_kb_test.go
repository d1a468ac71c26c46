package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"acuerdo/web/internal/webtest"
)

// upload posts a file as the knowledge base page's script does: the body is
// the file, the CSRF token a header.
func (a *agent) upload(name string, body []byte, csrf string) (int, string) {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.base+"/console/kb/upload?name="+url.QueryEscape(name), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	return resp.StatusCode, webtest.ReadAll(a.t, resp)
}

func TestConsoleKB(t *testing.T) {
	r := newConsoleRig(t, consoleRigOptions{})
	admin, op := r.agent(t), r.agent(t)
	admin.login(adminEmail)
	op.login(operatorEmail)
	faq, err := os.ReadFile("../kb/testdata/docs/preguntas-frecuentes.es.md")
	if err != nil {
		t.Fatal(err)
	}

	// Operators may not see or change the documents: the server refuses.
	if code, _, _ := op.get("/console/kb"); code != http.StatusForbidden {
		t.Errorf("operator GET /console/kb: %d, want 403", code)
	}
	if code, _ := op.upload("faq.es.md", faq, op.csrf); code != http.StatusForbidden {
		t.Errorf("operator upload: %d, want 403", code)
	}
	// An admin's upload needs the session's CSRF token.
	if code, _, _ := admin.get("/console/kb"); code != http.StatusOK {
		t.Fatalf("admin GET /console/kb: %d", code)
	}
	if code, _ := admin.upload("faq.es.md", faq, ""); code != http.StatusForbidden {
		t.Errorf("upload without CSRF: %d, want 403", code)
	}
	if code, _ := admin.upload("faq.es.md", faq, "forged"); code != http.StatusForbidden {
		t.Errorf("upload with a forged CSRF token: %d, want 403", code)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM kb_documents`); n != 0 {
		t.Fatalf("%d documents after refused uploads", n)
	}
	// A multipart form is refused before it is parsed, as everywhere.
	req, _ := http.NewRequest(http.MethodPost, admin.base+"/console/kb/upload?name=x.md", strings.NewReader("--b\r\n\r\n--b--"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	req.Header.Set("X-CSRF-Token", admin.csrf)
	if resp, err := admin.c.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("multipart upload: %v %v", resp, err)
	}

	code, _ := admin.upload("faq.es.md", faq, admin.csrf)
	if code != http.StatusSeeOther {
		t.Fatalf("upload: %d", code)
	}
	_, page, _ := admin.get("/console/kb?ok=ok_kb_uploaded")
	if !strings.Contains(page, "Preguntas frecuentes de Financiera Andina") || !strings.Contains(page, "Documento cargado.") {
		t.Fatalf("list after upload: %s", page)
	}
	// A bad file is refused in the admin's language; nothing changes.
	for _, c := range []struct {
		name, body, want string
		status           int
	}{
		{"contrato.docx", "PK", "contrato.docx: formato no admitido", http.StatusBadRequest},
		{"escaneado.pdf", "%PDF-1.4 nada", "escaneado.pdf no es un PDF legible", http.StatusBadRequest},
		{"faq.es.md", "# Solo título\n", "faq.es.md no tiene texto para indexar", http.StatusBadRequest},
		{"enorme.md", strings.Repeat("a", 8<<20+1), "enorme.md supera los 8 MB", http.StatusRequestEntityTooLarge},
	} {
		if code, body := admin.upload(c.name, []byte(c.body), admin.csrf); code != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, body, c.status, c.want)
		}
	}
	if n := r.count(t, `SELECT COUNT(*) FROM kb_passages`); n != 10 {
		t.Errorf("%d passages after refused uploads, want the 10 of the first", n)
	}
	// Replacing by name, then trying a question in the page.
	if code, _ := admin.upload("faq.es.md", []byte("# FAQ\n\n## Horario\n\nAtendemos de 9 a 5."), admin.csrf); code != http.StatusSeeOther {
		t.Fatalf("replace: %d", code)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM kb_documents`); n != 1 {
		t.Errorf("%d documents after replacing by name, want 1", n)
	}
	_, page, _ = admin.get("/console/kb?q=" + url.QueryEscape("¿cuál es el horario?") + "&qlang=es")
	if !strings.Contains(page, "Atendemos de 9 a 5.") || !strings.Contains(page, "responde") {
		t.Errorf("try a question: %s", page)
	}
	id := r.count(t, `SELECT id FROM kb_documents`)
	if code, page, _ := admin.get("/console/kb/" + strconv.Itoa(id)); code != http.StatusOK || !strings.Contains(page, "Horario") {
		t.Errorf("document page: %d", code)
	}
	// Removing needs an admin and the token too.
	if code, _, _ := op.post("/console/kb/"+strconv.Itoa(id)+"/delete", nil); code != http.StatusForbidden {
		t.Errorf("operator delete: %d", code)
	}
	if code, _, _ := admin.post("/console/kb/"+strconv.Itoa(id)+"/delete", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("delete with a forged token: %d", code)
	}
	if code, _, _ := admin.post("/console/kb/"+strconv.Itoa(id)+"/delete", nil); code != http.StatusSeeOther {
		t.Errorf("delete: %d", code)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM kb_documents`); n != 0 {
		t.Errorf("%d documents after delete", n)
	}
	if n := r.count(t, `SELECT COUNT(*) FROM audit WHERE kind = 'admin' AND name IN ('kb_upload', 'kb_delete')`); n != 3 {
		t.Errorf("%d admin audit lines, want 3 (two uploads, a delete)", n)
	}
}
