package eval

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/policy"
	"acuerdo/store"
)

// TestOfflineEnginePassesEveryScenario is the promise the shipped scenarios
// make: the offline engine, the default model and every LLM's fallback, passes
// all of them.
func TestOfflineEnginePassesEveryScenario(t *testing.T) {
	ss, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) < 40 {
		t.Fatalf("%d scenarios shipped, want at least 40", len(ss))
	}
	perLocale := map[string]int{}
	for _, s := range ss {
		perLocale[s.Locale]++
	}
	for _, l := range []string{"es", "pt-BR", "en"} {
		if perLocale[l] < 10 {
			t.Errorf("%d scenarios in %s, want at least 10 per locale", perLocale[l], l)
		}
	}
	for i, s := range ss {
		// Under the race detector every scenario costs ten times as much;
		// there the generated categories (real_*) are sampled, one in four,
		// and scripts/test runs every shipped scenario through the binary
		// without it.
		if raceEnabled && strings.HasPrefix(s.Category(), "real_") && i%4 != 0 {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			r := Run(context.Background(), s, Options{Dir: t.TempDir()})
			if !r.Passed() {
				var b bytes.Buffer
				r.Write(&b, true)
				t.Errorf("%s:\n%s", s.File, b.String())
			}
		})
	}
}

const anaDebtor = `
now: 2026-03-10T10:00:00-05:00
debtor:
  phone: "+573001110001"
  name: Ana María Gómez
  document: "1020304050"
  country: CO
  accounts:
    - {ref: CR-1001, balance: "850000", installment: "120000", due_date: 2026-03-20, days_past_due: 45}
`

func parseOne(t *testing.T, text string) *Scenario {
	t.Helper()
	ss, err := Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return ss[0]
}

// TestFailuresAreReported makes sure the checks can fail: a scenario whose every
// expectation is wrong must report each one, saying what was seen instead.
func TestFailuresAreReported(t *testing.T) {
	s := parseOne(t, `name: wrong
locale: es`+anaDebtor+`messages:
  - text: hola
    expect:
      tools: [lookup_debt]
      no_tools: [verify_identity]
      replies: 5
      contains: ["cárcel"]
      absent: ["Hola"]
      starts_with: "Hola"
      matches: ['\d{9}']
      not_matches: ['acuerdo demo']
      handler: llm
      max_chars: 10
  - text: "4050"
    expect:
      outcomes: [{tool: verify_identity, outcome: refused}]
      state:
        verified: false
        escalated: true
        due_date: {date: 2026-04-01}
        paused_until: {date: 2026-04-01}
        promise: {amount: "100000", date: 2026-03-15}
        plan_accepted: {installments: 3}
  - text: "1"
    expect:
      state: {opted_out: true}
expect:
  replies: 0
  state: {nothing_changed: true}
`)
	r := Run(context.Background(), s, Options{Dir: t.TempDir()})
	if r.Passed() || r.Err != nil {
		t.Fatalf("passed=%v err=%v", r.Passed(), r.Err)
	}
	want := []string{
		`message 1 "hola": tools: lookup_debt was not called`,
		"replies: 2, want exactly 5",
		`contains: no reply says "cárcel"`,
		`absent: a reply says "Hola"`,
		`starts_with: the first reply does not start with "Hola"`,
		`matches: no reply matches \d{9}`,
		`not_matches: a reply matches acuerdo demo`,
		"handler: offline answered, want llm",
		"max_chars: a reply has",
		`message 2 "4050": outcomes: no verify_identity refused (audit: verify_identity allowed by identity_verified, lookup_debt allowed by allowed)`,
		"state.verified: true, want false",
		"state.escalated: false, want true",
		"state.due_date: CR-1001 is 2026-03-20, want 2026-04-01",
		"state.paused_until: CR-1001 is none, want 2026-04-01",
		"state.promise: no promise of 100000 on 2026-03-15 for CR-1001 (promises: none)",
		"state.plan_accepted: no 3-installment plan accepted for CR-1001 (none)",
		`message 3 "1": state.opted_out: false, want true`,
		"conversation: replies: 6, want exactly 0",
	}
	got := strings.Join(r.Failures, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing failure %q in:\n%s", w, got)
		}
	}
	if strings.Contains(got, "no_tools") {
		// verify_identity ran on message 2, not message 1.
		t.Errorf("message 1 did not call verify_identity:\n%s", got)
	}

	var b bytes.Buffer
	r.Write(&b, false)
	if out := b.String(); !strings.HasPrefix(out, "FAIL wrong (es, 3 messages,") || !strings.Contains(out, "model calls per message: [0 0 0]") {
		t.Errorf("report:\n%s", out)
	}
	if sum := Summary([]Result{r, {Scenario: s}}); sum != "1 passed, 1 failed" {
		t.Errorf("summary %q", sum)
	}
}

