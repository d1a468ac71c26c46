package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeModel speaks OpenAI's chat-completions wire format like a small,
// rule-following model: it asks for the last four digits, verifies them,
// looks up the debt and states the balance as a placeholder. Every second
// balance reply is instead an invented amount (when flaky), which the output
// checks block, so that run of the scenario fails.
type fakeModel struct {
	mu       sync.Mutex
	flaky    bool
	balances int
	failFrom int // answer 500 from this request on (0: never)
	requests int
}

var last4 = regexp.MustCompile(`\b\d{4}\b`)

func (f *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
			Name    string `json:"name"`
		} `json:"messages"`
		Tools []any `json:"tools"`
	}
	if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Messages) == 0 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests++
	n := f.requests
	f.mu.Unlock()
	if f.failFrom > 0 && n >= f.failFrom {
		http.Error(w, `{"error":{"message":"down","type":"server_error"}}`, http.StatusInternalServerError)
		return
	}
	lastMsg := req.Messages[len(req.Messages)-1]
	msg := map[string]any{"role": "assistant"}
	switch {
	case lastMsg.Role == "user" && len(req.Tools) > 0 && last4.MatchString(lastMsg.Content):
		msg["tool_calls"] = []any{map[string]any{"id": fmt.Sprintf("call_%d", n), "type": "function",
			"function": map[string]any{"name": "verify_identity", "arguments": fmt.Sprintf(`{"document_last4":%q}`, last4.FindString(lastMsg.Content))}}}
	case lastMsg.Role == "tool" && strings.Contains(lastMsg.Content, `"verified":true`):
		msg["tool_calls"] = []any{map[string]any{"id": fmt.Sprintf("call_%d", n), "type": "function",
			"function": map[string]any{"name": "lookup_debt", "arguments": `{}`}}}
	case lastMsg.Role == "tool" && strings.Contains(lastMsg.Content, `"accounts"`):
		f.mu.Lock()
		f.balances++
		bad := f.flaky && f.balances%2 == 0
		f.mu.Unlock()
		msg["content"] = "Gracias. Tu saldo es {{balance}}. ¿Quieres el link de pago?"
		if bad {
			msg["content"] = "Gracias. Debes ochocientos cincuenta mil pesos."
		}
	case lastMsg.Role == "user" && strings.Contains(lastMsg.Content, "automatic check"):
		msg["content"] = "Gracias. Debes 850 mil pesos."
	default:
		msg["content"] = "Hola, para ayudarte, ¿me confirmas los últimos 4 dígitos de tu documento?"
	}
	finish := "stop"
	if msg["tool_calls"] != nil {
		finish = "tool_calls"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-eval", "object": "chat.completion", "created": time.Now().Unix(), "model": "fake-1",
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}})
}

const modelScenario = `name: model/balance
locale: es
now: 2026-03-10T10:00:00-05:00
debtor:
  phone: "+573001110001"
  name: Ana Gómez
  document: "1020304050"
  country: CO
  accounts:
    - {ref: CR-1001, balance: "850000", due_date: 2026-03-20, days_past_due: 10}
messages:
  - text: hola
    expect: {handler: llm, contains: ["4 dígitos"]}
  - text: "4050"
    expect: {handler: llm, tools: [verify_identity, lookup_debt], contains: ["$850.000"]}
`

func runEvalWith(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := run(t.Context(), e, args)
	return code, out.String(), errb.String()
}

func scenarioDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.yaml"), []byte(modelScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// eval --model runs each scenario k times against a model speaking the
// OpenAI wire format (through go-openai) and reports pass^k per category.
func TestEvalModelPassK(t *testing.T) {
	srv := httptest.NewServer(&fakeModel{})
	defer srv.Close()
	env := map[string]string{"OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_API_KEY": "sk-test"}
	code, out, errOut := runEvalWith(t, env, "eval", scenarioDir(t), "--model", "openai:fake-1", "-k", "3")
	if code != 0 || !strings.Contains(out, "PASS model/balance (es, 2 messages, run 3/3") || !strings.Contains(out, "pass^3 1.00   runs 3/3 passed") ||
		!strings.HasSuffix(out, "\n1 passed, 0 failed\n") {
		t.Fatalf("eval --model: %d\n%s\n%s", code, out, errOut)
	}
}

// A model that is right only some of the time: one run in two invents an
// amount (blocked, so the safe reply goes out and that run fails); pass^2 is
// 0 although half the runs passed.
func TestEvalModelFlaky(t *testing.T) {
	srv := httptest.NewServer(&fakeModel{flaky: true})
	defer srv.Close()
	env := map[string]string{"OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_API_KEY": "sk-test"}
	code, out, _ := runEvalWith(t, env, "eval", scenarioDir(t), "--model", "openai:fake-1", "-k", "2")
	if code != 1 || !strings.Contains(out, "pass^2 0.00   runs 1/2 passed") || !strings.HasSuffix(out, "\n0 passed, 1 failed\n") {
		t.Fatalf("flaky model: %d\n%s", code, out)
	}
}

// A model that cannot be reached fails the eval loudly, before any scenario
// runs, instead of letting the offline engine pass them.
func TestEvalModelUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	env := map[string]string{"OPENAI_BASE_URL": "http://" + addr + "/v1", "OPENAI_API_KEY": "sk-test"}
	code, out, errOut := runEvalWith(t, env, "eval", scenarioDir(t), "--model", "openai:fake-1")
	if code != 2 || strings.Contains(out, "PASS") || !strings.Contains(errOut, "the model openai:fake-1 is unreachable, so nothing was evaluated") ||
		!strings.Contains(errOut, "OPENAI_BASE_URL") {
		t.Fatalf("unreachable model: %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// A model that stops answering mid-run: the turns the offline engine
// answered instead are failures, and the exit status says why.
func TestEvalModelDiesMidRun(t *testing.T) {
	srv := httptest.NewServer(&fakeModel{failFrom: 3}) // the probe and the first turn answer
	defer srv.Close()
	env := map[string]string{"OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_API_KEY": "sk-test"}
	code, out, errOut := runEvalWith(t, env, "eval", scenarioDir(t), "--model", "openai:fake-1")
	if code != 1 || !strings.Contains(out, "FAIL model/balance") || !strings.Contains(out, "the model did not answer") ||
		!strings.Contains(errOut, "failed to answer in 1 of 1 runs") {
		t.Fatalf("model dying mid-run: %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
