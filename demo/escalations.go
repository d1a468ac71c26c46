package demo

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"acuerdo"
	"acuerdo/store"
)

// escalation is one conversation the demo inbox starts with: what the debtor
// and the agent said, the tool the agent called, and the case it opened.
type escalation struct {
	reason, summary string
	priority        int
	receipt         bool // the debtor's last message brings a PDF receipt
	turns           []string
}

// escalations are written as Colombian debtors write (the demo portfolio is
// Colombian): "> " marks the debtor, the rest is the agent.
var escalations = []escalation{
	{acuerdo.ReasonPaymentReport, "Debtor reports a payment: amount 250000; paid on %s; 1 receipt file(s) attached", 1, true, []string{
		"> buenas tardes, ya hice el pago de la cuota",
		"¡Hola! Gracias por escribir. Para proteger tu información, ¿me confirmas los últimos 4 dígitos de tu documento?",
		"> %s",
		"Gracias, ya te identifiqué. ¿Me cuentas cuánto pagaste y cuándo? Si tienes el comprobante, envíalo por aquí.",
		"> pagué 250.000 por PSE hoy, ahí le mando el comprobante",
		"Recibido, gracias. Una persona del equipo verificará el pago con tu comprobante y te confirmará por aquí.",
	}},
	{acuerdo.ReasonHardship, "Lost her job last month; can pay something from the 15th; asks for a plan she can afford", 4, false, []string{
		"> hola, me llegó el mensaje de la deuda",
		"¡Hola! Gracias por responder. Para proteger tu información, ¿me confirmas los últimos 4 dígitos de tu documento?",
		"> %s",
		"Gracias. Tu saldo y las opciones de pago están listos. ¿Cómo te puedo ayudar?",
		"> la verdad me quedé sin trabajo el mes pasado y no tengo cómo pagar la cuota completa, tengo dos hijos. desde el 15 podría dar algo",
		"Lamento mucho lo que estás pasando. Voy a pasar tu caso a una persona del equipo para buscar juntos una opción que puedas cumplir. Te escribirán por aquí.",
	}},
	{acuerdo.ReasonDebtorRequest, "Asks to speak with a person about a charge she does not recognise", 2, false, []string{
		"> necesito hablar con un asesor, no con un robot",
		"Claro, te comunico con una persona del equipo. Mientras tanto, ¿quieres contarme brevemente el motivo?",
		"> hay un cobro de intereses que no entiendo",
		"Gracias por contarme. Una persona del equipo continuará esta conversación y revisará el cobro contigo.",
	}},
}

// SeedEscalations gives the demo inbox a few realistic escalations, so the
// console does not start empty: a payment report with its receipt, a
// hardship case and a person requested. The conversations are on the
// sandbox channel (nothing goes to WhatsApp), paused for a person as a real
// escalation leaves them, and the cases are opened through the store as the
// agent's tools open them.
func SeedEscalations(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	debtors, err := db.Debtors(ctx, 50)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range debtors {
		if n == len(escalations) {
			break
		}
		if !strings.HasPrefix(d.Locale, "es") || d.Phone == "" {
			continue
		}
		if err := seedEscalation(ctx, db, d, escalations[n], now.Add(-time.Duration(90-25*n)*time.Minute)); err != nil {
			return n, fmt.Errorf("demo escalation %d: %w", n+1, err)
		}
		n++
	}
	return n, nil
}

func seedEscalation(ctx context.Context, db *store.DB, d acuerdo.Debtor, e escalation, start time.Time) error {
	conv, err := db.Conversation(ctx, acuerdo.ChannelSandbox, d.Phone)
	if err != nil {
		return err
	}
	at := start
	var last acuerdo.Message
	for _, t := range e.turns {
		m := acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Status: acuerdo.MessageDelivered, CreatedAt: at}
		if body, ok := strings.CutPrefix(t, "> "); ok {
			m.Direction, m.Author, m.Status = acuerdo.Inbound, acuerdo.AuthorDebtor, acuerdo.MessageReceived
			t = body
		}
		if strings.Contains(t, "%s") {
			t = fmt.Sprintf(t, d.DocumentLast4())
		}
		m.Body = t
		ms, err := db.AppendMessages(ctx, m)
		if err != nil {
			return err
		}
		if m.Direction == acuerdo.Inbound {
			last = ms[0]
		}
		at = at.Add(40 * time.Second)
	}
	conv.Verified, conv.VerifiedAt, conv.Paused, conv.LastInboundAt = true, &start, true, &last.CreatedAt
	if err := db.SaveConversation(ctx, conv); err != nil {
		return err
	}
	c := acuerdo.Case{ConversationID: conv.ID, DebtorID: d.ID, Reason: e.reason, Summary: e.summary, State: acuerdo.CaseComplete, Priority: e.priority}
	if strings.Contains(c.Summary, "%s") {
		c.Summary = fmt.Sprintf(c.Summary, acuerdo.DateOf(last.CreatedAt))
	}
	c, err = db.OpenCase(ctx, c)
	if err != nil {
		return err
	}
	if !e.receipt {
		return nil
	}
	pdf, err := receiptPDF(d, last.CreatedAt)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("demo:receipt/%d", last.ID)
	if _, err := db.AddMedia(ctx, last.ID, store.InboundMedia{URL: url, ContentType: "application/pdf", Data: pdf}); err != nil {
		return err
	}
	_, err = db.AttachMediaToCase(ctx, c.ID, []string{url})
	return err
}

// receiptPDF is a bank transfer receipt as debtors send them.
func receiptPDF(d acuerdo.Debtor, at time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A6", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("cp1252")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(0, 8, tr("Comprobante de pago PSE"), "", 1, "C", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range [][2]string{
		{"Estado", "Aprobada"},
		{"Fecha", at.Format("2006-01-02 15:04")},
		{"Pagador", d.Name},
		{"Valor", "$ 250.000,00"},
		{"Referencia", fmt.Sprintf("PSE-%d", 4400000+d.ID)},
		{"Banco", "Banco Demo S.A."},
	} {
		pdf.CellFormat(28, 6, tr(l[0]), "", 0, "", false, 0, "")
		pdf.CellFormat(0, 6, tr(l[1]), "", 1, "", false, 0, "")
	}
	var b bytes.Buffer
	err := pdf.Output(&b)
	return b.Bytes(), err
}