// TestNothingChangedSeesChanges runs a date change and checks that
// nothing_changed names it.
func TestNothingChangedSeesChanges(t *testing.T) {
	s := parseOne(t, `name: changed
locale: es`+anaDebtor+`messages:
  - {text: hola}
  - {text: "4050"}
  - {text: "6"}
  - {text: 25/03/2026}
  - {text: sí}
expect:
  state: {nothing_changed: true}
`)
	r := Run(context.Background(), s, Options{Dir: t.TempDir()})
	got := strings.Join(r.Failures, "\n")
	if !strings.Contains(got, "propose_date_change was allowed") || !strings.Contains(got, "CR-1001's due date moved from 2026-03-20 to 2026-03-25") {
		t.Errorf("failures:\n%s (err %v)", got, r.Err)
	}
}

// scripted is a model that answers from a script, for checking what the
// runner reports of model turns: calls, tokens, promises.
type scripted struct {
	mu    sync.Mutex
	resps []agent.Response
}

func (m *scripted) Generate(context.Context, agent.Request) (agent.Response, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.resps) == 0 {
		return agent.Response{Content: "Gracias.", Usage: agent.Usage{PromptTokens: 10}}, nil
	}
	r := m.resps[0]
	m.resps = m.resps[1:]
	return r, nil
}

func TestModelTurnsAndPromises(t *testing.T) {
	s := parseOne(t, `name: promise
locale: es`+anaDebtor+`messages:
  - text: mi cédula termina en 4050 y pagaré 200.000 el 20 de marzo
    expect:
      handler: llm
      tools: [verify_identity, record_promise_to_pay]
      state:
        verified: true
        promise: {amount: "200000", date: 2026-03-20}
  - text: gracias
expect:
  state:
    promise: {account: CR-1001, date: 2026-03-20}
`)
	model := &scripted{resps: []agent.Response{
		{ToolCalls: []agent.ToolCall{
			{ID: "1", Name: "verify_identity", Arguments: `{"document_last4":"4050"}`},
			{ID: "2", Name: "record_promise_to_pay", Arguments: `{"amount":"200000","date":"2026-03-20"}`},
		}, Usage: agent.Usage{PromptTokens: 1200}},
		{Content: "Anotado, Ana. Te recordaré antes de la fecha.", Usage: agent.Usage{PromptTokens: 1500}},
	}}
	wire := func(_ context.Context, db *store.DB, clock acuerdo.Clock) (*agent.Agent, func(), error) {
		return NewAgent(db, clock, model, policy.Default(), nil), func() {}, nil
	}
	r := Run(context.Background(), s, Options{Wire: wire, Dir: t.TempDir()})
	if !r.Passed() {
		var b bytes.Buffer
		r.Write(&b, true)
		t.Fatal(b.String())
	}
	if r.Turns[0].ModelCalls != 2 || r.Turns[0].PromptTokens != 2700 || r.Turns[1].ModelCalls != 1 || r.Turns[1].PromptTokens != 10 {
		t.Errorf("turns: %+v", r.Turns)
	}
	var b bytes.Buffer
	r.Write(&b, false)
	if !strings.Contains(b.String(), "model calls per message: [2 1]  prompt tokens per message: [2700 10]") {
		t.Errorf("report:\n%s", b.String())
	}
}
