package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/agent/llm"
	"acuerdo/importer"
	"acuerdo/paylink"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/tools"
)

// now is the fixed instant the tests run at: a Tuesday in Bogotá.
var now = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// step is one scripted answer of the fake OpenAI server.
type step struct {
	status  int    // non-200 to answer with an error body
	hang    bool   // never answer (until the client gives up)
	content string // assistant text
	calls   []call // tool calls
}

type call struct{ name, args string }

// fakeOpenAI speaks the chat-completions wire format and answers from a script;
// it records every request body so tests can check what the model was shown.
type fakeOpenAI struct {
	t        testing.TB
	mu       sync.Mutex
	script   []step
	requests []map[string]any
	rejected int // requests refused for breaking the schema
	srv      *httptest.Server
}

func newFake(t testing.TB, script ...step) *fakeOpenAI {
	f := &fakeOpenAI{t: t, script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenAI) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		f.t.Errorf("request is not JSON: %v", err)
	}
	// Like OpenAI and the servers that validate the schema: a user or system
	// message needs content (go-openai leaves an empty one out altogether).
	if msgs, ok := req["messages"].([]any); ok {
		for i, m := range msgs {
			mm, _ := m.(map[string]any)
			if role := mm["role"]; role == "user" || role == "system" {
				if c, ok := mm["content"].(string); !ok || c == "" {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprintf(w, `{"error":{"message":"Invalid value for 'content': expected a string, got null.","type":"invalid_request_error","param":"messages.[%d].content","code":null}}`, i)
					f.mu.Lock()
					f.rejected++
					f.mu.Unlock()
					return
				}
			}
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	if len(f.script) == 0 {
		f.mu.Unlock()
		f.t.Errorf("the model was called more often than scripted")
		http.Error(w, `{"error":{"message":"no more script","type":"server_error"}}`, http.StatusInternalServerError)
		return
	}
	s := f.script[0]
	f.script = f.script[1:]
	f.mu.Unlock()
	if s.hang {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if s.status != 0 && s.status != http.StatusOK {
		w.WriteHeader(s.status)
		fmt.Fprintf(w, `{"error":{"message":"scripted %d","type":"rate_limit_error","code":null}}`, s.status)
		return
	}
	msg := map[string]any{"role": "assistant", "content": s.content}
	finish := "stop"
	if len(s.calls) > 0 {
		var tcs []map[string]any
		for i, c := range s.calls {
			tcs = append(tcs, map[string]any{"id": fmt.Sprintf("call_%d_%d", len(f.requests), i), "type": "function",
				"function": map[string]any{"name": c.name, "arguments": c.args}})
		}
		msg["tool_calls"] = tcs
		finish = "tool_calls"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": now.Unix(), "model": "gpt-4o-mini",
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 900, "completion_tokens": 40, "total_tokens": 940, "prompt_tokens_details": map[string]any{"cached_tokens": 512}},
	})
}

// remaining reports how many scripted steps were not used.
func (f *fakeOpenAI) remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.script)
}

type fixture struct {
	db    *store.DB
	agent *agent.Agent
	fake  *fakeOpenAI
	links paylink.Template
}

const debtorPhone = "+573001234567"

// setup makes a database with one debtor (document ending 4050, balance
// 1,234,567 COP) and an agent whose model is the real go-openai adapter pointed
// at the fake server.
func setup(t testing.TB, script ...step) *fixture {
	t.Helper()
	return setupWith(t, nil, nil, script...)
}

// setupTimeout is setup with the model adapter's per-attempt timeout: tests
// that make many model calls and never hang use a generous one, so a slow
// moment of a shared machine does not turn into a retry that eats the script.
func setupTimeout(t testing.TB, timeout time.Duration, script ...step) *fixture {
	t.Helper()
	return setupWith(t, func(c *llm.Config) { c.Timeout = timeout }, nil, script...)
}

// setupWith is setup with the model adapter's and the agent's configuration
// adjusted by mc and ac (either may be nil).
func setupWith(t testing.TB, mc func(*llm.Config), ac func(*agent.Config), script ...step) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tb, _ := importer.NewCSV(strings.NewReader("Credito,Numero,Nombre,Saldo,Cuota,Fecha vencimiento,Dias mora,Cedula,Consentimiento\n" +
		"CR-01,3001234567,José Muñoz,1234567,150000,2026-12-15,45,1020304050,si\n"))
	if sum, err := importer.Portfolio(ctx, db, tb, importer.Options{Country: "CO"}); err != nil || sum.Inserted != 1 {
		t.Fatalf("import: %+v %v", sum, err)
	}
	f := &fixture{db: db, links: paylink.Template{Secret: []byte("k"), Clock: clock}}
	var model agent.Model
	if script != nil {
		f.fake = newFake(t, script...)
		c := llm.Config{BaseURL: f.fake.srv.URL + "/v1", APIKey: "sk-test", Model: "gpt-4o-mini",
			// Generous per attempt: a loaded CI machine must not turn a scripted
			// answer into a timeout. Tests about hangs set their own timeout.
			Timeout: 10 * time.Second, MaxRetries: 2, Sleep: func(context.Context, time.Duration) error { return nil }}
		if mc != nil {
			mc(&c)
		}
		m, err := llm.NewOpenAI(c)
		if err != nil {
			t.Fatal(err)
		}
		model = m
	}
	pol := policy.Default()
	ts := tools.New(tools.Config{Store: db, Policy: pol, Links: f.links, Clock: clock})
	ac2 := agent.Config{Store: db, Tools: ts, Policy: pol, Model: model, Cost: llm.Cost, Clock: clock}
	if ac != nil {
		ac(&ac2)
	}
	f.agent = agent.New(ac2)
	return f
}

func (f *fixture) say(t testing.TB, text string) agent.Result {
	t.Helper()
	res, err := f.agent.Converse(context.Background(), acuerdo.ChannelSandbox, debtorPhone, agent.Inbound{Text: text})
	if err != nil {
		t.Fatalf("turn %q: %v", text, err)
	}
	return res
}

func (f *fixture) audit(t *testing.T) []acuerdo.AuditEntry {
	t.Helper()
	a, err := f.db.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// findAudit returns the audit entries of kind and name.
func findAudit(entries []acuerdo.AuditEntry, kind, name string) []acuerdo.AuditEntry {
	var out []acuerdo.AuditEntry
	for _, e := range entries {
		if e.Kind == kind && e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func setupB(b *testing.B) *fixture { return setup(b) }

func (f *fixture) sayB(b *testing.B, text string) agent.Result { return f.say(b, text) }

func asT(t testing.TB) testing.TB { return t }
