package understand

import (
	"syscall"
	"testing"
	"time"
)

// benchMessages are what a turn reads, as debtors write them: greetings,
// identity digits, promises with dates, money slang, opt-outs, hardship told
// at length, in es, pt-BR and en. Each carries the context it is read in.
var benchMessages = []struct {
	name, text string
	ctx        Context
}{
	{"greeting-es", "hola", benchCtx("es", "CO")},
	{"greeting-pt", "Oi, bom dia", benchCtx("pt-BR", "BR")},
	{"greeting-en", "hi there", benchCtx("en", "US")},
	{"identity", "4050", benchCtx("es", "CO")},
	{"identity-words", "mi cedula termina en 4050", benchCtx("es", "CO")},
	{"menu", "2", benchCtx("es", "MX")},
	{"yes", "siii dale", benchCtx("es", "AR")},
	{"promise-es", "te pago $18.450 el lunes 14 sin falta", benchCtx("es", "MX")},
	{"promise-pt", "consigo pagar 150 na sexta, pode ser?", benchCtx("pt-BR", "BR")},
	{"promise-en", "I get paid on the 15th, I'll pay 200 then", benchCtx("en", "US")},
	{"money-slang", "le puedo abonar 50 lucas a fin de mes", benchCtx("es", "CO")},
	{"plan-pt", "da pra parcelar em 8x de 120 reais?", benchCtx("pt-BR", "BR")},
	{"optout-es", "BAJA", benchCtx("es", "CO")},
	{"optout-long", "ya no me escriban mas por favor, dejen de molestarme", benchCtx("es", "CO")},
	{"optout-en", "stop texting me", benchCtx("en", "US")},
	{"wrong-number", "quien es juan? yo no soy", benchCtx("es", "CO")},
	{"callback", "me pueden llamar mañana a las 10 de la mañana?", benchCtx("es", "CO")},
	{"rambling-es", "hola buenas tardes, mire le escribo porque me redujeron las horas y no puedo pagar todo, puedo pagar $1.500 el viernes y el resto el 20?", benchCtx("es", "MX")},
	{"rambling-pt", "boa tarde moço, então, eu fiquei desempregado mês passado e minha mãe tá internada, não tenho como pagar agora, vocês conseguem me dar uns dias ou parcelar em umas 6 vezes? recebo dia 20 e aí consigo mandar uns 100 reais", benchCtx("pt-BR", "BR")},
	{"rambling-en", "hey so I've been going through a lot lately, my hours got cut at work and money's really tight, I can probably do like 50 bucks next friday and the rest at the end of the month if that works? also can you stop calling me at work", benchCtx("en", "US")},
	{"folded", "4050\nBAJA", benchCtx("es", "CO")},
}

func benchCtx(locale, country string) Context {
	return Context{Locale: locale, Country: country, Now: time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC), Name: "Juan Sánchez Torres"}
}

// BenchmarkRead reads the table once per op (ns/op is per table, about
// twenty messages); the sub-benchmarks read one kind of message each. The
// menu engine's turn pays one Read per message.
func BenchmarkRead(b *testing.B) {
	for _, m := range benchMessages {
		Read(m.text, m.ctx) // train the classifier, build the vocabulary
	}
	b.Run("table", func(b *testing.B) {
		b.ReportAllocs()
		c0 := processCPU()
		for b.Loop() {
			for _, m := range benchMessages {
				Read(m.text, m.ctx)
			}
		}
		reportCPU(b, c0)
	})
	for _, m := range benchMessages {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			c0 := processCPU()
			for b.Loop() {
				Read(m.text, m.ctx)
			}
			reportCPU(b, c0)
		})
	}
}

// reportCPU reports the process's CPU time per op since c0, garbage
// collection included: steadier than ns/op on a shared machine.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(processCPU()-c0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time of the process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGuessLanguage guesses the language of a first message.
func BenchmarkGuessLanguage(b *testing.B) {
	b.ReportAllocs()
	c0 := processCPU()
	for b.Loop() {
		for _, m := range benchMessages {
			GuessLanguage(m.text)
		}
	}
	reportCPU(b, c0)
}
