package llm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/googleai"
	"google.golang.org/api/option"

	"acuerdo/agent"
)

// Keys under which langchaingo v0.1.14 (llms/googleai, convertCandidates) puts
// Gemini's usageMetadata into each choice's GenerationInfo. Gemini's prompt
// count already includes cached tokens, as OpenAI's does; CachedTokens is only
// present when it is non-zero.
const (
	geminiPromptTokens     = "PromptTokens"     // usageMetadata.promptTokenCount
	geminiCompletionTokens = "CompletionTokens" // usageMetadata.candidatesTokenCount
	geminiCachedTokens     = "CachedTokens"     // usageMetadata.cachedContentTokenCount
)

// Gemini is an agent.Model for Google's Gemini API through langchaingo, which
// drives the generative-ai-go REST client. It is safe for concurrent use. It
// holds client connections: call Close when done with it.
type Gemini struct {
	cfg    Config
	client *googleai.GoogleAI
}

var _ agent.Model = (*Gemini)(nil)

// NewGemini returns an adapter for cfg; APIKey and Model are required. An
// empty BaseURL means Google's endpoint; a test server can be given as
// http://127.0.0.1:PORT. ctx is only used while building the client.
//
// The underlying client retries 503 by itself (gax, from 1 s) inside one of
// our attempts; the per-attempt timeout bounds that too.
func NewGemini(ctx context.Context, cfg Config) (*Gemini, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("gemini: no model name: set ACUERDO_MODEL=gemini:MODEL, e.g. gemini:gemini-2.0-flash")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("gemini: no API key: set GOOGLE_API_KEY")
	}
	cfg = cfg.withDefaults()
	// With a custom HTTP client the Google transport no longer adds the key,
	// so it goes in as a header; WithAPIKey is still needed because the
	// library refuses to build a client without an auth option.
	header := cfg.Header.Clone()
	if header == nil {
		header = make(map[string][]string)
	}
	header.Set("X-Goog-Api-Key", cfg.APIKey)
	opts := []googleai.Option{
		googleai.WithAPIKey(cfg.APIKey),
		googleai.WithDefaultModel(cfg.Model),
		googleai.WithHTTPClient(wrapClient(cfg.HTTPClient, header)),
	}
	if cfg.MaxTokens > 0 {
		opts = append(opts, googleai.WithDefaultMaxTokens(cfg.MaxTokens))
	}
	if cfg.BaseURL != "" {
		opts = append(opts, func(o *googleai.Options) {
			o.ClientOptions = append(o.ClientOptions, option.WithEndpoint(cfg.BaseURL))
		})
	}
	client, err := googleai.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gemini: %w", err)
	}
	return &Gemini{cfg: cfg, client: client}, nil
}

// Close releases the client's connections.
func (g *Gemini) Close() error { return g.client.Close() }

// Generate implements agent.Model.
func (g *Gemini) Generate(ctx context.Context, req agent.Request) (agent.Response, error) {
	start := time.Now()
	msgs, err := geminiMessages(req)
	if err != nil {
		return agent.Response{}, &Error{Provider: providerGemini.name, Hint: providerGemini.hint(failLocal, 0, err, g.cfg.Timeout), Err: err}
	}
	tools, err := geminiTools(req.Tools)
	if err != nil {
		return agent.Response{}, &Error{Provider: providerGemini.name, Hint: providerGemini.hint(failLocal, 0, err, g.cfg.Timeout), Err: err}
	}
	opts := []llms.CallOption{llms.WithTools(tools)}
	if req.MaxTokens > 0 {
		opts = append(opts, llms.WithMaxTokens(req.MaxTokens))
	}
	var resp *llms.ContentResponse
	attempts, err := retry(ctx, g.cfg, providerGemini, func(ctx context.Context) error {
		var gerr error
		resp, gerr = g.client.GenerateContent(ctx, msgs, opts...)
		return gerr
	})
	if err != nil {
		return agent.Response{}, err
	}
	out := geminiResponse(resp, newCallID)
	out.Usage.Model = g.cfg.Model
	out.Usage.Latency = time.Since(start)
	out.Usage.Attempts = attempts
	return out, nil
}

