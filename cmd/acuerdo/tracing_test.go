package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"acuerdo/whatsapp"
)

// TestServeTraces runs serve with a model (an OpenAI-wire fake) and an OTLP
// collector (a fake that decodes OTLP/JSON), and checks that one inbound
// message leaves a turn span, a model call span inside it, and send spans.
func TestServeTraces(t *testing.T) {
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","content":"Hola, ¿en qué te puedo ayudar hoy?"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":9}}`)
	}))
	defer model.Close()

	type span struct {
		TraceID, SpanID, ParentSpanID, Name string
		Attributes                          []struct {
			Key   string
			Value map[string]any
		}
	}
	var mu sync.Mutex
	var spans []span
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ResourceSpans []struct {
				ScopeSpans []struct{ Spans []span }
			}
		}
		if r.URL.Path != "/v1/traces" || json.NewDecoder(r.Body).Decode(&req) != nil {
			t.Errorf("collector: bad export to %s", r.URL.Path)
		}
		mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans = append(spans, ss.Spans...)
			}
		}
		mu.Unlock()
	}))
	defer collector.Close()

	f := newFakeTwilio(t)
	db := filepath.Join(t.TempDir(), "t.db")
	importDebtors(t, db, "CR-1,3001234567,Ana Pérez,1020304050\n")
	vars := serveEnv(t, f)
	vars["ACUERDO_MODEL"], vars["OPENAI_BASE_URL"], vars["OPENAI_API_KEY"] = "openai:gpt-4o-mini", model.URL+"/v1", "sk-test"
	vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.URL
	s := startServe(t, vars, db)
	if c := s.post(t, whatsapp.InboundPath, inbound("SMg00000000000000000000000000000001", ana, "hola, quiero saber cuánto debo")); c != http.StatusOK {
		t.Fatalf("inbound: %d", c)
	}
	s.waitFor(t, "a reply", func() bool { return len(f.to(ana)) >= 1 })
	s.stop(t) // the last export happens on the way out

	mu.Lock()
	defer mu.Unlock()
	byName := map[string][]span{}
	for _, sp := range spans {
		byName[sp.Name] = append(byName[sp.Name], sp)
	}
	if len(byName["turn"]) == 0 || len(byName["chat"]) == 0 || len(byName["send"]) == 0 {
		t.Fatalf("spans by name: turn %d, chat %d, send %d; want each", len(byName["turn"]), len(byName["chat"]), len(byName["send"]))
	}
	turn, chat := byName["turn"][0], byName["chat"][0]
	if chat.TraceID != turn.TraceID || chat.ParentSpanID != turn.SpanID {
		t.Errorf("the model call is not inside the turn: turn %s/%s, chat %s/%s parent %s", turn.TraceID, turn.SpanID, chat.TraceID, chat.SpanID, chat.ParentSpanID)
	}
	attrs := map[string]any{}
	for _, a := range chat.Attributes {
		for _, v := range a.Value {
			attrs[a.Key] = v
		}
	}
	if attrs["gen_ai.system"] != "openai" || attrs["gen_ai.usage.input_tokens"] != "120" {
		t.Errorf("chat span attributes = %v", attrs)
	}
}
