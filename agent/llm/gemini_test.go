package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"

	"acuerdo/agent"
)

// The generative-ai-go client a chat session uses calls the streaming method
// over REST with ?$alt=json, so the fake answers with a JSON array of chunks.
const (
	geminiStreamPath = "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
	geminiPath       = "/v1beta/models/gemini-2.0-flash:generateContent"
)

type wireGeminiPart struct {
	Text         string `json:"text"`
	FunctionCall *struct {
		Name string         `json:"name"`
		Args map[string]any `json:"args"`
	} `json:"functionCall"`
	FunctionResponse *struct {
		Name     string         `json:"name"`
		Response map[string]any `json:"response"`
	} `json:"functionResponse"`
}

type wireGeminiRequest struct {
	SystemInstruction struct {
		Parts []wireGeminiPart `json:"parts"`
	} `json:"systemInstruction"`
	Contents []struct {
		Role  string           `json:"role"`
		Parts []wireGeminiPart `json:"parts"`
	} `json:"contents"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name        string         `json:"name"`
			Description string         `json:"description"`
			Parameters  map[string]any `json:"parameters"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
	GenerationConfig struct {
		MaxOutputTokens int `json:"maxOutputTokens"`
	} `json:"generationConfig"`
}

const geminiToolCalls = `[{"candidates":[{"content":{"role":"model","parts":[
	{"text":"Voy a revisar."},
	{"functionCall":{"name":"verify_identity","args":{"document_last4":"1234"}}},
	{"functionCall":{"name":"lookup_debt","args":{}}}]},"finishReason":"STOP"}],
	"usageMetadata":{"promptTokenCount":300,"candidatesTokenCount":25,"totalTokenCount":325,"cachedContentTokenCount":256}}]`

