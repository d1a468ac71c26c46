package console

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"

	"acuerdo"
	"acuerdo/prompts"
)

// consoleCaseMedia serves a receipt of the case's conversation. What a debtor
// uploaded is untrusted: only images and PDFs are shown inline, under a
// sandboxing CSP; anything else downloads as bytes.
func (s *Server) consoleCaseMedia(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadCase(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mid, err := caseID(r, "mid")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.cfg.Store.MediaByID(r.Context(), v.ConversationID, mid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if m.Pending || m.Unavailable {
		s.fail(w, r, acuerdo.Errorf(acuerdo.ENOTFOUND, "the file is not available (still downloading, or the provider would not give it)"))
		return
	}
	ct := m.ContentType
	inline := ct == "application/pdf" || ct == "image/jpeg" || ct == "image/png" || ct == "image/webp" || ct == "image/gif"
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox")
	if inline {
		h.Set("Content-Type", ct)
		h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="receipt-%d"`, m.ID))
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="receipt-%d"`, m.ID))
	}
	_, _ = w.Write(m.Data)
}

// consoleCasePDF exports a case with its whole conversation as a PDF, in the
// user's language, for the team's records.
func (s *Server) consoleCasePDF(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v, err := s.loadCase(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msgs, err := s.cfg.Store.Messages(ctx, v.ConversationID, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := consoleLang(w, r)
	t := consoleText[lang]
	accts, err := s.accountViews(ctx, lang, v.DebtorID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	loc := s.cfg.Options.Location

	pdf := fpdf.New("P", "mm", "A4", "")
	// The core fonts speak Windows-1252, which covers Spanish and Portuguese;
	// pdfText gives emoji and other characters beyond it readable stand-ins.
	cp := pdf.UnicodeTranslatorFromDescriptor("cp1252")
	tr := func(s string) string { return cp(pdfText(s)) }
	pdf.SetTitle(fmt.Sprintf("%s #%d", t["case"], v.ID), true)
	pdf.SetCreator("acuerdo", true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(120, 120, 120)
		pdf.CellFormat(0, 6, tr(fmt.Sprintf("acuerdo · %s #%d · %d", t["case"], v.ID, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 9, tr(fmt.Sprintf("%s #%d", t["case"], v.ID)), "", 1, "", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	field := func(label, value string) {
		if value == "" {
			return
		}
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(42, 5.5, tr(label), "", 0, "", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(0, 5.5, tr(value), "", "", false)
	}
	name := v.Name
	if name == "" {
		name = t["unknown_contact"]
	}
	field(t["contact"], name+" · "+v.Phone)
	field(t["state"], stateLabel(t, v.State))
	field(t["reason"], reasonLabel(t, v.Reason))
	field(t["priority"], strconv.Itoa(v.Priority))
	field(t["opened"], v.CreatedAt.In(loc).Format("2006-01-02 15:04"))
	if v.ClosedAt != nil {
		field(t["closed"], v.ClosedAt.In(loc).Format("2006-01-02 15:04"))
	}
	field(t["assignee"], v.AssigneeName)
	field(t["summary"], v.Summary)
	if v.Amount != nil {
		field(t["amount"], prompts.Money(lang, *v.Amount))
	}
	field(t["payment_method"], v.PaymentMethod)
	field(t["comments"], v.Comments)
	field(t["outcome_note"], v.Outcome)
	if v.Useful != nil {
		field(t["useful"], map[bool]string{true: t["yes"], false: t["no"]}[*v.Useful])
	}
	for _, a := range accts {
		line := a.Ref
		if a.Balance != "" {
			line += " · " + t["balance"] + " " + a.Balance
		}
		if a.NextDue != "–" {
			line += " · " + t["next_due"] + " " + a.NextDue
		}
		for _, p := range a.Promises {
			line += fmt.Sprintf(" · %s %s %s (%s)", t["promise"], p.Amount, p.Due, p.Status)
		}
		field(t["account"], line)
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 8, tr(t["conversation"]), "B", 1, "", false, 0, "")
	pdf.Ln(1)
	for _, m := range s.msgViews(t, msgs) {
		body := m.Body
		if m.Tool != nil {
			body = toolLine(t, m.Tool)
		}
		pdf.SetFont("Helvetica", "B", 8)
		switch m.Side {
		case "in":
			pdf.SetTextColor(7, 94, 84)
		case "op":
			pdf.SetTextColor(30, 64, 175)
		case "tool":
			pdf.SetTextColor(120, 120, 120)
		default:
			pdf.SetTextColor(60, 60, 60)
		}
		head := m.Who + " · " + m.Time
		if m.Status != "" {
			head += " · " + m.Status
		}
		pdf.CellFormat(0, 5, tr(head), "", 1, "", false, 0, "")
		pdf.SetTextColor(20, 20, 20)
		size := 9.5
		if m.Tool != nil {
			size = 7.5
		}
		pdf.SetFont("Helvetica", "", size)
		pdf.MultiCell(0, 4.6, tr(strings.TrimSpace(body)), "", "", false)
		pdf.Ln(1.5)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		s.fail(w, r, fmt.Errorf("case %d pdf: %w", v.ID, err))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="case-%d.pdf"`, v.ID))
	_, _ = w.Write(buf.Bytes())
}
