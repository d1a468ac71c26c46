package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/go-chi/chi/v5"

	"acuerdo"
	"acuerdo/kb"
	"acuerdo/prompts"
	"acuerdo/web/internal/httpx"
)

// The knowledge base page (/console/kb, admins only): the creditor's
// documents the agent answers questions from, each with its passages; an
// upload adds a document or replaces the one of the same name, and a
// question box shows what the agent would answer. The whole set is
// replaced from the command line (acuerdo kb import DIR).
//
// The upload is the file itself as the request body (kb.js sends it with
// fetch and the X-CSRF-Token header), not a multipart form: the console
// refuses multipart bodies everywhere (httpx.LimitBodies), because Go's
// form parsing writes their files to disk. The body is bounded by
// kb.MaxFileBytes and read into memory once.

// KBUploadPath is where documents are uploaded; the router bounds its body
// by kb.MaxFileBytes and answers refusals with RefuseKBBody.
const KBUploadPath = "/console/kb/upload"

// KnowledgeStore covers the creditor's documents: listing, one document's
// passages, replacing and removing one, and the full-text index a search
// reads (kb.Index).
type KnowledgeStore interface {
	KnowledgeDocs(ctx context.Context) ([]acuerdo.KnowledgeDoc, error)
	KnowledgeDoc(ctx context.Context, id int64) (acuerdo.KnowledgeDoc, error)
	PutKnowledgeDoc(ctx context.Context, doc acuerdo.KnowledgeDoc, audit ...acuerdo.AuditEntry) (int64, error)
	DeleteKnowledgeDoc(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) error
	kb.Index
}

// mountKB adds the page's routes; the caller has already required an admin.
func (s *Server) mountKB(r chi.Router) {
	r.Get("/console/kb", s.consoleKB)
	r.Get("/console/kb/{id}", s.consoleKBDoc)
	r.Post(KBUploadPath, s.consoleKBUpload)
	r.Post("/console/kb/{id}/delete", s.consoleKBDelete)
}

type kbRow struct {
	ID                     int64
	Name, Title, Lang      string
	Format, Imported, Size string
	Passages               int
}

type kbHitRow struct {
	Score, Source, Text string
	Answers             bool
}

type kbData struct {
	Docs      []kbRow
	Doc       *kbRow
	Passages  []kbPassageRow
	Question  string
	QLang     string
	Langs     []option
	Hits      []kbHitRow
	Silent    bool
	UploadMax int
}

type kbPassageRow struct {
	Seq           int
	Heading, Text string
}

func (s *Server) kbRow(d acuerdo.KnowledgeDoc) kbRow {
	return kbRow{ID: d.ID, Name: d.Name, Title: d.Title, Lang: d.Lang, Format: d.Format, Passages: d.Count,
		Imported: d.ImportedAt.In(s.cfg.Options.Location).Format("2006-01-02 15:04"), Size: fmt.Sprintf("%.1f KB", float64(d.Bytes)/1024)}
}

func (s *Server) consoleKB(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	docs, err := s.cfg.Store.KnowledgeDocs(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "kb", "kb", nil)
	d := kbData{UploadMax: kb.MaxFileBytes >> 20, QLang: prompts.Locale(p.Lang)}
	for _, doc := range docs {
		d.Docs = append(d.Docs, s.kbRow(doc))
	}
	for _, l := range prompts.Locales {
		d.Langs = append(d.Langs, option{Value: l, Label: p.T["kb_lang_"+l]})
	}
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		d.Question = clipRunes(q, 500)
		if l := r.URL.Query().Get("qlang"); l != "" {
			d.QLang = prompts.Locale(l)
		}
		hits, err := kb.NewSearcher(s.cfg.Store).Search(ctx, d.Question, d.QLang, 3)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, h := range hits {
			d.Hits = append(d.Hits, kbHitRow{Score: fmt.Sprintf("%.2f", h.Score), Source: h.Doc.Name + " › " + h.Passage.Heading, Text: h.Passage.Text, Answers: h.Score >= kb.Threshold})
		}
		d.Silent = len(hits) == 0 || hits[0].Score < kb.Threshold
	}
	p.Data = d
	s.renderConsole(w, http.StatusOK, "kb", p)
}

