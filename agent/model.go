package agent

import (
	"context"
	"encoding/json"
	"time"
)

// Model is a chat model that may call tools. Adapters in agent/llm speak the
// OpenAI wire format (go-openai) or langchaingo's providers; the offline menu
// engine does not use a Model at all. Implementations must be safe for concurrent
// use: the engine runs turns of different conversations in parallel.
type Model interface {
	// Generate returns the model's next assistant message for req. A transport
	// or provider error is returned as an error; the agent then falls back to the
	// offline engine so the debtor always gets an answer.
	Generate(ctx context.Context, req Request) (Response, error)
}

// Role says who wrote a chat message.
type Role string

// Chat roles, as the OpenAI wire format names them.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Request is one model call.
type Request struct {
	System   string    // the system prompt
	Messages []Message // the conversation window, oldest first, without the system prompt
	Tools    []ToolSpec
	// MaxTokens caps the reply; 0 leaves it to the adapter's default.
	MaxTokens int
}

// Message is one chat message.
type Message struct {
	Role       Role
	Content    string
	ToolCalls  []ToolCall // an assistant message's tool calls
	ToolCallID string     // a tool message answers this call
	Name       string     // a tool message's tool name
}

// ToolCall is the model asking to run a tool. Arguments is the raw JSON the model
// produced, unvalidated: it may be malformed or hostile.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// ToolSpec describes a tool to the model.
type ToolSpec struct {
	Name        string
	Description string
	Parameters  json.RawMessage // a JSON Schema object
}

// Response is what the model answered.
type Response struct {
	Content      string
	ToolCalls    []ToolCall
	FinishReason string
	Usage        Usage
}

// Usage is what one model call cost, normalised across providers.
type Usage struct {
	Provider         string // openai, anthropic, gemini
	Model            string
	PromptTokens     int
	CompletionTokens int
	CachedTokens     int // prompt tokens served from the provider's cache
	Latency          time.Duration
	Attempts         int // 1 plus retries
}
