package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"acuerdo/agent"
)

const chatPath = "/v1/chat/completions"

// wireChatRequest is the part of OpenAI's request body the tests check.
type wireChatRequest struct {
	Model               string `json:"model"`
	MaxTokens           int    `json:"max_tokens"`
	MaxCompletionTokens int    `json:"max_completion_tokens"`
	Messages            []struct {
		Role       string `json:"role"`
		Content    string `json:"content"`
		ToolCallID string `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"function"`
	} `json:"tools"`
}

func newTestOpenAI(t *testing.T, f *fakeServer, mod func(*Config)) (*OpenAI, *sleeper) {
	t.Helper()
	s := &sleeper{}
	cfg := Config{BaseURL: f.URL + "/v1", APIKey: "sk-test", Model: "gpt-4o-mini", Sleep: s.Sleep, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	m, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

const lookupSchema = `{"type":"object","properties":{"account_id":{"type":"string"}}}`

// conversation is a turn in the middle of a tool loop: every kind of message.
var conversation = agent.Request{
	System: "Eres Acuerdo, un asistente de cobranza amable.",
	Messages: []agent.Message{
		{Role: agent.RoleUser, Content: "hola, cuánto debo?"},
		{Role: agent.RoleAssistant, Content: "Déjame revisar.", ToolCalls: []agent.ToolCall{
			{ID: "call_a", Name: "verify_identity", Arguments: `{"document_last4":"1234"}`},
			{ID: "call_b", Name: "lookup_debt", Arguments: `{}`},
		}},
		{Role: agent.RoleTool, ToolCallID: "call_a", Name: "verify_identity", Content: `{"verified":true}`},
		{Role: agent.RoleTool, ToolCallID: "call_b", Name: "lookup_debt", Content: `{"balance":"120000.00"}`},
	},
	Tools: []agent.ToolSpec{
		{Name: "lookup_debt", Description: "Balances and due dates.", Parameters: json.RawMessage(lookupSchema)},
		{Name: "opt_out", Description: "Stop all contact."},
	},
}

func TestOpenAIRequestWireFormat(t *testing.T) {
	f := newFakeServer(t, chatPath, reply{body: `{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`})
	m, _ := newTestOpenAI(t, f, nil)
	if _, err := m.Generate(context.Background(), conversation); err != nil {
		t.Fatal(err)
	}
	if got := f.header(0).Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("Authorization = %q", got)
	}
	var req wireChatRequest
	if err := json.Unmarshal(f.body(0), &req); err != nil {
		t.Fatal(err)
	}
	if req.Model != "gpt-4o-mini" {
		t.Errorf("model = %q", req.Model)
	}
	var roles []string
	for _, m := range req.Messages {
		roles = append(roles, m.Role)
	}
	if want := []string{"system", "user", "assistant", "tool", "tool"}; !reflect.DeepEqual(roles, want) {
		t.Fatalf("roles = %v, want %v", roles, want)
	}
	if req.Messages[0].Content != conversation.System {
		t.Errorf("system content = %q", req.Messages[0].Content)
	}
	asst := req.Messages[2]
	if asst.Content != "Déjame revisar." || len(asst.ToolCalls) != 2 {
		t.Fatalf("assistant message = %+v", asst)
	}
	if tc := asst.ToolCalls[0]; tc.ID != "call_a" || tc.Type != "function" || tc.Function.Name != "verify_identity" || tc.Function.Arguments != `{"document_last4":"1234"}` {
		t.Errorf("tool call = %+v", tc)
	}
	if req.Messages[3].ToolCallID != "call_a" || req.Messages[4].ToolCallID != "call_b" || req.Messages[4].Content != `{"balance":"120000.00"}` {
		t.Errorf("tool results = %+v %+v", req.Messages[3], req.Messages[4])
	}
	if len(req.Tools) != 2 || req.Tools[0].Type != "function" || req.Tools[0].Function.Name != "lookup_debt" {
		t.Fatalf("tools = %+v", req.Tools)
	}
	if string(req.Tools[0].Function.Parameters) != lookupSchema {
		t.Errorf("parameters = %s, want the schema untouched", req.Tools[0].Function.Parameters)
	}
	if string(req.Tools[1].Function.Parameters) != string(emptySchema) {
		t.Errorf("parameterless tool sent %s", req.Tools[1].Function.Parameters)
	}
}

func TestOpenAIResponses(t *testing.T) {
	tests := []struct {
		name string
		body string
		want agent.Response
	}{{
		name: "plain content",
		body: `{"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hola Ana, ¿en qué te ayudo?"},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":120,"completion_tokens":12,"total_tokens":132}}`,
		want: agent.Response{Content: "Hola Ana, ¿en qué te ayudo?", FinishReason: "stop",
			Usage: agent.Usage{Provider: "openai", Model: "gpt-4o-mini-2024-07-18", PromptTokens: 120, CompletionTokens: 12, Attempts: 1}},
	}, {
		name: "single tool call",
		body: `{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","content":null,"tool_calls":[
			{"id":"call_1","type":"function","function":{"name":"lookup_debt","arguments":"{\"account_id\":\"A-1\"}"}}]},"finish_reason":"tool_calls"}],
			"usage":{"prompt_tokens":200,"completion_tokens":20}}`,
		want: agent.Response{FinishReason: "tool_calls",
			ToolCalls: []agent.ToolCall{{ID: "call_1", Name: "lookup_debt", Arguments: `{"account_id":"A-1"}`}},
			Usage:     agent.Usage{Provider: "openai", Model: "gpt-4o-mini", PromptTokens: 200, CompletionTokens: 20, Attempts: 1}},
	}, {
		name: "parallel tool calls",
		body: `{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","tool_calls":[
			{"id":"call_1","type":"function","function":{"name":"verify_identity","arguments":"{\"document_last4\":\"1234\"}"}},
			{"id":"call_2","type":"function","function":{"name":"lookup_debt","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`,
		want: agent.Response{FinishReason: "tool_calls",
			ToolCalls: []agent.ToolCall{
				{ID: "call_1", Name: "verify_identity", Arguments: `{"document_last4":"1234"}`},
				{ID: "call_2", Name: "lookup_debt", Arguments: `{}`},
			},
			Usage: agent.Usage{Provider: "openai", Model: "gpt-4o-mini", Attempts: 1}},
	}, {
		name: "malformed arguments pass through untouched",
		body: `{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","tool_calls":[
			{"id":"call_1","type":"function","function":{"name":"send_payment_link","arguments":"{\"scope\": \"total\", amount: 5"}}]},"finish_reason":"tool_calls"}]}`,
		want: agent.Response{FinishReason: "tool_calls",
			ToolCalls: []agent.ToolCall{{ID: "call_1", Name: "send_payment_link", Arguments: `{"scope": "total", amount: 5`}},
			Usage:     agent.Usage{Provider: "openai", Model: "gpt-4o-mini", Attempts: 1}},
	}, {
		name: "cached tokens",
		body: `{"model":"gpt-4o","choices":[{"message":{"role":"assistant","content":"Listo."},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":2048,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":1920}}}`,
		want: agent.Response{Content: "Listo.", FinishReason: "stop",
			Usage: agent.Usage{Provider: "openai", Model: "gpt-4o", PromptTokens: 2048, CompletionTokens: 5, CachedTokens: 1920, Attempts: 1}},
	}, {
		name: "server without IDs or model gets them filled in",
		body: `{"choices":[{"message":{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"opt_out","arguments":""}}]},"finish_reason":"tool_calls"}]}`,
		want: agent.Response{FinishReason: "tool_calls",
			ToolCalls: []agent.ToolCall{{ID: "call_0", Name: "opt_out", Arguments: ""}},
			Usage:     agent.Usage{Provider: "openai", Model: "llama3.1:8b", Attempts: 1}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, chatPath, reply{body: tt.body})
			m, s := newTestOpenAI(t, f, func(c *Config) { c.Model = "llama3.1:8b" })
			got, err := m.Generate(context.Background(), conversation)
			if err != nil {
				t.Fatal(err)
			}
			if got.Usage.Latency <= 0 {
				t.Errorf("latency = %v, want > 0", got.Usage.Latency)
			}
			got.Usage.Latency = 0
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if len(s.got()) != 0 {
				t.Errorf("slept %v on success", s.got())
			}
		})
	}
}

