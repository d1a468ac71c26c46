// Package llm holds the agent.Model adapters: go-openai for anything that
// speaks the OpenAI chat-completions wire format (OpenAI, Azure's /openai/v1,
// Ollama, vLLM, Groq, OpenRouter, and Gemini through Google's compatible
// endpoint) and langchaingo for Anthropic.
//
// Every adapter takes a Config built by the caller (cmd, or FromSpec from the
// ACUERDO_MODEL value) and reads no environment itself, so tests and several
// differently configured models can live in one process. All adapters share
// one retry policy: exponential backoff with jitter on 429, 5xx, network errors
// and per-attempt timeouts, honouring Retry-After; never on other 4xx.
//
// Responses are normalised: FinishReason uses OpenAI's vocabulary (see the
// Finish* constants) and Usage.PromptTokens always includes cached tokens, as
// OpenAI counts them, whatever the provider reports. Usage.Latency is the wall
// time of the whole call, retries and waits included, as the debtor lives it.
package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Defaults applied by every adapter to a zero Config field.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxRetries    = 3
	DefaultMaxRetryAfter = 30 * time.Second
)

// Finish reasons, in OpenAI's vocabulary, that every adapter maps to, so the
// agent can tell a truncated or filtered reply from a finished one without
// knowing the provider. Unknown provider reasons pass through lower-cased.
const (
	FinishStop          = "stop"
	FinishToolCalls     = "tool_calls"
	FinishLength        = "length"
	FinishContentFilter = "content_filter"
)

// Config configures one adapter. It is a plain value built by the caller: the
// adapters never read environment variables, so the same binary can run
// several models and tests can point them at local fakes.
type Config struct {
	// BaseURL is the API root. Empty means the provider's public endpoint.
	// OpenAI-compatible servers take the URL including /v1
	// (http://localhost:11434/v1 for Ollama); Anthropic's includes /v1 too
	// (https://api.anthropic.com/v1); Gemini's is the OpenAI-compatible root
	// (https://generativelanguage.googleapis.com/v1beta/openai).
	BaseURL string
	// APIKey authenticates; OpenAI-compatible local servers may leave it empty.
	APIKey string
	// Model is the provider's model name, e.g. gpt-4o-mini.
	Model string
	// Timeout bounds each attempt separately (default 30 s), so one hung
	// connection costs one timeout and not the whole turn; the caller's context
	// still bounds everything.
	Timeout time.Duration
	// MaxRetries is how many times a transient failure is retried: 0 means the
	// default 3, a negative value means never retry.
	MaxRetries int
	// MaxTokens caps replies when agent.Request.MaxTokens is 0; 0 leaves it to
	// the provider (langchaingo's Anthropic client uses 2048).
	MaxTokens int
	// MaxRetryAfter is the longest Retry-After the adapter is willing to wait
	// (default 30 s). A provider asking for more fails the call at once: a
	// debtor waiting on WhatsApp is better served by the offline fallback.
	MaxRetryAfter time.Duration
	// HTTPClient sends the requests; nil means a client with no overall
	// timeout (per-attempt timeouts come from Timeout). Its Transport is
	// wrapped, never modified.
	HTTPClient *http.Client
	// Header is added to every request, e.g. Azure's api-key or OpenRouter's
	// HTTP-Referer.
	Header http.Header
	// Backoff returns the wait before retry number n (1 for the first retry)
	// when the provider sent no Retry-After. Nil means exponential backoff from
	// 500 ms, doubling to at most 8 s, with jitter so that many conversations
	// hitting the same rate limit do not retry in lockstep.
	Backoff func(n int) time.Duration
	// Sleep waits between attempts and must return early with ctx's error when
	// ctx is done. Nil means a real timer; tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
}

// withDefaults returns c with zero fields filled in.
func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.MaxRetryAfter <= 0 {
		c.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.Backoff == nil {
		c.Backoff = defaultBackoff
	}
	if c.Sleep == nil {
		c.Sleep = sleepCtx
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// provider names an adapter and the environment variables its errors point
// the operator to.
type provider struct {
	name    string // openai, anthropic, gemini: also Usage.Provider
	keyEnv  string
	baseEnv string // empty when the design defines no base-URL variable
}

var (
	providerOpenAI    = provider{name: "openai", keyEnv: "OPENAI_API_KEY", baseEnv: "OPENAI_BASE_URL"}
	providerAnthropic = provider{name: "anthropic", keyEnv: "ANTHROPIC_API_KEY"}
	providerGemini    = provider{name: "gemini", keyEnv: "GOOGLE_API_KEY", baseEnv: "GEMINI_BASE_URL"}
)

// Error is a model call that failed, after any retries. The agent falls back to
// the offline engine on any error; Error exists so that the audit log and the
// operator see which provider failed, how, and what to do about it.
type Error struct {
	Provider   string
	StatusCode int // HTTP status of the last attempt; 0 when no response came back
	Attempts   int
	Hint       string // what the operator should do, e.g. "check OPENAI_API_KEY"
	Err        error  // the last underlying error
}

// Error formats as "openai: 401 unauthorized: check OPENAI_API_KEY (1 attempt): cause".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	if e.StatusCode >= 300 {
		fmt.Fprintf(&b, "%d %s: ", e.StatusCode, strings.ToLower(http.StatusText(e.StatusCode)))
	}
	b.WriteString(e.Hint)
	if e.Attempts == 1 {
		b.WriteString(" (1 attempt)")
	} else {
		fmt.Fprintf(&b, " (%d attempts)", e.Attempts)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is see context.Canceled, context.DeadlineExceeded and the
// client library's own error types.
func (e *Error) Unwrap() error { return e.Err }

// hint says what to do about a failure; kind is the classification retry made.
func (p provider) hint(kind failure, status int, err error, timeout time.Duration) string {
	baseVar := "the base URL"
	if p.baseEnv != "" {
		baseVar = p.baseEnv
	}
	switch kind {
	case failCanceled:
		return "the caller's context ended (cancelled or out of time)"
	case failTimeout:
		return fmt.Sprintf("no answer within %s per attempt: the provider is slow or unreachable; try again later or raise the timeout", timeout)
	case failNetwork:
		return fmt.Sprintf("cannot reach the provider: check %s and the network", baseVar)
	case failLocal:
		return "could not build or read the request: this is a bug in the adapter or an unsupported tool schema"
	case failRetryAfter:
		return "rate limited and asked to wait longer than the adapter allows: lower traffic or raise the provider quota"
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "check " + p.keyEnv
	case status == http.StatusBadRequest && err != nil && strings.Contains(strings.ToLower(err.Error()), "api key"):
		// Gemini answers a bad key with 400 INVALID_ARGUMENT, not 401.
		return "check " + p.keyEnv
	case status == http.StatusNotFound:
		return fmt.Sprintf("check the model name in ACUERDO_MODEL and %s", baseVar)
	case status == http.StatusTooManyRequests:
		return "rate limited: lower traffic or raise the provider quota"
	case status >= 500:
		return "provider error: try again later or switch ACUERDO_MODEL"
	case status >= 400:
		return "the provider rejected the request: check the model supports tools and the parameters sent"
	case status >= 200 && status < 300:
		return "could not read the provider's answer"
	}
	return "model call failed"
}

// errEmptyMessages guards providers that refuse a request without at least
// one chat message (Gemini).
var errEmptyMessages = errors.New("request has no messages: send at least the debtor's message")
