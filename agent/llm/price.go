package llm

import (
	"slices"
	"strings"
	"time"

	"acuerdo/agent"
)

// Price is what one model costs from a given day on, in USD per million
// tokens. Prices change, and cost-to-collect reports must price each call at
// what it cost that day, so every price carries its effective date.
type Price struct {
	Provider   string    // openai, anthropic or gemini; empty matches any
	Prefix     string    // matches model names that start with it, longest prefix wins
	Effective  time.Time // the first instant the price applies
	Prompt     float64   // uncached prompt tokens
	Cached     float64   // prompt tokens served from the provider's cache
	Completion float64   // completion tokens, including any reasoning tokens
}

// PriceTable is a list of prices; order does not matter.
type PriceTable []Price

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// defaultPrices are list prices for standard (non-batch) API use as the
// providers published them on the effective dates, for short prompts (Gemini
// charges more past 200k tokens, which a WhatsApp turn never reaches).
// Anthropic's cache writes (1.25x input) are priced as ordinary input. They
// are defaults to be checked against the provider's price page and
// overridden, not a source of truth.
var defaultPrices = PriceTable{
	// Before prompt caching existed a cached token cost the same as any other.
	{Provider: "openai", Prefix: "gpt-4o", Effective: day(2024, 5, 13), Prompt: 5.00, Cached: 5.00, Completion: 15.00},
	{Provider: "openai", Prefix: "gpt-4o", Effective: day(2024, 10, 1), Prompt: 2.50, Cached: 1.25, Completion: 10.00},
	{Provider: "openai", Prefix: "gpt-4o-mini", Effective: day(2024, 7, 18), Prompt: 0.15, Cached: 0.075, Completion: 0.60},
	{Provider: "openai", Prefix: "gpt-4.1", Effective: day(2025, 4, 14), Prompt: 2.00, Cached: 0.50, Completion: 8.00},
	{Provider: "openai", Prefix: "gpt-4.1-mini", Effective: day(2025, 4, 14), Prompt: 0.40, Cached: 0.10, Completion: 1.60},
	{Provider: "openai", Prefix: "gpt-4.1-nano", Effective: day(2025, 4, 14), Prompt: 0.10, Cached: 0.025, Completion: 0.40},

	{Provider: "anthropic", Prefix: "claude-3-5-haiku", Effective: day(2024, 11, 4), Prompt: 0.80, Cached: 0.08, Completion: 4.00},
	{Provider: "anthropic", Prefix: "claude-3-5-sonnet", Effective: day(2024, 6, 20), Prompt: 3.00, Cached: 0.30, Completion: 15.00},
	{Provider: "anthropic", Prefix: "claude-3-7-sonnet", Effective: day(2025, 2, 24), Prompt: 3.00, Cached: 0.30, Completion: 15.00},
	{Provider: "anthropic", Prefix: "claude-sonnet-4", Effective: day(2025, 5, 22), Prompt: 3.00, Cached: 0.30, Completion: 15.00},
	{Provider: "anthropic", Prefix: "claude-haiku-4-5", Effective: day(2025, 10, 15), Prompt: 1.00, Cached: 0.10, Completion: 5.00},

	{Provider: "gemini", Prefix: "gemini-2.0-flash", Effective: day(2025, 2, 5), Prompt: 0.10, Cached: 0.025, Completion: 0.40},
	{Provider: "gemini", Prefix: "gemini-2.5-flash", Effective: day(2025, 6, 17), Prompt: 0.30, Cached: 0.075, Completion: 2.50},
}

// DefaultPrices returns a copy of the built-in table, for a caller that wants
// to add or override prices (e.g. from the policy file) before pricing.
func DefaultPrices() PriceTable { return slices.Clone(defaultPrices) }

// Cost prices u with the built-in table; see PriceTable.Cost.
func Cost(u agent.Usage, at time.Time) (usd float64, ok bool) { return defaultPrices.Cost(u, at) }

// Lookup finds the price of model at time at. The longest matching prefix
// decides the model first and only then the date, so that gpt-4o-mini before
// its launch is unknown rather than priced as gpt-4o. Provider routing
// prefixes (openrouter's openai/gpt-4o-mini, Gemini's models/...) are ignored.
func (t PriceTable) Lookup(provider, model string, at time.Time) (Price, bool) {
	model = strings.ToLower(model)
	if i := strings.LastIndex(model, "/"); i >= 0 {
		model = model[i+1:]
	}
	best := ""
	for _, p := range t {
		if (p.Provider == "" || p.Provider == provider) && strings.HasPrefix(model, strings.ToLower(p.Prefix)) && len(p.Prefix) > len(best) {
			best = p.Prefix
		}
	}
	var found Price
	ok := false
	for _, p := range t {
		if (p.Provider == "" || p.Provider == provider) && strings.EqualFold(p.Prefix, best) && best != "" &&
			!p.Effective.After(at) && (!ok || p.Effective.After(found.Effective)) {
			found, ok = p, true
		}
	}
	return found, ok
}

// Cost returns what the call described by u cost in USD at time at, and
// false when the table has no price for its model then (a local model, or a
// new one): the report shows the cost as unknown rather than zero.
func (t PriceTable) Cost(u agent.Usage, at time.Time) (usd float64, ok bool) {
	p, ok := t.Lookup(u.Provider, u.Model, at)
	if !ok {
		return 0, false
	}
	cached := min(max(u.CachedTokens, 0), max(u.PromptTokens, 0))
	uncached := max(u.PromptTokens, 0) - cached
	usd = (float64(uncached)*p.Prompt + float64(cached)*p.Cached + float64(max(u.CompletionTokens, 0))*p.Completion) / 1e6
	return usd, true
}