const okBody = `{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`

func TestOpenAIRetries(t *testing.T) {
	rateLimited := `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`
	tests := []struct {
		name       string
		script     []reply
		maxRetries int
		wantCalls  int
		wantErr    string // substring; empty means success
		wantStatus int
		checkWaits func(t *testing.T, waits []time.Duration)
	}{{
		name:      "429 with Retry-After then success",
		script:    []reply{{status: 429, header: map[string]string{"Retry-After": "2"}, body: rateLimited}, {body: okBody}},
		wantCalls: 2,
		checkWaits: func(t *testing.T, w []time.Duration) {
			if !reflect.DeepEqual(w, []time.Duration{2 * time.Second}) {
				t.Errorf("waits = %v, want [2s] from Retry-After", w)
			}
		},
	}, {
		name:      "429 with retry-after-ms then success",
		script:    []reply{{status: 429, header: map[string]string{"retry-after-ms": "750"}, body: rateLimited}, {body: okBody}},
		wantCalls: 2,
		checkWaits: func(t *testing.T, w []time.Duration) {
			if !reflect.DeepEqual(w, []time.Duration{750 * time.Millisecond}) {
				t.Errorf("waits = %v, want [750ms]", w)
			}
		},
	}, {
		name:      "429 without Retry-After backs off with jitter",
		script:    []reply{{status: 429, body: rateLimited}, {body: okBody}},
		wantCalls: 2,
		checkWaits: func(t *testing.T, w []time.Duration) {
			if len(w) != 1 || w[0] < 250*time.Millisecond || w[0] > 500*time.Millisecond {
				t.Errorf("waits = %v, want one in [250ms, 500ms]", w)
			}
		},
	}, {
		name:       "500 exhausts retries",
		script:     []reply{{status: 500, body: `{"error":{"message":"The server had an error"}}`}},
		maxRetries: 2,
		wantCalls:  3,
		wantErr:    "openai: 500 internal server error: provider error: try again later or switch ACUERDO_MODEL (3 attempts)",
		wantStatus: 500,
		checkWaits: func(t *testing.T, w []time.Duration) {
			if len(w) != 2 || w[1] < 500*time.Millisecond || w[1] > time.Second {
				t.Errorf("waits = %v, want 2, the second in [500ms, 1s]", w)
			}
		},
	}, {
		name:       "400 is not retried",
		script:     []reply{{status: 400, body: `{"error":{"message":"Invalid schema for function 'lookup_debt'","type":"invalid_request_error"}}`}},
		wantCalls:  1,
		wantErr:    "openai: 400 bad request: the provider rejected the request",
		wantStatus: 400,
	}, {
		name:       "401 says which key to check",
		script:     []reply{{status: 401, body: `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`}},
		wantCalls:  1,
		wantErr:    "openai: 401 unauthorized: check OPENAI_API_KEY (1 attempt)",
		wantStatus: 401,
	}, {
		name:       "404 points at the model name",
		script:     []reply{{status: 404, body: `{"error":{"message":"The model does not exist"}}`}},
		wantCalls:  1,
		wantErr:    "check the model name in ACUERDO_MODEL and OPENAI_BASE_URL",
		wantStatus: 404,
	}, {
		name:       "Retry-After beyond the limit fails at once",
		script:     []reply{{status: 429, header: map[string]string{"Retry-After": "120"}, body: rateLimited}},
		wantCalls:  1,
		wantErr:    "asked to wait longer than the adapter allows",
		wantStatus: 429,
	}, {
		name:      "non-JSON 502 from a proxy is retried",
		script:    []reply{{status: 502, body: `<html>Bad Gateway</html>`}, {body: okBody}},
		wantCalls: 2,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, chatPath, tt.script...)
			m, s := newTestOpenAI(t, f, func(c *Config) { c.MaxRetries = tt.maxRetries })
			got, err := m.Generate(context.Background(), conversation)
			if f.requests() != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", f.requests(), tt.wantCalls)
			}
			if tt.checkWaits != nil {
				tt.checkWaits(t, s.got())
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.Usage.Attempts != tt.wantCalls || got.Content != "ok" {
					t.Errorf("attempts = %d content = %q, want %d, ok", got.Usage.Attempts, got.Content, tt.wantCalls)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			var e *Error
			if !errors.As(err, &e) || e.StatusCode != tt.wantStatus || e.Attempts != tt.wantCalls {
				t.Errorf("error = %#v, want status %d after %d attempts", e, tt.wantStatus, tt.wantCalls)
			}
		})
	}
}