// geminiMessages maps an agent.Request onto langchaingo messages shaped the
// way Gemini wants them: one model turn holding all its function calls, then
// one user turn holding exactly as many function responses, each naming its
// function (Gemini pairs them by name, not by ID).
func geminiMessages(req agent.Request) ([]llms.MessageContent, error) {
	var out []llms.MessageContent
	if req.System != "" {
		out = append(out, llms.TextParts(llms.ChatMessageTypeSystem, req.System))
	}
	names := map[string]string{} // tool call ID -> tool name
	chat := 0
	for i, m := range req.Messages {
		switch m.Role {
		case agent.RoleUser, agent.RoleSystem:
			// langchaingo would let a later system message replace the
			// system instruction, so notes inside the conversation go as
			// user text; empty parts are rejected by the API.
			if m.Content != "" {
				out = append(out, llms.TextParts(llms.ChatMessageTypeHuman, m.Content))
				chat++
			}
		case agent.RoleAssistant:
			var parts []llms.ContentPart
			if m.Content != "" {
				parts = append(parts, llms.TextContent{Text: m.Content})
			}
			for _, tc := range m.ToolCalls {
				names[tc.ID] = tc.Name
				parts = append(parts, lcToolCall(tc))
			}
			if len(parts) > 0 {
				out = append(out, llms.MessageContent{Role: llms.ChatMessageTypeAI, Parts: parts})
				chat++
			}
		case agent.RoleTool:
			name := cmp.Or(m.Name, names[m.ToolCallID])
			if name == "" {
				return nil, fmt.Errorf("message %d: tool result for unknown call %q and without a tool name", i, m.ToolCallID)
			}
			part := llms.ToolCallResponse{ToolCallID: m.ToolCallID, Name: name, Content: m.Content}
			if last := len(out) - 1; last >= 0 && out[last].Role == llms.ChatMessageTypeTool {
				out[last].Parts = append(out[last].Parts, part)
				continue
			}
			out = append(out, llms.MessageContent{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{part}})
			chat++
		default:
			return nil, fmt.Errorf("message %d: unknown role %q", i, m.Role)
		}
	}
	if chat == 0 {
		// langchaingo indexes the last message without checking.
		return nil, errEmptyMessages
	}
	return out, nil
}

// geminiTools maps tool specs. langchaingo's Gemini client wants each schema
// as a map and drops keywords it does not know, enum among them; enums are
// therefore folded into the description so the model still sees the allowed
// values (the tool validates them anyway).
func geminiTools(specs []agent.ToolSpec) ([]llms.Tool, error) {
	var err error
	tools := lcTools(specs, func(p json.RawMessage) any {
		var m map[string]any
		if uerr := json.Unmarshal(p, &m); uerr != nil && err == nil {
			err = uerr
		}
		foldEnums(m)
		if props, ok := m["properties"].(map[string]any); !ok || len(props) == 0 {
			// Gemini rejects an object schema without properties; an empty
			// schema is the closest langchaingo can send to "no parameters".
			return map[string]any{}
		}
		return m
	})
	if err != nil {
		return nil, fmt.Errorf("tool parameters are not a JSON object: %w", err)
	}
	return tools, nil
}

// foldEnums appends "One of: a, b." to the description of every schema with
// an enum, recursively.
func foldEnums(s map[string]any) {
	if s == nil {
		return
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		vals := make([]string, len(enum))
		for i, v := range enum {
			vals[i] = fmt.Sprint(v)
		}
		desc, _ := s["description"].(string)
		s["description"] = strings.TrimSpace(desc + " One of: " + strings.Join(vals, ", ") + ".")
		if _, ok := s["type"]; !ok {
			s["type"] = "string"
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, _ := props[k].(map[string]any)
			foldEnums(sub)
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		foldEnums(items)
	}
}

// geminiResponse maps langchaingo's choices back. Gemini gives function calls
// no IDs, so newID makes them: the agent pairs results with calls by ID.
func geminiResponse(resp *llms.ContentResponse, newID func(i int) string) agent.Response {
	var out agent.Response
	out.Usage.Provider = providerGemini.name
	if len(resp.Choices) == 0 {
		return out
	}
	c := resp.Choices[0] // one candidate is requested
	out.Content = c.Content
	for i, tc := range agentToolCalls(c.ToolCalls) {
		if tc.ID == "" {
			tc.ID = newID(i)
		}
		out.ToolCalls = append(out.ToolCalls, tc)
	}
	out.FinishReason = geminiFinish(c.StopReason)
	if len(out.ToolCalls) > 0 && out.FinishReason == FinishStop {
		out.FinishReason = FinishToolCalls
	}
	out.Usage.PromptTokens = infoInt(c.GenerationInfo, geminiPromptTokens)
	out.Usage.CompletionTokens = infoInt(c.GenerationInfo, geminiCompletionTokens)
	out.Usage.CachedTokens = infoInt(c.GenerationInfo, geminiCachedTokens)
	return out
}

// geminiFinish maps genai's FinishReason names (FinishReasonStop, ...) to
// OpenAI's vocabulary.
func geminiFinish(r string) string {
	switch r := strings.TrimPrefix(r, "FinishReason"); r {
	case "Stop":
		return FinishStop
	case "MaxTokens":
		return FinishLength
	case "Safety", "Recitation":
		return FinishContentFilter
	default:
		return strings.ToLower(r)
	}
}

// newCallID makes a tool call ID unique enough within one conversation.
func newCallID(i int) string {
	return fmt.Sprintf("call_%08x_%d", rand.Uint32(), i)
}
