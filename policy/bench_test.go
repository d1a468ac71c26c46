package policy

import (
	"strings"
	"testing"
)

func BenchmarkCheckReply(b *testing.B) {
	text := strings.Repeat("Hola, tu saldo es $150.000 y vence el 15 de diciembre. Paga en https://pay.example.com/l/AbC123. ", 15)
	a := Allowed{Amounts: []string{"150000.00"}, URLs: []string{"https://pay.example.com/l/AbC123"}}
	for b.Loop() {
		CheckReply(text, a)
	}
}

func BenchmarkNextContactTime(b *testing.B) {
	c := Default()
	from := utc("2026-03-07 23:00:00")
	for b.Loop() {
		c.NextContactTime("US", "", from)
	}
}