func TestOpenAIPerAttemptTimeout(t *testing.T) {
	f := newFakeServer(t, chatPath, reply{hang: true})
	m, s := newTestOpenAI(t, f, func(c *Config) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = 1 })
	start := time.Now()
	_, err := m.Generate(context.Background(), conversation)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %v; each attempt should stop after 50ms", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 50ms per attempt") {
		t.Fatalf("err = %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 2 || f.requests() != 2 || len(s.got()) != 1 {
		t.Errorf("attempts = %d, requests = %d, waits = %v; want a timeout to be retried once", e.Attempts, f.requests(), s.got())
	}
}

func TestOpenAINetworkErrorRetried(t *testing.T) {
	f := newFakeServer(t, chatPath, reply{body: okBody})
	url := f.URL
	f.Close() // nothing listens there any more
	s := &sleeper{}
	m, err := NewOpenAI(Config{BaseURL: url + "/v1", Model: "gpt-4o-mini", Sleep: s.Sleep, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Generate(context.Background(), conversation)
	if err == nil || !strings.Contains(err.Error(), "cannot reach the provider: check OPENAI_BASE_URL") || !strings.Contains(err.Error(), "(3 attempts)") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenAICallerCancelStopsRetries(t *testing.T) {
	f := newFakeServer(t, chatPath, reply{status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	m, _ := newTestOpenAI(t, f, func(c *Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	})
	_, err := m.Generate(ctx, conversation)
	if !errors.Is(err, context.Canceled) || f.requests() != 1 {
		t.Fatalf("err = %v after %d requests; want context.Canceled after 1", err, f.requests())
	}
}

func TestOpenAIMaxTokensAndHeaders(t *testing.T) {
	tests := []struct {
		model                string
		wantMax, wantMaxComp int
	}{
		{"gpt-4o-mini", 300, 0},
		{"o3-mini", 0, 300}, // reasoning models only take max_completion_tokens
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			f := newFakeServer(t, chatPath, reply{body: okBody})
			m, _ := newTestOpenAI(t, f, func(c *Config) {
				c.Model = tt.model
				c.MaxTokens = 300
				c.Header = http.Header{"Api-Key": {"azure-key"}}
			})
			if _, err := m.Generate(context.Background(), conversation); err != nil {
				t.Fatal(err)
			}
			var req wireChatRequest
			if err := json.Unmarshal(f.body(0), &req); err != nil {
				t.Fatal(err)
			}
			if req.MaxTokens != tt.wantMax || req.MaxCompletionTokens != tt.wantMaxComp {
				t.Errorf("max_tokens = %d, max_completion_tokens = %d", req.MaxTokens, req.MaxCompletionTokens)
			}
			if got := f.header(0).Get("Api-Key"); got != "azure-key" {
				t.Errorf("extra header = %q", got)
			}
		})
	}
}

func TestOpenAIRejectsBadInputBeforeSending(t *testing.T) {
	f := newFakeServer(t, chatPath, reply{body: okBody})
	m, _ := newTestOpenAI(t, f, nil)
	bad := []agent.Request{
		{Messages: []agent.Message{{Role: agent.RoleTool, Content: "x"}}},
		{Messages: []agent.Message{{Role: "robot", Content: "x"}}},
		{Messages: []agent.Message{{Role: agent.RoleUser, Content: "x"}}, Tools: []agent.ToolSpec{{Name: "t", Parameters: json.RawMessage(`[1,`)}}},
	}
	for i, req := range bad {
		if _, err := m.Generate(context.Background(), req); err == nil {
			t.Errorf("request %d: no error", i)
		}
	}
	if f.requests() != 0 {
		t.Errorf("server saw %d requests for invalid input", f.requests())
	}
	if _, err := NewOpenAI(Config{}); err == nil {
		t.Error("NewOpenAI without a model: no error")
	}
}

func TestOpenAIConcurrentUse(t *testing.T) {
	f := newFakeServer(t, chatPath, reply{status: 429}, reply{body: okBody})
	m, _ := newTestOpenAI(t, f, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := m.Generate(context.Background(), conversation); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
