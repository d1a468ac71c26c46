package agent_test

import (
	"encoding/json"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// BenchmarkOfflineTurn is one whole offline turn with persistence: the inbound
// message stored, the menu engine, a payment-link tool call with its audit line
// and tool record, and the reply stored. It reports the median and p99 too,
// since a mean hides the tail; and the p99 of the CPU time the turn's thread
// spent, which a machine shared with other work inflates far less than wall
// time (the budget is 2 ms p99).
func BenchmarkOfflineTurn(b *testing.B) {
	f := setupB(b)
	f.sayB(b, "hola")
	f.sayB(b, "4050")
	var d, cpu []time.Duration
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for b.Loop() {
		c0 := threadCPU()
		start := time.Now()
		f.sayB(b, "1")
		d = append(d, time.Since(start))
		cpu = append(cpu, threadCPU()-c0)
	}
	for _, x := range [][]time.Duration{d, cpu} {
		sort.Slice(x, func(i, j int) bool { return x[i] < x[j] })
	}
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu[len(cpu)/2].Microseconds())/1000, "p50-cpu-ms")
	b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds())/1000, "p99-cpu-ms")
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rusageThread is RUSAGE_THREAD (Linux).
const rusageThread = 1

// promptAtTurn5 plays a typical five-turn LLM conversation and returns the
// request the model receives at turn 5.
func promptAtTurn5(t testing.TB) map[string]any {
	f := setup(asT(t),
		step{content: "¡Hola José! Para proteger tus datos, ¿me confirmas los últimos 4 dígitos de tu documento?"},
		step{calls: []call{{"verify_identity", `{"document_last4":"4050"}`}, {"lookup_debt", `{}`}}},
		step{content: "Gracias, José. Tu saldo es {{balance}}, con {{overdue}} vencidos. ¿Quieres pagar, un plan o mover la fecha?"},
		step{calls: []call{{"offer_payment_plan", `{"installments":6}`}}},
		step{content: "Te propongo 6 cuotas mensuales: {{plan}} ¿Lo aceptas?"},
		step{calls: []call{{"propose_date_change", `{"new_date":"2026-12-20"}`}}},
		step{content: "Hecho: tu nueva fecha de pago es el {{new_due_date}}."},
		step{content: "Con gusto. ¿Algo más en lo que te ayude?"},
	)
	for _, m := range []string{"hola", "4050", "prefiero un plan en cuotas", "mejor muévame la fecha al 20 de diciembre", "gracias, y el link para pagar después?"} {
		f.say(asT(t), m)
	}
	reqs := f.fake.requests
	return reqs[len(reqs)-1]
}

// countTokens counts a chat request's prompt with GPT-4o's o200k_base encoding,
// loaded from the embedded copy (nothing is downloaded): system prompt,
// messages, tool calls and the tool schemas.
func countTokens(t testing.TB, req map[string]any) int {
	tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
	enc, err := tiktoken.GetEncoding("o200k_base")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range req["messages"].([]any) {
		mm := m.(map[string]any)
		n += 4 // role and message framing, as OpenAI counts it
		if c, ok := mm["content"].(string); ok {
			n += len(enc.Encode(c, nil, nil))
		}
		if tc, ok := mm["tool_calls"]; ok {
			b, _ := json.Marshal(tc)
			n += len(enc.Encode(string(b), nil, nil))
		}
	}
	b, _ := json.Marshal(req["tools"])
	return n + len(enc.Encode(string(b), nil, nil))
}

// TestPromptBudget keeps the prompt of a typical fifth turn within 1,200
// tokens (issue 11): cost and latency grow with it on every call. The count
// is a real tokenizer's (o200k_base, loaded offline) over the system prompt,
// every message and tool call, and the tool schemas as JSON, which costs more
// than the provider's own rendering of them: the budget holds with room.
func TestPromptBudget(t *testing.T) {
	if n := countTokens(t, promptAtTurn5(t)); n > 1200 {
		t.Fatalf("prompt at turn 5 is %d tokens; the budget is 1,200", n)
	} else {
		t.Logf("prompt at turn 5: %d tokens", n)
	}
}

// BenchmarkPromptTokens reports the prompt size at turn 5 as a metric.
func BenchmarkPromptTokens(b *testing.B) {
	var n int
	for b.Loop() {
		n = countTokens(b, promptAtTurn5(b))
	}
	b.ReportMetric(float64(n), "prompt-tokens@turn5")
}
