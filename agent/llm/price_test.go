package llm

import (
	"math"
	"testing"
	"time"

	"acuerdo/agent"
)

func TestCost(t *testing.T) {
	at := day(2025, 7, 1)
	tests := []struct {
		name   string
		u      agent.Usage
		at     time.Time
		want   float64
		wantOK bool
	}{
		{"gpt-4o-mini", agent.Usage{Provider: "openai", Model: "gpt-4o-mini", PromptTokens: 1_000_000, CompletionTokens: 1_000_000}, at, 0.75, true},
		{"dated snapshot matches its family", agent.Usage{Provider: "openai", Model: "gpt-4o-mini-2024-07-18", PromptTokens: 2000, CompletionTokens: 100}, at, (2000*0.15 + 100*0.60) / 1e6, true},
		{"cached tokens are cheaper", agent.Usage{Provider: "openai", Model: "gpt-4o", PromptTokens: 2048, CachedTokens: 1920, CompletionTokens: 5}, at, (128*2.50 + 1920*1.25 + 5*10.00) / 1e6, true},
		{"gpt-4o before the October 2024 cut", agent.Usage{Provider: "openai", Model: "gpt-4o", PromptTokens: 1_000_000}, day(2024, 8, 1), 5.00, true},
		{"longest prefix wins over the date", agent.Usage{Provider: "openai", Model: "gpt-4o-mini", PromptTokens: 1}, day(2024, 6, 1), 0, false},
		{"openrouter model path", agent.Usage{Provider: "openai", Model: "openai/gpt-4.1-mini", CompletionTokens: 1_000_000}, at, 1.60, true},
		{"anthropic cache reads", agent.Usage{Provider: "anthropic", Model: "claude-3-5-haiku-latest", PromptTokens: 1250, CachedTokens: 1000, CompletionTokens: 40}, at, (250*0.80 + 1000*0.08 + 40*4.00) / 1e6, true},
		{"gemini", agent.Usage{Provider: "gemini", Model: "gemini-2.0-flash", PromptTokens: 300, CachedTokens: 256, CompletionTokens: 25}, at, (44*0.10 + 256*0.025 + 25*0.40) / 1e6, true},
		{"before any price", agent.Usage{Provider: "gemini", Model: "gemini-2.0-flash", PromptTokens: 1}, day(2024, 1, 1), 0, false},
		{"local model", agent.Usage{Provider: "openai", Model: "llama3.1:8b", PromptTokens: 1000}, at, 0, false},
		{"provider must match", agent.Usage{Provider: "anthropic", Model: "gpt-4o", PromptTokens: 1000}, at, 0, false},
		{"cached above prompt is clamped", agent.Usage{Provider: "openai", Model: "gpt-4o-mini", PromptTokens: 10, CachedTokens: 50}, at, 10 * 0.075 / 1e6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Cost(tt.u, tt.at)
			if ok != tt.wantOK || math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Cost = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestPriceTableOverride(t *testing.T) {
	table := append(DefaultPrices(), Price{Provider: "openai", Prefix: "gpt-4o-mini", Effective: day(2026, 1, 1), Prompt: 0.10, Cached: 0.05, Completion: 0.40})
	u := agent.Usage{Provider: "openai", Model: "gpt-4o-mini", PromptTokens: 1_000_000}
	if got, _ := table.Cost(u, day(2026, 2, 1)); got != 0.10 {
		t.Errorf("after override: %v, want 0.10", got)
	}
	if got, _ := table.Cost(u, day(2025, 12, 31)); got != 0.15 {
		t.Errorf("before override: %v, want 0.15", got)
	}
	if got, _ := Cost(u, day(2026, 2, 1)); got != 0.15 {
		t.Errorf("DefaultPrices shares its backing array with the built-in table: %v", got)
	}
}
