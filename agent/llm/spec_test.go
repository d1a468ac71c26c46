package llm

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"acuerdo/agent"
)

func TestFromSpec(t *testing.T) {
	tests := []struct {
		spec    string
		env     map[string]string
		want    string // adapter type, e.g. "*llm.OpenAI"
		wantCfg Config // checked fields: Model, APIKey, BaseURL
		wantErr string // substring
		offline bool
	}{
		{spec: "", offline: true},
		{spec: "offline", offline: true},
		{spec: " Offline ", offline: true},
		{spec: "openai:gpt-4o-mini", env: map[string]string{"OPENAI_API_KEY": "sk-1"},
			want: "*llm.OpenAI", wantCfg: Config{Model: "gpt-4o-mini", APIKey: "sk-1", BaseURL: DefaultOpenAIBaseURL}},
		{spec: "openai:llama3.1:8b", env: map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1/"},
			want: "*llm.OpenAI", wantCfg: Config{Model: "llama3.1:8b", BaseURL: "http://localhost:11434/v1"}},
		{spec: "OpenAI:gpt-4o", env: map[string]string{"OPENAI_API_KEY": "sk-1", "OPENAI_BASE_URL": "https://openrouter.ai/api/v1"},
			want: "*llm.OpenAI", wantCfg: Config{Model: "gpt-4o", APIKey: "sk-1", BaseURL: "https://openrouter.ai/api/v1"}},
		{spec: "openai:gpt-4o-mini", env: map[string]string{},
			wantErr: "ACUERDO_MODEL=openai:gpt-4o-mini needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)"},
		{spec: "anthropic:claude-3-5-haiku-latest", env: map[string]string{"ANTHROPIC_API_KEY": "sk-ant"},
			want: "*llm.Anthropic", wantCfg: Config{Model: "claude-3-5-haiku-latest", APIKey: "sk-ant", BaseURL: DefaultAnthropicBaseURL}},
		{spec: "anthropic:claude-3-5-haiku-latest", env: map[string]string{"OPENAI_API_KEY": "sk-1"},
			wantErr: "ACUERDO_MODEL=anthropic:claude-3-5-haiku-latest needs ANTHROPIC_API_KEY"},
		{spec: "gemini:gemini-2.0-flash", env: map[string]string{"GOOGLE_API_KEY": "g"},
			want: "*llm.Gemini", wantCfg: Config{Model: "gemini-2.0-flash", APIKey: "g", BaseURL: DefaultGeminiBaseURL}},
		{spec: "gemini:gemini-2.5-flash", env: map[string]string{"GOOGLE_API_KEY": "g", "GEMINI_BASE_URL": "https://proxy.example/v1beta/openai/"},
			want: "*llm.Gemini", wantCfg: Config{Model: "gemini-2.5-flash", APIKey: "g", BaseURL: "https://proxy.example/v1beta/openai"}},
		{spec: "gemini:gemini-2.0-flash", wantErr: "needs GOOGLE_API_KEY"},
		{spec: "mistral:large", wantErr: `unknown provider "mistral": use offline, openai:MODEL, anthropic:MODEL or gemini:MODEL`},
		{spec: "gpt-4o-mini", wantErr: `unknown provider "gpt-4o-mini"`},
		{spec: "openai:", wantErr: "no model name: write it as openai:MODEL, e.g. openai:gpt-4o-mini"},
		{spec: "anthropic", wantErr: "no model name"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			m, err := FromSpec(tt.spec, getenv)
			switch {
			case tt.offline:
				if !errors.Is(err, ErrOffline) || m != nil {
					t.Fatalf("got %v, %v; want ErrOffline", m, err)
				}
				return
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if m != nil {
					t.Errorf("model = %#v with an error", m)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if got := reflect.TypeOf(m).String(); got != tt.want {
				t.Fatalf("type = %s, want %s", got, tt.want)
			}
			var cfg Config
			switch m := m.(type) {
			case *OpenAI:
				cfg = m.cfg
			case *Anthropic:
				cfg = m.cfg
			case *Gemini:
				cfg = m.cfg
			}
			if cfg.Model != tt.wantCfg.Model || cfg.APIKey != tt.wantCfg.APIKey || cfg.BaseURL != tt.wantCfg.BaseURL {
				t.Errorf("config model=%q key=%q base=%q, want %+v", cfg.Model, cfg.APIKey, cfg.BaseURL, tt.wantCfg)
			}
		})
	}
}

// TestFromSpecOptions builds a working model from a spec and runs it against a
// fake, as cmd would with a test server.
func TestFromSpecOptions(t *testing.T) {
	f := newFakeServer(t, messagesPath, reply{body: `{"content":[{"type":"text","text":"hola"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}`})
	m, err := FromSpec("anthropic:claude-3-5-haiku-latest", func(string) string { return "k" },
		WithBaseURL(f.URL+"/v1"), WithTimeout(DefaultTimeout), WithMaxRetries(-1), WithHTTPClient(f.Client()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Generate(context.Background(), agent.Request{Messages: []agent.Message{{Role: agent.RoleUser, Content: "hola"}}})
	if err != nil || got.Content != "hola" {
		t.Fatalf("got %+v, %v", got, err)
	}
	if a := m.(*Anthropic); a.cfg.MaxRetries != 0 {
		t.Errorf("MaxRetries = %d, want 0 after WithMaxRetries(-1)", a.cfg.MaxRetries)
	}
}
