package llm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"acuerdo/agent"
)

// DefaultOpenAIBaseURL is used when Config.BaseURL is empty.
const DefaultOpenAIBaseURL = "https://api.openai.com/v1"

// emptySchema stands in for a tool without parameters: providers reject a
// function tool whose parameters are missing or not an object schema.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// OpenAI is an agent.Model for any server speaking OpenAI's chat-completions
// wire format. It is safe for concurrent use.
type OpenAI struct {
	cfg    Config
	prov   provider // who answers: named in errors and in Usage.Provider
	wire   dialect
	client *openai.Client
}

// dialect is what a compatible server needs beyond OpenAI's own reading of
// the wire format. The zero value is OpenAI's.
type dialect struct {
	// toolNames names the function on every tool result: Gemini pairs results
	// with calls by name and rejects a nameless one ("function_response.name:
	// Name cannot be empty"), where OpenAI pairs them by tool_call_id.
	toolNames bool
	// skipEmpty leaves out user and system messages without text: Gemini
	// rejects an empty text part instead of ignoring it.
	skipEmpty bool
	// callID makes the ID of a tool call the server sent without one. Nil
	// means call_N, which is unique within one response.
	callID func(i int) string
}

var _ agent.Model = (*OpenAI)(nil)

// NewOpenAI returns an adapter for cfg. An empty BaseURL means OpenAI itself;
// an empty APIKey is allowed because local servers (Ollama, vLLM) need none.
func NewOpenAI(cfg Config) (*OpenAI, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("openai: no model name: set ACUERDO_MODEL=openai:MODEL, e.g. openai:gpt-4o-mini")
	}
	cfg = cfg.withDefaults()
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultOpenAIBaseURL
	}
	return newChatCompletions(cfg, providerOpenAI, dialect{}), nil
}

// newChatCompletions builds the go-openai client every chat-completions
// adapter shares; cfg has its defaults and BaseURL filled in.
func newChatCompletions(cfg Config, prov provider, wire dialect) *OpenAI {
	occ := openai.DefaultConfig(cfg.APIKey)
	occ.BaseURL = cfg.BaseURL
	occ.HTTPClient = wrapClient(cfg.HTTPClient, cfg.Header)
	return &OpenAI{cfg: cfg, prov: prov, wire: wire, client: openai.NewClientWithConfig(occ)}
}

// Generate implements agent.Model.
func (o *OpenAI) Generate(ctx context.Context, req agent.Request) (agent.Response, error) {
	start := time.Now()
	creq, err := o.chatRequest(req)
	if err != nil {
		return agent.Response{}, &Error{Provider: o.prov.name, Hint: o.prov.hint(failLocal, 0, err, o.cfg.Timeout), Err: err}
	}
	var resp openai.ChatCompletionResponse
	attempts, err := retry(ctx, o.cfg, o.prov, func(ctx context.Context) error {
		var cerr error
		resp, cerr = o.client.CreateChatCompletion(ctx, creq)
		if cerr == nil && len(resp.Choices) == 0 {
			return errors.New("response has no choices")
		}
		return cerr
	})
	if err != nil {
		return agent.Response{}, err
	}
	out := openAIResponse(resp, o.wire.callID)
	out.Usage.Provider = o.prov.name
	if out.Usage.Model == "" {
		out.Usage.Model = o.cfg.Model
	}
	out.Usage.Latency = time.Since(start)
	out.Usage.Attempts = attempts
	return out, nil
}

