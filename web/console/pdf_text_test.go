package console

import (
	"strings"
	"testing"
)

func TestPDFText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gracias 🙏", "gracias (_/\\_)"},
		{"ok 👍🏽", "ok (+1)"},
		{"hola 😊 ¿cómo está? €", "hola :) ¿cómo está? €"},
		{"familia 👨‍👩‍👧 listo", "familia [emoji] listo"},
		{"❤️", "<3"},
		{"🦄", "[emoji]"},
		{"中", "?"},
		{"ação, não, señor – “ok”", "ação, não, señor – “ok”"},
	} {
		if got := pdfText(tc.in); got != tc.want {
			t.Errorf("pdfText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(pdfText(tc.in), ".") && !strings.Contains(tc.in, ".") {
			t.Errorf("pdfText(%q) has a dot", tc.in)
		}
	}
}

func TestToolLine(t *testing.T) {
	tv := parseTool(`{"name":"offer_payment_plan","args":"{\"installments\":3}","result":"{\"ok\":true,\"plan_id\":\"7\",\"installments\":[\"2026-03-10 416666.68\",\"2026-04-10 416666.66\"]}"}`)
	got := toolLine(consoleText["es"], tv)
	want := "offer_payment_plan (installments: 3) - OK: installments: 2026-03-10 416666.68, 2026-04-10 416666.66 · plan id: 7"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	tv = parseTool(`{"name":"propose_pause","args":"{\"days\":200}","result":"{\"ok\":false,\"refused_by\":\"pause_days\",\"message\":\"pauses last 1 to 30 days\"}"}`)
	if got := toolLine(consoleText["pt-BR"], tv); got != "propose_pause (days: 200) - recusada (pause_days): message: pauses last 1 to 30 days" {
		t.Errorf("refusal: %q", got)
	}
}