func (s *Server) consoleKBDoc(w http.ResponseWriter, r *http.Request) {
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc, err := s.cfg.Store.KnowledgeDoc(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "kb", "kb", nil)
	row := s.kbRow(doc)
	d := kbData{Doc: &row}
	for _, ps := range doc.Passages {
		d.Passages = append(d.Passages, kbPassageRow{Seq: ps.Seq, Heading: ps.Heading, Text: ps.Text})
	}
	p.Title = doc.Title + " · " + p.T["kb"]
	p.Data = d
	s.renderConsole(w, http.StatusOK, "kb_doc", p)
}

// consoleKBUpload stores the body as the document ?name= names, replacing
// one of the same name. A file that cannot be read is refused with a
// plain-text reason in the admin's language (kb.js shows it), and nothing
// changes.
func (s *Server) consoleKBUpload(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	t := consoleText[consoleLang(w, r)]
	name := filepath.Base(strings.TrimSpace(r.URL.Query().Get("name")))
	if name == "" || name == "." || name == "/" {
		kbRefuse(w, http.StatusBadRequest, t["kb_err_name"])
		return
	}
	data, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		kbRefuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf(t["kb_err_too_large"], name, kb.MaxFileBytes>>20))
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	doc, err := kb.Parse(name, data)
	var pe *kb.ParseError
	if errors.As(err, &pe) {
		msg := t["kb_err_"+pe.Kind]
		if pe.Kind == "too_large" {
			msg = fmt.Sprintf(msg, name, kb.MaxFileBytes>>20)
		} else {
			msg = fmt.Sprintf(msg, name)
		}
		kbRefuse(w, http.StatusBadRequest, msg)
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "kb_upload", Outcome: acuerdo.Allowed, Rule: "console_admin",
		Detail: fmt.Sprintf("%s uploaded %s (%d passages, %d bytes)", userRef(si.user), name, len(doc.Passages), len(data))}
	if _, err := s.cfg.Store.PutKnowledgeDoc(r.Context(), doc, entry); err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/kb", "ok", "ok_kb_uploaded")
}

// RefuseKBBody answers an upload the body limits refuse before it reaches
// the handler (a declared size over kb.MaxFileBytes, or a multipart form).
func RefuseKBBody(w http.ResponseWriter, r *http.Request, status int, max int64) {
	if status != http.StatusRequestEntityTooLarge {
		httpx.PlainFail(w, r, status, "multipart")
		return
	}
	t := consoleText[consoleLang(w, r)]
	name := filepath.Base(r.URL.Query().Get("name"))
	kbRefuse(w, status, fmt.Sprintf(t["kb_err_too_large"], name, max>>20))
}

// kbRefuse answers a refused upload in plain text, which kb.js shows.
func kbRefuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

