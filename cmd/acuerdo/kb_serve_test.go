package main

import (
	"path/filepath"
	"strings"
	"testing"

	"acuerdo/whatsapp"
)

// TestKBOverWhatsApp runs the shipped binary's path end to end: `kb import`,
// then `serve` with Twilio's fake. Someone outside the portfolio asks where
// to pay and gets the creditor's passage with its source; a question the
// documents are silent on gets the honest answer and the offer of a person,
// and no case until they take it; a debtor asks too, before verifying.
func TestKBOverWhatsApp(t *testing.T) {
	f := newFakeTwilio(t)
	db := filepath.Join(t.TempDir(), "kb.db")
	if code, _, errOut := runCLI(t, "kb", "import", kbDocs, "--db", db); code != 0 {
		t.Fatalf("kb import: %s", errOut)
	}
	importDebtors(t, db, "K-1,3001239001,Lina Paz,10203040\n")
	s := startServe(t, serveEnv(t, f), db)
	const stranger, debtor = "+573001239999", "+573001239001"
	bodies := func(p string) string {
		var b []string
		for _, m := range f.to(p) {
			b = append(b, m.Body)
		}
		return strings.Join(b, "\n")
	}
	say := func(sid, from, text, want string) string {
		t.Helper()
		n := len(f.to(from))
		if code := s.post(t, whatsapp.InboundPath, inbound(sid, from, text)); code != 200 {
			t.Fatalf("%q: status %d", text, code)
		}
		s.waitFor(t, "the answer to "+text, func() bool { return len(f.to(from)) > n && strings.Contains(bodies(from), want) })
		return bodies(from)
	}
	got := say("SMkb00000000000000000000000000001", stranger, "¿dónde puedo pagar?", "📄 Fuente:")
	if !strings.Contains(got, "• En línea por PSE") || !strings.Contains(got, "📄 Fuente: Preguntas frecuentes de Financiera Andina › ¿Dónde puedo pagar mi cuota?") {
		t.Fatalf("answer: %s", got)
	}
	got = say("SMkb00000000000000000000000000002", stranger, "¿aceptan bitcoin?", "No tengo esa información")
	if !strings.Contains(got, "escribe «persona»") {
		t.Fatalf("no answer: %s", got)
	}
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM cases`); n != 0 {
		t.Fatalf("%d cases opened before the person accepted the offer", n)
	}
	say("SMkb00000000000000000000000000003", stranger, "persona", "Una persona de nuestro equipo")
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM cases`); n != 1 {
		t.Fatalf("%d cases after accepting the offer, want 1", n)
	}
	got = say("SMkb00000000000000000000000000004", debtor, "hola, ¿cuál es el horario de atención?", "📄 Fuente:")
	if !strings.Contains(got, "lunes a viernes de 7:00 a. m. a 7:00 p. m.") || strings.Contains(got, "Lina") {
		t.Fatalf("debtor's question: %s", got)
	}
	if n := sqlInt(t, db, `SELECT COUNT(*) FROM audit WHERE kind = 'guard' AND name = 'knowledge'`); n != 3 {
		t.Errorf("%d knowledge audit lines, want 3", n)
	}
}
