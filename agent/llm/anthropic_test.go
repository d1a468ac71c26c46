package llm

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"acuerdo/agent"
)

const messagesPath = "/v1/messages"

// wireMessagesRequest is the part of the Messages API request the tests check.
type wireMessagesRequest struct {
	Model     string `json:"model"`
	System    string `json:"system"`
	MaxTokens int    `json:"max_tokens"`
	Messages  []struct {
		Role    string `json:"role"`
		Content []struct {
			Type      string          `json:"type"`
			Text      string          `json:"text"`
			ID        string          `json:"id"`
			Name      string          `json:"name"`
			Input     json.RawMessage `json:"input"`
			ToolUseID string          `json:"tool_use_id"`
			Content   string          `json:"content"`
		} `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
}

func newTestAnthropic(t *testing.T, f *fakeServer, mod func(*Config)) (*Anthropic, *sleeper) {
	t.Helper()
	s := &sleeper{}
	cfg := Config{BaseURL: f.URL + "/v1", APIKey: "sk-ant-test", Model: "claude-3-5-haiku-latest", Sleep: s.Sleep, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	m, err := NewAnthropic(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

const anthropicToolUse = `{"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",
	"content":[
		{"type":"text","text":"Voy a revisar tu cuenta."},
		{"type":"tool_use","id":"toolu_01","name":"verify_identity","input":{"document_last4":"1234"}},
		{"type":"tool_use","id":"toolu_02","name":"lookup_debt","input":{}}],
	"stop_reason":"tool_use","stop_sequence":null,
	"usage":{"input_tokens":50,"output_tokens":40,"cache_read_input_tokens":1000,"cache_creation_input_tokens":200}}`

func TestAnthropicRequestWireFormat(t *testing.T) {
	f := newFakeServer(t, messagesPath, reply{body: anthropicToolUse})
	m, _ := newTestAnthropic(t, f, func(c *Config) { c.MaxTokens = 400 })
	req := conversation
	// A malformed call the agent already answered must not break the next turn.
	req.Messages = append(append([]agent.Message(nil), req.Messages...),
		agent.Message{Role: agent.RoleAssistant, ToolCalls: []agent.ToolCall{{ID: "toolu_x", Name: "lookup_debt", Arguments: `{"account_id":`}}},
		agent.Message{Role: agent.RoleTool, ToolCallID: "toolu_x", Content: `{"error":"arguments are not valid JSON"}`},
	)
	if _, err := m.Generate(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	h := f.header(0)
	if h.Get("X-Api-Key") != "sk-ant-test" || h.Get("Anthropic-Version") == "" {
		t.Errorf("headers = %v", h)
	}
	var got wireMessagesRequest
	if err := json.Unmarshal(f.body(0), &got); err != nil {
		t.Fatal(err)
	}
	if got.Model != "claude-3-5-haiku-latest" || got.System != conversation.System || got.MaxTokens != 400 {
		t.Errorf("model = %q system = %q max_tokens = %d", got.Model, got.System, got.MaxTokens)
	}
	type block struct{ role, typ, text, id, input string }
	var blocks []block
	for _, msg := range got.Messages {
		for _, c := range msg.Content {
			b := block{role: msg.Role, typ: c.Type, text: c.Text + c.Content, id: c.ID + c.ToolUseID}
			if c.Type == "tool_use" {
				b.text, b.input = c.Name, string(c.Input)
			}
			blocks = append(blocks, b)
		}
	}
	want := []block{
		{"user", "text", "hola, cuánto debo?", "", ""},
		{"assistant", "text", "Déjame revisar.", "", ""},
		{"assistant", "tool_use", "verify_identity", "call_a", `{"document_last4":"1234"}`},
		{"assistant", "tool_use", "lookup_debt", "call_b", `{}`},
		{"user", "tool_result", `{"verified":true}`, "call_a", ""},
		{"user", "tool_result", `{"balance":"120000.00"}`, "call_b", ""},
		{"assistant", "tool_use", "lookup_debt", "toolu_x", `{}`},
		{"user", "tool_result", `{"error":"arguments are not valid JSON"}`, "toolu_x", ""},
	}
	if !reflect.DeepEqual(blocks, want) {
		t.Errorf("content blocks:\n got  %q\n want %q", blocks, want)
	}
	if len(got.Tools) != 2 || got.Tools[0].Name != "lookup_debt" || string(got.Tools[0].InputSchema) != lookupSchema {
		t.Errorf("tools = %+v", got.Tools)
	}
	if string(got.Tools[1].InputSchema) != string(emptySchema) {
		t.Errorf("parameterless tool input_schema = %s", got.Tools[1].InputSchema)
	}
}

func TestAnthropicResponses(t *testing.T) {
	tests := []struct {
		name string
		body string
		want agent.Response
	}{{
		name: "text",
		body: `{"id":"msg_02","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",
			"content":[{"type":"text","text":"Hola Ana, te ayudo con tu pago."}],
			"stop_reason":"end_turn","usage":{"input_tokens":120,"output_tokens":11}}`,
		want: agent.Response{Content: "Hola Ana, te ayudo con tu pago.", FinishReason: "stop",
			Usage: agent.Usage{Provider: "anthropic", Model: "claude-3-5-haiku-latest", PromptTokens: 120, CompletionTokens: 11, Attempts: 1}},
	}, {
		name: "text and parallel tool calls, cache usage",
		body: anthropicToolUse,
		want: agent.Response{Content: "Voy a revisar tu cuenta.", FinishReason: "tool_calls",
			ToolCalls: []agent.ToolCall{
				{ID: "toolu_01", Name: "verify_identity", Arguments: `{"document_last4":"1234"}`},
				{ID: "toolu_02", Name: "lookup_debt", Arguments: `{}`},
			},
			// input_tokens excludes cache reads and writes; PromptTokens counts all.
			Usage: agent.Usage{Provider: "anthropic", Model: "claude-3-5-haiku-latest", PromptTokens: 1250, CompletionTokens: 40, CachedTokens: 1000, Attempts: 1}},
	}, {
		name: "truncated",
		body: `{"content":[{"type":"text","text":"Hola"}],"stop_reason":"max_tokens","usage":{"input_tokens":9,"output_tokens":1}}`,
		want: agent.Response{Content: "Hola", FinishReason: "length",
			Usage: agent.Usage{Provider: "anthropic", Model: "claude-3-5-haiku-latest", PromptTokens: 9, CompletionTokens: 1, Attempts: 1}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, messagesPath, reply{body: tt.body})
			m, _ := newTestAnthropic(t, f, nil)
			got, err := m.Generate(context.Background(), conversation)
			if err != nil {
				t.Fatal(err)
			}
			got.Usage.Latency = 0
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAnthropicRetries(t *testing.T) {
	const ok = `{"content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`
	tests := []struct {
		name      string
		script    []reply
		wantCalls int
		wantWaits []time.Duration
		wantErr   string
	}{{
		name: "429 with retry-after then success",
		script: []reply{{status: 429, header: map[string]string{"retry-after": "3"},
			body: `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`},
			{body: ok}},
		wantCalls: 2,
		wantWaits: []time.Duration{3 * time.Second},
	}, {
		name:      "529 overloaded then success",
		script:    []reply{{status: 529, header: map[string]string{"retry-after": "1"}, body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}, {body: ok}},
		wantCalls: 2,
		wantWaits: []time.Duration{time.Second},
	}, {
		name:      "401 not retried",
		script:    []reply{{status: 401, body: `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`}},
		wantCalls: 1,
		wantErr:   "anthropic: 401 unauthorized: check ANTHROPIC_API_KEY (1 attempt)",
	}, {
		name:      "400 not retried",
		script:    []reply{{status: 400, body: `{"type":"error","error":{"type":"invalid_request_error","message":"tools.0.input_schema: JSON schema is invalid"}}`}},
		wantCalls: 1,
		wantErr:   "input_schema: JSON schema is invalid",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, messagesPath, tt.script...)
			m, s := newTestAnthropic(t, f, nil)
			got, err := m.Generate(context.Background(), conversation)
			if f.requests() != tt.wantCalls {
				t.Errorf("requests = %d, want %d", f.requests(), tt.wantCalls)
			}
			if tt.wantErr != "" {
				var e *Error
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &e) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Usage.Attempts != tt.wantCalls || !reflect.DeepEqual(s.got(), tt.wantWaits) {
				t.Errorf("attempts = %d waits = %v, want %d %v", got.Usage.Attempts, s.got(), tt.wantCalls, tt.wantWaits)
			}
		})
	}
}

func TestNewAnthropicNeedsKeyAndModel(t *testing.T) {
	if _, err := NewAnthropic(Config{Model: "claude-3-5-haiku-latest"}); err == nil || !strings.Contains(err.Error(), "ANTHROPIC_API_KEY") {
		t.Errorf("no key: err = %v", err)
	}
	if _, err := NewAnthropic(Config{APIKey: "k"}); err == nil {
		t.Error("no model: no error")
	}
}