func (s *Server) consoleKBDelete(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "kb_delete", Outcome: acuerdo.Allowed, Rule: "console_admin",
		Detail: fmt.Sprintf("%s removed knowledge document %d", userRef(si.user), id)}
	if err := s.cfg.Store.DeleteKnowledgeDoc(r.Context(), id, entry); err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/kb", "ok", "ok_kb_deleted")
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// kbStrings are the page's texts (es, pt-BR, en), merged into consoleText.
var kbStrings = map[string][3]string{
	"kb":                {"Documentos", "Documentos", "Documents"},
	"kb_intro":          {"El asistente responde las preguntas de cualquiera con estos documentos de la empresa, citando la fuente; si no dicen nada, lo reconoce y ofrece una persona.", "O assistente responde às perguntas de qualquer pessoa com estes documentos da empresa, citando a fonte; se eles não dizem nada, reconhece e oferece uma pessoa.", "The assistant answers anyone's questions from these company documents, naming the source; when they say nothing, it says so and offers a person."},
	"kb_none":           {"Aún no hay documentos. Sube uno aquí o impórtalos con: acuerdo kb import CARPETA", "Ainda não há documentos. Envie um aqui ou importe com: acuerdo kb import PASTA", "No documents yet. Upload one here or import them with: acuerdo kb import DIR"},
	"kb_title":          {"Título", "Título", "Title"},
	"kb_file":           {"Archivo", "Arquivo", "File"},
	"kb_lang":           {"Idioma", "Idioma", "Language"},
	"kb_passages":       {"Pasajes", "Trechos", "Passages"},
	"kb_imported":       {"Cargado", "Enviado", "Loaded"},
	"kb_upload":         {"Subir un documento", "Enviar um documento", "Upload a document"},
	"kb_upload_help":    {"Markdown (.md), texto (.txt) o PDF con texto, hasta %d MB. Un archivo con el mismo nombre reemplaza al anterior.", "Markdown (.md), texto (.txt) ou PDF com texto, até %d MB. Um arquivo com o mesmo nome substitui o anterior.", "Markdown (.md), text (.txt) or PDF with text, up to %d MB. A file with the same name replaces the old one."},
	"kb_upload_button":  {"Subir", "Enviar", "Upload"},
	"kb_upload_nojs":    {"Subir necesita JavaScript; sin él usa acuerdo kb import.", "O envio precisa de JavaScript; sem ele use acuerdo kb import.", "Uploading needs JavaScript; without it use acuerdo kb import."},
	"kb_delete":         {"Quitar", "Remover", "Remove"},
	"kb_delete_confirm": {"¿Quitar este documento? El asistente dejará de usarlo.", "Remover este documento? O assistente deixará de usá-lo.", "Remove this document? The assistant will stop using it."},
	"kb_try":            {"Probar una pregunta", "Testar uma pergunta", "Try a question"},
	"kb_ask":            {"Preguntar", "Perguntar", "Ask"},
	"kb_answers":        {"responde", "responde", "answers"},
	"kb_silent":         {"Los documentos no responden esto: el asistente dirá que no tiene esa información y ofrecerá una persona.", "Os documentos não respondem isto: o assistente dirá que não tem essa informação e oferecerá uma pessoa.", "The documents do not answer this: the assistant will say it does not have that information and offer a person."},
	"kb_score":          {"Confianza", "Confiança", "Confidence"},
	"kb_source":         {"Fuente", "Fonte", "Source"},
	"kb_lang_es":        {"español", "espanhol", "Spanish"},
	"kb_lang_pt-BR":     {"portugués", "português", "Portuguese"},
	"kb_lang_en":        {"inglés", "inglês", "English"},
	"ok_kb_uploaded":    {"Documento cargado.", "Documento enviado.", "Document loaded."},
	"ok_kb_deleted":     {"Documento quitado.", "Documento removido.", "Document removed."},
	"kb_err_name":       {"Falta el nombre del archivo.", "Falta o nome do arquivo.", "The file name is missing."},
	"kb_err_format":     {"%s: formato no admitido. Sube Markdown (.md), texto (.txt) o PDF (.pdf).", "%s: formato não aceito. Envie Markdown (.md), texto (.txt) ou PDF (.pdf).", "%s: unsupported format. Upload Markdown (.md), text (.txt) or PDF (.pdf)."},
	"kb_err_too_large":  {"%s supera los %d MB: divídelo en varios documentos.", "%s passa de %d MB: divida em vários documentos.", "%s is over %d MB: split it into several documents."},
	"kb_err_no_text":    {"%s no tiene texto para indexar (¿un PDF escaneado? Expórtalo con su capa de texto, o como .txt).", "%s não tem texto para indexar (um PDF digitalizado? Exporte com a camada de texto, ou como .txt).", "%s has no text to index (a scanned PDF? Export it with its text layer, or as .txt)."},
	"kb_err_pdf":        {"%s no es un PDF legible: expórtalo de nuevo como PDF, o como texto.", "%s não é um PDF legível: exporte de novo como PDF, ou como texto.", "%s is not a readable PDF: export it again as PDF, or as text."},
}

func init() {
	for k, v := range kbStrings {
		consoleText["es"][k], consoleText["pt-BR"][k], consoleText["en"][k] = v[0], v[1], v[2]
	}
}
