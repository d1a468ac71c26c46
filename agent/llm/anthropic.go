package llm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"

	"acuerdo/agent"
)

// DefaultAnthropicBaseURL is used when Config.BaseURL is empty; langchaingo
// appends /messages to it.
const DefaultAnthropicBaseURL = "https://api.anthropic.com/v1"

// Keys under which langchaingo v0.1.14 (llms/anthropic, processAnthropicResponse)
// puts the Messages API usage into every choice's GenerationInfo. Anthropic's
// input_tokens excludes cache reads and writes, unlike OpenAI's prompt_tokens.
const (
	anthropicInputTokens         = "InputTokens"
	anthropicOutputTokens        = "OutputTokens"
	anthropicCacheReadTokens     = "CacheReadInputTokens"
	anthropicCacheCreationTokens = "CacheCreationInputTokens"
)

// Anthropic is an agent.Model for Anthropic's Messages API through langchaingo.
// It is safe for concurrent use.
type Anthropic struct {
	cfg Config
	llm llms.Model
}

var _ agent.Model = (*Anthropic)(nil)

// NewAnthropic returns an adapter for cfg; APIKey and Model are required.
func NewAnthropic(cfg Config) (*Anthropic, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("anthropic: no model name: set ACUERDO_MODEL=anthropic:MODEL, e.g. anthropic:claude-3-5-haiku-latest")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("anthropic: no API key: set ANTHROPIC_API_KEY")
	}
	cfg = cfg.withDefaults()
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultAnthropicBaseURL
	}
	llm, err := anthropic.New(
		anthropic.WithToken(cfg.APIKey),
		anthropic.WithModel(cfg.Model),
		anthropic.WithBaseURL(cfg.BaseURL),
		anthropic.WithHTTPClient(wrapClient(cfg.HTTPClient, cfg.Header)),
	)
	if err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	return &Anthropic{cfg: cfg, llm: llm}, nil
}

// Generate implements agent.Model. langchaingo does not retry, so the shared
// retry policy wraps each GenerateContent call.
func (a *Anthropic) Generate(ctx context.Context, req agent.Request) (agent.Response, error) {
	start := time.Now()
	msgs, err := anthropicMessages(req)
	if err != nil {
		return agent.Response{}, &Error{Provider: providerAnthropic.name, Hint: providerAnthropic.hint(failLocal, 0, err, a.cfg.Timeout), Err: err}
	}
	opts := []llms.CallOption{llms.WithTools(lcTools(req.Tools, func(p json.RawMessage) any { return p }))}
	if n := cmp.Or(req.MaxTokens, a.cfg.MaxTokens); n > 0 {
		opts = append(opts, llms.WithMaxTokens(n))
	}
	var resp *llms.ContentResponse
	attempts, err := retry(ctx, a.cfg, providerAnthropic, func(ctx context.Context) error {
		var gerr error
		resp, gerr = a.llm.GenerateContent(ctx, msgs, opts...)
		return gerr
	})
	if err != nil {
		return agent.Response{}, err
	}
	out := anthropicResponse(resp)
	out.Usage.Model = a.cfg.Model // langchaingo drops the model the API echoes
	out.Usage.Latency = time.Since(start)
	out.Usage.Attempts = attempts
	return out, nil
}