func newTestGemini(t *testing.T, f *fakeServer, mod func(*Config)) (*Gemini, *sleeper) {
	t.Helper()
	s := &sleeper{}
	cfg := Config{BaseURL: f.URL, APIKey: "g-test", Model: "gemini-2.0-flash", Sleep: s.Sleep, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	m, err := NewGemini(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, s
}

func TestGeminiOverTheWire(t *testing.T) {
	f := newFakeServer(t, geminiStreamPath, reply{body: geminiToolCalls})
	m, _ := newTestGemini(t, f, nil)
	req := conversation
	req.MaxTokens = 256
	req.Tools = append(req.Tools, agent.ToolSpec{Name: "send_payment_link", Description: "A payment link.",
		Parameters: json.RawMessage(`{"type":"object","properties":{"scope":{"type":"string","description":"What to pay.","enum":["total","overdue"]}},"required":["scope"]}`)})
	got, err := m.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}

	if key := f.header(0).Get("X-Goog-Api-Key"); key != "g-test" {
		t.Errorf("api key header = %q", key)
	}
	var wire wireGeminiRequest
	if err := json.Unmarshal(f.body(0), &wire); err != nil {
		t.Fatal(err)
	}
	if len(wire.SystemInstruction.Parts) != 1 || wire.SystemInstruction.Parts[0].Text != conversation.System {
		t.Errorf("systemInstruction = %+v", wire.SystemInstruction)
	}
	var turns []string
	for _, c := range wire.Contents {
		var parts []string
		for _, p := range c.Parts {
			switch {
			case p.FunctionCall != nil:
				parts = append(parts, fmt.Sprintf("call %s %v", p.FunctionCall.Name, p.FunctionCall.Args))
			case p.FunctionResponse != nil:
				parts = append(parts, fmt.Sprintf("response %s %v", p.FunctionResponse.Name, p.FunctionResponse.Response["response"]))
			default:
				parts = append(parts, "text "+p.Text)
			}
		}
		turns = append(turns, c.Role+": "+strings.Join(parts, " | "))
	}
	want := []string{
		"user: text hola, cuánto debo?",
		"model: text Déjame revisar. | call verify_identity map[document_last4:1234] | call lookup_debt map[]",
		`user: response verify_identity {"verified":true} | response lookup_debt {"balance":"120000.00"}`,
	}
	if !reflect.DeepEqual(turns, want) {
		t.Errorf("contents:\n got  %q\n want %q", turns, want)
	}
	decls := wire.Tools[0].FunctionDeclarations
	if len(decls) != 3 || decls[0].Name != "lookup_debt" {
		t.Fatalf("functionDeclarations = %+v", decls)
	}
	scope := decls[2].Parameters["properties"].(map[string]any)["scope"].(map[string]any)
	if scope["description"] != "What to pay. One of: total, overdue." {
		t.Errorf("enum not folded into description: %v", scope)
	}
	if wire.GenerationConfig.MaxOutputTokens != 256 {
		t.Errorf("maxOutputTokens = %d", wire.GenerationConfig.MaxOutputTokens)
	}

	if got.Content != "Voy a revisar." || got.FinishReason != FinishToolCalls || len(got.ToolCalls) != 2 {
		t.Fatalf("response = %+v", got)
	}
	if a, b := got.ToolCalls[0], got.ToolCalls[1]; a.Name != "verify_identity" || a.Arguments != `{"document_last4":"1234"}` ||
		b.Name != "lookup_debt" || a.ID == "" || a.ID == b.ID {
		t.Errorf("tool calls = %+v, want names, arguments and distinct IDs", got.ToolCalls)
	}
	got.Usage.Latency = 0
	if want := (agent.Usage{Provider: "gemini", Model: "gemini-2.0-flash", PromptTokens: 300, CompletionTokens: 25, CachedTokens: 256, Attempts: 1}); got.Usage != want {
		t.Errorf("usage = %+v, want %+v", got.Usage, want)
	}
}

func TestGeminiSingleMessage(t *testing.T) {
	// Without a system prompt langchaingo takes the non-chat path.
	f := newFakeServer(t, geminiPath, reply{body: `{"candidates":[{"content":{"role":"model","parts":[{"text":"¡Hola!"}]},"finishReason":"MAX_TOKENS"}],
		"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2,"totalTokenCount":6}}`})
	m, _ := newTestGemini(t, f, nil)
	got, err := m.Generate(context.Background(), agent.Request{Messages: []agent.Message{{Role: agent.RoleUser, Content: "hola"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Content != "¡Hola!" || got.FinishReason != FinishLength || got.Usage.PromptTokens != 4 || got.Usage.CompletionTokens != 2 {
		t.Errorf("response = %+v", got)
	}
}

func TestGeminiRetries(t *testing.T) {
	const rateLimited = `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`
	t.Run("429 then success", func(t *testing.T) {
		f := newFakeServer(t, geminiStreamPath, reply{status: 429, header: map[string]string{"Retry-After": "4"}, body: rateLimited}, reply{body: geminiToolCalls})
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
		f := newFakeServer(t, geminiStreamPath, reply{status: 400,
			body: `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`})
		m, _ := newTestGemini(t, f, nil)
		_, err := m.Generate(context.Background(), conversation)
		if err == nil || !strings.Contains(err.Error(), "gemini: 400 bad request: check GOOGLE_API_KEY (1 attempt)") || f.requests() != 1 {
			t.Errorf("err = %v after %d requests", err, f.requests())
		}
	})
}

func TestGeminiMessagesMapping(t *testing.T) {
	t.Run("no messages", func(t *testing.T) {
		if _, err := geminiMessages(agent.Request{System: "s"}); err != errEmptyMessages {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("tool name found from the call", func(t *testing.T) {
		msgs, err := geminiMessages(agent.Request{Messages: []agent.Message{
			{Role: agent.RoleAssistant, ToolCalls: []agent.ToolCall{{ID: "c1", Name: "opt_out", Arguments: "not json"}}},
			{Role: agent.RoleTool, ToolCallID: "c1", Content: "done"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		call := msgs[0].Parts[0].(llms.ToolCall)
		resp := msgs[1].Parts[0].(llms.ToolCallResponse)
		if call.FunctionCall.Arguments != "{}" || resp.Name != "opt_out" {
			t.Errorf("call = %+v response = %+v", call.FunctionCall, resp)
		}
	})
	t.Run("unknown call", func(t *testing.T) {
		if _, err := geminiMessages(agent.Request{Messages: []agent.Message{{Role: agent.RoleTool, ToolCallID: "zz", Content: "x"}}}); err == nil {
			t.Error("no error")
		}
	})
}

func TestGeminiResponseMapping(t *testing.T) {
	resp := &llms.ContentResponse{Choices: []*llms.ContentChoice{{
		Content:    "",
		StopReason: "FinishReasonSafety",
		GenerationInfo: map[string]any{
			geminiPromptTokens: int32(10), geminiCompletionTokens: int32(0),
		},
	}}}
	got := geminiResponse(resp, func(i int) string { return fmt.Sprint("id", i) })
	if got.FinishReason != FinishContentFilter || got.Usage.PromptTokens != 10 || got.Usage.Provider != "gemini" {
		t.Errorf("got %+v", got)
	}
	for in, want := range map[string]string{"FinishReasonStop": "stop", "FinishReasonMaxTokens": "length", "FinishReasonRecitation": "content_filter", "FinishReasonOther": "other"} {
		if got := geminiFinish(in); got != want {
			t.Errorf("geminiFinish(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewGeminiNeedsKeyAndModel(t *testing.T) {
	if _, err := NewGemini(context.Background(), Config{Model: "gemini-2.0-flash"}); err == nil || !strings.Contains(err.Error(), "GOOGLE_API_KEY") {
		t.Errorf("no key: err = %v", err)
	}
	if _, err := NewGemini(context.Background(), Config{APIKey: "k"}); err == nil {
		t.Error("no model: no error")
	}
}
