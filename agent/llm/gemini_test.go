package llm

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"acuerdo/agent"
)

// geminiPath is where Google's OpenAI-compatible endpoint takes chat
// completions: DefaultGeminiBaseURL + /chat/completions.
const geminiPath = "/v1beta/openai/chat/completions"

// wireGeminiRequest is the part of the request body the tests check,
// including what Gemini needs beyond OpenAI: the name on tool results.
type wireGeminiRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role       string `json:"role"`
		Content    string `json:"content"`
		Name       string `json:"name"`
		ToolCallID string `json:"tool_call_id"`
	} `json:"messages"`
	MaxTokens int `json:"max_tokens"`
	Tools     []struct {
		Function struct {
			Name       string          `json:"name"`
			Parameters json.RawMessage `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
}

// geminiToolCalls is an answer as the compatible endpoint writes it: tool
// calls without IDs and finish_reason "stop".
const geminiToolCalls = `{"object":"chat.completion","model":"gemini-2.0-flash","choices":[{"index":0,"message":{"role":"assistant","content":"Voy a revisar.","tool_calls":[
	{"function":{"arguments":"{\"document_last4\":\"1234\"}","name":"verify_identity"},"type":"function"},
	{"function":{"arguments":"{}","name":"lookup_debt"},"type":"function"}]},"finish_reason":"stop"}],
	"usage":{"completion_tokens":25,"prompt_tokens":300,"total_tokens":325}}`

func newTestGemini(t *testing.T, f *fakeServer, mod func(*Config)) (*Gemini, *sleeper) {
	t.Helper()
	s := &sleeper{}
	cfg := Config{BaseURL: f.URL + "/v1beta/openai/", APIKey: "g-test", Model: "gemini-2.0-flash", Sleep: s.Sleep, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	m, err := NewGemini(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func TestGeminiOverTheWire(t *testing.T) {
	f := newFakeServer(t, geminiPath, reply{body: geminiToolCalls})
	m, _ := newTestGemini(t, f, nil)
	req := conversation
	req.MaxTokens = 256
	// An empty user message (a media-only message, say) is left out: Gemini
	// rejects empty text.
	req.Messages = append([]agent.Message{{Role: agent.RoleUser}}, req.Messages...)
	// The second result lost its name on the way: Gemini still gets it, from the call.
	req.Messages[4].Name = ""
	got, err := m.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}

	if auth := f.header(0).Get("Authorization"); auth != "Bearer g-test" {
		t.Errorf("Authorization = %q, want the Gemini key as a bearer token", auth)
	}
	var wire wireGeminiRequest
	if err := json.Unmarshal(f.body(0), &wire); err != nil {
		t.Fatal(err)
	}
	if wire.Model != "gemini-2.0-flash" || wire.MaxTokens != 256 {
		t.Errorf("model = %q max_tokens = %d", wire.Model, wire.MaxTokens)
	}
	var msgs []string
	for _, m := range wire.Messages {
		msgs = append(msgs, strings.TrimSpace(m.Role+" "+m.Name+" "+m.ToolCallID))
	}
	want := []string{"system", "user", "assistant", "tool verify_identity call_a", "tool lookup_debt call_b"}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages:\n got  %q\n want %q", msgs, want)
	}
	if len(wire.Tools) != 2 || wire.Tools[0].Function.Name != "lookup_debt" || string(wire.Tools[0].Function.Parameters) != lookupSchema {
		t.Errorf("tools = %+v", wire.Tools)
	}

	if got.Content != "Voy a revisar." || got.FinishReason != FinishToolCalls || len(got.ToolCalls) != 2 {
		t.Fatalf("response = %+v", got)
	}
	if a, b := got.ToolCalls[0], got.ToolCalls[1]; a.Name != "verify_identity" || a.Arguments != `{"document_last4":"1234"}` ||
		b.Name != "lookup_debt" || !strings.HasPrefix(a.ID, "call_") || a.ID == b.ID || a.ID == "call_0" {
		t.Errorf("tool calls = %+v, want names, arguments and distinct random IDs", got.ToolCalls)
	}
	got.Usage.Latency = 0
	if want := (agent.Usage{Provider: "gemini", Model: "gemini-2.0-flash", PromptTokens: 300, CompletionTokens: 25, Attempts: 1}); got.Usage != want {
		t.Errorf("usage = %+v, want %+v", got.Usage, want)
	}
}

func TestGeminiDefaultEndpoint(t *testing.T) {
	m, err := NewGemini(Config{APIKey: "k", Model: "gemini-2.0-flash"})
	if err != nil {
		t.Fatal(err)
	}
	if m.cfg.BaseURL != DefaultGeminiBaseURL {
		t.Errorf("base URL = %q", m.cfg.BaseURL)
	}
}

func TestGeminiRetries(t *testing.T) {
	// The compatible endpoint wraps its errors in a JSON array, which go-openai
	// cannot decode: the status and the hint must still come through.
	const rateLimited = `[{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}]`
	t.Run("429 then success", func(t *testing.T) {
		f := newFakeServer(t, geminiPath, reply{status: 429, header: map[string]string{"Retry-After": "4"}, body: rateLimited}, reply{body: geminiToolCalls})
		m, s := newTestGemini(t, f, nil)
		got, err := m.Generate(context.Background(), conversation)
		if err != nil {
			t.Fatal(err)
		}
		if got.Usage.Attempts != 2 || !reflect.DeepEqual(s.got(), []time.Duration{4 * time.Second}) {
			t.Errorf("attempts = %d waits = %v", got.Usage.Attempts, s.got())
		}
	})
	t.Run("bad key is a 400 on Gemini", func(t *testing.T) {
		f := newFakeServer(t, geminiPath, reply{status: 400,
			body: `[{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}]`})
		m, _ := newTestGemini(t, f, nil)
		_, err := m.Generate(context.Background(), conversation)
		if err == nil || !strings.Contains(err.Error(), "gemini: 400 bad request: check GOOGLE_API_KEY (1 attempt)") || f.requests() != 1 {
			t.Errorf("err = %v after %d requests", err, f.requests())
		}
	})
	t.Run("unknown model points at GEMINI_BASE_URL", func(t *testing.T) {
		f := newFakeServer(t, geminiPath, reply{status: 404,
			body: `[{"error":{"code":404,"message":"models/gemini-9 is not found","status":"NOT_FOUND"}}]`})
		m, _ := newTestGemini(t, f, nil)
		_, err := m.Generate(context.Background(), conversation)
		if err == nil || !strings.Contains(err.Error(), "check the model name in ACUERDO_MODEL and GEMINI_BASE_URL") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestGeminiToolResultForUnknownCall(t *testing.T) {
	f := newFakeServer(t, geminiPath, reply{body: geminiToolCalls})
	m, _ := newTestGemini(t, f, nil)
	_, err := m.Generate(context.Background(), agent.Request{Messages: []agent.Message{{Role: agent.RoleTool, ToolCallID: "zz", Content: "x"}}})
	if err == nil || !strings.Contains(err.Error(), `unknown call "zz"`) || f.requests() != 0 {
		t.Errorf("err = %v after %d requests", err, f.requests())
	}
}

func TestGeminiNothingToSay(t *testing.T) {
	f := newFakeServer(t, geminiPath, reply{body: geminiToolCalls})
	m, _ := newTestGemini(t, f, nil)
	_, err := m.Generate(context.Background(), agent.Request{System: "s", Messages: []agent.Message{{Role: agent.RoleUser}}})
	if err == nil || !strings.Contains(err.Error(), "request has no messages") || f.requests() != 0 {
		t.Errorf("err = %v after %d requests", err, f.requests())
	}
}

func TestNewGeminiNeedsKeyAndModel(t *testing.T) {
	if _, err := NewGemini(Config{Model: "gemini-2.0-flash"}); err == nil || !strings.Contains(err.Error(), "GOOGLE_API_KEY") {
		t.Errorf("no key: err = %v", err)
	}
	if _, err := NewGemini(Config{APIKey: "k"}); err == nil {
		t.Error("no model: no error")
	}
}

// TestGeminiFromEnvironment builds the model as cmd does, from ACUERDO_MODEL,
// GOOGLE_API_KEY and GEMINI_BASE_URL, and checks what reaches the server.
func TestGeminiFromEnvironment(t *testing.T) {
	f := newFakeServer(t, geminiPath, reply{body: `{"model":"gemini-2.5-flash","choices":[{"message":{"role":"assistant","content":"hola"},"finish_reason":"stop"}]}`})
	env := map[string]string{"GOOGLE_API_KEY": " g-env ", "GEMINI_BASE_URL": f.URL + "/v1beta/openai/"}
	m, err := FromSpec("gemini:gemini-2.5-flash", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Generate(context.Background(), agent.Request{Messages: []agent.Message{{Role: agent.RoleUser, Content: "hola"}}})
	if err != nil || got.Content != "hola" || got.Usage.Provider != "gemini" || got.Usage.Model != "gemini-2.5-flash" {
		t.Fatalf("got %+v, %v", got, err)
	}
	var wire wireGeminiRequest
	if err := json.Unmarshal(f.body(0), &wire); err != nil {
		t.Fatal(err)
	}
	if wire.Model != "gemini-2.5-flash" || f.header(0).Get("Authorization") != "Bearer g-env" {
		t.Errorf("model = %q Authorization = %q", wire.Model, f.header(0).Get("Authorization"))
	}
}