// anthropicMessages maps an agent.Request onto langchaingo messages.
//
// langchaingo's Anthropic client sends only the first part of an assistant or
// tool message, so each tool call and each tool result becomes a message of
// its own. The Messages API combines consecutive turns of the same role into
// one, which gives the required shape on the wire: one assistant turn holding
// every tool_use, then one user turn holding every tool_result.
func anthropicMessages(req agent.Request) ([]llms.MessageContent, error) {
	var out []llms.MessageContent
	if req.System != "" {
		out = append(out, llms.TextParts(llms.ChatMessageTypeSystem, req.System))
	}
	for i, m := range req.Messages {
		switch m.Role {
		case agent.RoleUser:
			// The API rejects empty text blocks; an empty debtor message
			// (a sticker, say) carries nothing the model can use.
			if m.Content != "" {
				out = append(out, llms.TextParts(llms.ChatMessageTypeHuman, m.Content))
			}
		case agent.RoleSystem:
			// A mid-conversation system note (e.g. "an operator handed the
			// conversation back") has no place in Anthropic's single system
			// prompt; it is sent as user text so the model still sees it.
			if m.Content != "" {
				out = append(out, llms.TextParts(llms.ChatMessageTypeHuman, m.Content))
			}
		case agent.RoleAssistant:
			if m.Content != "" {
				out = append(out, llms.TextParts(llms.ChatMessageTypeAI, m.Content))
			}
			for _, tc := range m.ToolCalls {
				out = append(out, llms.MessageContent{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{lcToolCall(tc)}})
			}
		case agent.RoleTool:
			if m.ToolCallID == "" {
				return nil, fmt.Errorf("message %d: tool result without ToolCallID", i)
			}
			out = append(out, llms.MessageContent{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{
				llms.ToolCallResponse{ToolCallID: m.ToolCallID, Name: m.Name, Content: m.Content},
			}})
		default:
			return nil, fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
	}
	return out, nil
}

// anthropicResponse folds langchaingo's one-choice-per-content-block answer
// back into one message.
func anthropicResponse(resp *llms.ContentResponse) agent.Response {
	var out agent.Response
	var text []string
	for _, c := range resp.Choices {
		if c.Content != "" {
			text = append(text, c.Content)
		}
		out.ToolCalls = append(out.ToolCalls, agentToolCalls(c.ToolCalls)...)
		if out.FinishReason == "" {
			out.FinishReason = anthropicFinish(c.StopReason)
		}
	}
	out.Content = strings.Join(text, "\n\n")
	out.Usage.Provider = providerAnthropic.name
	if len(resp.Choices) > 0 {
		info := resp.Choices[0].GenerationInfo
		read := infoInt(info, anthropicCacheReadTokens)
		out.Usage.PromptTokens = infoInt(info, anthropicInputTokens) + read + infoInt(info, anthropicCacheCreationTokens)
		out.Usage.CompletionTokens = infoInt(info, anthropicOutputTokens)
		out.Usage.CachedTokens = read
	}
	return out
}

// anthropicFinish maps stop_reason to OpenAI's vocabulary.
func anthropicFinish(r string) string {
	switch r {
	case "end_turn", "stop_sequence", "pause_turn":
		return FinishStop
	case "tool_use":
		return FinishToolCalls
	case "max_tokens", "model_context_window_exceeded":
		return FinishLength
	case "refusal":
		return FinishContentFilter
	}
	return strings.ToLower(r)
}

// lcTools maps tool specs to langchaingo tools; param converts the JSON Schema
// into what the provider's langchaingo client expects.
func lcTools(specs []agent.ToolSpec, param func(json.RawMessage) any) []llms.Tool {
	tools := make([]llms.Tool, 0, len(specs))
	for _, t := range specs {
		p := t.Parameters
		if len(p) == 0 {
			p = emptySchema
		}
		tools = append(tools, llms.Tool{Type: "function", Function: &llms.FunctionDefinition{
			Name: t.Name, Description: t.Description, Parameters: param(p),
		}})
	}
	return tools
}

// lcToolCall maps a tool call the model made earlier. langchaingo decodes the
// arguments into a map before resending them, so arguments that are not a
// JSON object (the model's own malformed output, already answered with an
// error by the agent) are replaced by {} rather than failing the whole turn.
func lcToolCall(tc agent.ToolCall) llms.ToolCall {
	args := tc.Arguments
	var obj map[string]any
	if json.Unmarshal([]byte(args), &obj) != nil || obj == nil {
		args = "{}"
	}
	return llms.ToolCall{ID: tc.ID, Type: "function", FunctionCall: &llms.FunctionCall{Name: tc.Name, Arguments: args}}
}

func agentToolCalls(tcs []llms.ToolCall) []agent.ToolCall {
	var out []agent.ToolCall
	for _, tc := range tcs {
		if tc.FunctionCall == nil {
			continue
		}
		out = append(out, agent.ToolCall{ID: tc.ID, Name: tc.FunctionCall.Name, Arguments: tc.FunctionCall.Arguments})
	}
	return out
}

// infoInt reads a token count from GenerationInfo, whose value types differ
// by client (int for Anthropic; other widths kept for safety).
func infoInt(info map[string]any, key string) int {
	switch v := info[key].(type) {
	case int:
		return v
	case int32:
		return int(v)
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}
