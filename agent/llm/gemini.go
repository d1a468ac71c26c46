package llm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"acuerdo/agent"
)

// DefaultGeminiBaseURL is Google's OpenAI-compatible endpoint for the Gemini
// API, used when Config.BaseURL (GEMINI_BASE_URL) is empty.
const DefaultGeminiBaseURL = "https://generativelanguage.googleapis.com/v1beta/openai"

// Gemini is an agent.Model for Google's Gemini API through its
// OpenAI-compatible chat-completions endpoint, driven by the same go-openai
// client as OpenAI. Google's own Go SDKs (and langchaingo's googleai, which
// wraps them) are deprecated and brought some 230 packages into the binary;
// the compatible endpoint speaks a wire format this package already knows.
// It is safe for concurrent use.
//
// What Gemini reads differently from OpenAI is kept in its dialect: tool
// results name their function, empty text messages are left out, and calls
// sent without an ID get a random one.
type Gemini struct {
	*OpenAI
}

var _ agent.Model = (*Gemini)(nil)

// NewGemini returns an adapter for cfg; APIKey and Model are required. An
// empty BaseURL means DefaultGeminiBaseURL; a test server is given as
// http://127.0.0.1:PORT/v1beta/openai. The key goes as a bearer token, which
// is how the compatible endpoint takes a Gemini API key.
func NewGemini(cfg Config) (*Gemini, error) {
	if strings.TrimSpace(cfg.Model) == "" {
		return nil, errors.New("gemini: no model name: set ACUERDO_MODEL=gemini:MODEL, e.g. gemini:gemini-2.0-flash")
	}
	if cfg.APIKey == "" {
		return nil, errors.New("gemini: no API key: set GOOGLE_API_KEY")
	}
	cfg = cfg.withDefaults()
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultGeminiBaseURL
	}
	wire := dialect{toolNames: true, skipEmpty: true, callID: newCallID}
	return &Gemini{OpenAI: newChatCompletions(cfg, providerGemini, wire)}, nil
}

// newCallID makes a tool call ID unique enough within one conversation: the
// agent pairs results with calls by ID across turns, so call_0 of one answer
// must not meet call_0 of the next.
func newCallID(i int) string {
	return fmt.Sprintf("call_%08x_%d", rand.Uint32(), i)
}