// chatRequest maps an agent.Request onto the chat-completions request body.
func (o *OpenAI) chatRequest(req agent.Request) (openai.ChatCompletionRequest, error) {
	msgs := make([]openai.ChatCompletionMessage, 0, len(req.Messages)+1)
	if req.System != "" {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: req.System})
	}
	names := map[string]string{} // tool call ID -> tool name, for dialects that want it
	for i, m := range req.Messages {
		switch m.Role {
		case agent.RoleSystem, agent.RoleUser:
			if m.Content == "" && o.wire.skipEmpty {
				continue
			}
			msgs = append(msgs, openai.ChatCompletionMessage{Role: string(m.Role), Content: m.Content})
		case agent.RoleAssistant:
			cm := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: m.Content}
			for _, tc := range m.ToolCalls {
				names[tc.ID] = tc.Name
				cm.ToolCalls = append(cm.ToolCalls, openai.ToolCall{
					ID:       tc.ID,
					Type:     openai.ToolTypeFunction,
					Function: openai.FunctionCall{Name: tc.Name, Arguments: tc.Arguments},
				})
			}
			msgs = append(msgs, cm)
		case agent.RoleTool:
			if m.ToolCallID == "" {
				return openai.ChatCompletionRequest{}, fmt.Errorf("message %d: tool result without ToolCallID", i)
			}
			// OpenAI links the result to its call by ID alone; a dialect
			// that pairs by name gets the name too.
			tm := openai.ChatCompletionMessage{Role: openai.ChatMessageRoleTool, Content: m.Content, ToolCallID: m.ToolCallID}
			if o.wire.toolNames {
				tm.Name = cmp.Or(m.Name, names[m.ToolCallID])
				if tm.Name == "" {
					return openai.ChatCompletionRequest{}, fmt.Errorf("message %d: tool result for unknown call %q and without a tool name", i, m.ToolCallID)
				}
			}
			msgs = append(msgs, tm)
		default:
			return openai.ChatCompletionRequest{}, fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
	}
	if o.wire.skipEmpty && !slices.ContainsFunc(msgs, func(m openai.ChatCompletionMessage) bool { return m.Role != openai.ChatMessageRoleSystem }) {
		// Gemini answers a request with nothing but a system prompt with a 400.
		return openai.ChatCompletionRequest{}, errEmptyMessages
	}
	creq := openai.ChatCompletionRequest{Model: o.cfg.Model, Messages: msgs}
	for _, t := range req.Tools {
		params, err := toolParameters(t)
		if err != nil {
			return openai.ChatCompletionRequest{}, err
		}
		creq.Tools = append(creq.Tools, openai.Tool{
			Type:     openai.ToolTypeFunction,
			Function: &openai.FunctionDefinition{Name: t.Name, Description: t.Description, Parameters: params},
		})
	}
	if n := cmp.Or(req.MaxTokens, o.cfg.MaxTokens); n > 0 {
		// max_tokens is deprecated by OpenAI but it is the field Ollama, vLLM
		// and most compatible servers understand; reasoning models (o-series,
		// gpt-5) reject it, and go-openai's own validator says which those are.
		//lint:ignore SA1019 compatible servers need max_tokens
		creq.MaxTokens = n
		if errors.Is(openai.NewReasoningValidator().Validate(creq), openai.ErrReasoningModelMaxTokensDeprecated) {
			//lint:ignore SA1019 clearing the field the model rejects
			creq.MaxTokens, creq.MaxCompletionTokens = 0, n
		}
	}
	return creq, nil
}

// toolParameters checks a tool's JSON Schema before it goes on the wire, so
// that a broken schema is reported with the tool's name rather than as an
// encoding error deep inside the client.
func toolParameters(t agent.ToolSpec) (json.RawMessage, error) {
	if len(t.Parameters) == 0 {
		return emptySchema, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(t.Parameters, &obj); err != nil {
		return nil, fmt.Errorf("tool %s: parameters are not a JSON object: %w", t.Name, err)
	}
	return t.Parameters, nil
}

// openAIResponse maps the first choice back. Tool-call arguments are passed
// through byte for byte, even when they are not valid JSON: validating them
// is the agent's job, and it needs the raw text to tell the model what it got
// wrong. callID makes IDs for calls sent without one (nil: call_N).
func openAIResponse(resp openai.ChatCompletionResponse, callID func(i int) string) agent.Response {
	choice := resp.Choices[0]
	out := agent.Response{
		Content:      choice.Message.Content,
		FinishReason: string(choice.FinishReason),
		Usage: agent.Usage{
			Provider:         providerOpenAI.name,
			Model:            resp.Model,
			PromptTokens:     resp.Usage.PromptTokens,
			CompletionTokens: resp.Usage.CompletionTokens,
		},
	}
	if d := resp.Usage.PromptTokensDetails; d != nil {
		out.Usage.CachedTokens = d.CachedTokens
	}
	for i, tc := range choice.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			// Some compatible servers omit IDs; the agent needs one to pair
			// the result with the call on the next request.
			if callID != nil {
				id = callID(i)
			} else {
				id = fmt.Sprintf("call_%d", i)
			}
		}
		out.ToolCalls = append(out.ToolCalls, agent.ToolCall{ID: id, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	// Some compatible servers (Gemini, older Ollama) say "stop" when the
	// answer is tool calls; the agent is told the same thing either way.
	if out.FinishReason == "function_call" || (out.FinishReason == FinishStop && len(out.ToolCalls) > 0) {
		out.FinishReason = FinishToolCalls
	}
	return out
}
