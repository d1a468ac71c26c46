package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"acuerdo/agent"
)

// ErrOffline is returned by FromSpec for ACUERDO_MODEL=offline (or unset): the
// caller runs the offline menu engine, which needs no Model.
var ErrOffline = errors.New("ACUERDO_MODEL=offline: no model; use the offline engine")

// Option adjusts the Config that FromSpec builds from the environment, for
// what the environment does not say: timeouts, HTTP client, test servers.
type Option func(*Config)

// WithHTTPClient sends requests through c.
func WithHTTPClient(c *http.Client) Option { return func(cfg *Config) { cfg.HTTPClient = c } }

// WithTimeout sets the per-attempt timeout.
func WithTimeout(d time.Duration) Option { return func(cfg *Config) { cfg.Timeout = d } }

// WithMaxRetries sets how many times transient failures are retried (negative: never).
func WithMaxRetries(n int) Option { return func(cfg *Config) { cfg.MaxRetries = n } }

// WithBaseURL points any adapter at another endpoint; it overrides
// OPENAI_BASE_URL and GEMINI_BASE_URL when given.
func WithBaseURL(u string) Option { return func(cfg *Config) { cfg.BaseURL = u } }

// Spec is a parsed ACUERDO_MODEL value.
type Spec struct {
	Provider string // openai, anthropic or gemini
	Model    string
}

// ParseSpec parses "provider:model". The model may itself contain colons
// (Ollama's llama3.1:8b), so only the first one splits. It returns ErrOffline
// for "offline" and for an empty value, the documented default.
func ParseSpec(spec string) (Spec, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || strings.EqualFold(spec, "offline") {
		return Spec{}, ErrOffline
	}
	prov, model, ok := strings.Cut(spec, ":")
	prov = strings.ToLower(strings.TrimSpace(prov))
	model = strings.TrimSpace(model)
	switch prov {
	case providerOpenAI.name, providerAnthropic.name, providerGemini.name:
	default:
		return Spec{}, fmt.Errorf("ACUERDO_MODEL=%s: unknown provider %q: use offline, openai:MODEL, anthropic:MODEL or gemini:MODEL", spec, prov)
	}
	if !ok || model == "" {
		return Spec{}, fmt.Errorf("ACUERDO_MODEL=%s: no model name: write it as %s:MODEL, e.g. %s", spec, prov, exampleSpec[prov])
	}
	return Spec{Provider: prov, Model: model}, nil
}

var exampleSpec = map[string]string{
	"openai":    "openai:gpt-4o-mini",
	"anthropic": "anthropic:claude-3-5-haiku-latest",
	"gemini":    "gemini:gemini-2.0-flash",
}

// FromSpec builds the Model an ACUERDO_MODEL value names, taking keys and the
// OpenAI and Gemini base URLs from getenv (os.Getenv in cmd, a map in tests). For
// "offline" or an empty spec it returns ErrOffline, which the caller answers
// by running the offline engine; errors.Is(err, ErrOffline) tells it apart
// from a misconfiguration, which should stop the program at start-up.
func FromSpec(spec string, getenv func(string) string, opts ...Option) (agent.Model, error) {
	s, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	cfg := Config{Model: s.Model}
	switch s.Provider {
	case providerOpenAI.name:
		cfg.APIKey = strings.TrimSpace(getenv("OPENAI_API_KEY"))
		cfg.BaseURL = strings.TrimSpace(getenv("OPENAI_BASE_URL"))
		if cfg.APIKey == "" && cfg.BaseURL == "" {
			return nil, fmt.Errorf("ACUERDO_MODEL=%s needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)", spec)
		}
	case providerAnthropic.name:
		cfg.APIKey = strings.TrimSpace(getenv("ANTHROPIC_API_KEY"))
		if cfg.APIKey == "" {
			return nil, fmt.Errorf("ACUERDO_MODEL=%s needs ANTHROPIC_API_KEY", spec)
		}
	case providerGemini.name:
		cfg.APIKey = strings.TrimSpace(getenv("GOOGLE_API_KEY"))
		cfg.BaseURL = strings.TrimSpace(getenv("GEMINI_BASE_URL"))
		if cfg.APIKey == "" {
			return nil, fmt.Errorf("ACUERDO_MODEL=%s needs GOOGLE_API_KEY", spec)
		}
	}
	for _, o := range opts {
		o(&cfg)
	}
	// Each branch checks err itself: returning a nil *OpenAI as agent.Model
	// would give the caller a non-nil interface.
	switch s.Provider {
	case providerAnthropic.name:
		m, err := NewAnthropic(cfg)
		if err != nil {
			return nil, err
		}
		return m, nil
	case providerGemini.name:
		m, err := NewGemini(cfg)
		if err != nil {
			return nil, err
		}
		return m, nil
	default:
		m, err := NewOpenAI(cfg)
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}
