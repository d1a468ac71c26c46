package agent_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/prompts"
)

// modelReplies reads a corpus of invented model replies shared with the
// policy package's tests.
func modelReplies(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "policy", "testdata", "model_replies", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// toolsThatFillEverything verifies José and runs every tool that produces a
// placeholder's value, so any placeholder a reply uses can be filled.
var toolsThatFillEverything = []step{
	{calls: []call{{"verify_identity", `{"document_last4":"4050"}`}, {"lookup_debt", `{}`},
		{"send_payment_link", `{"scope":"total"}`}, {"offer_payment_plan", `{"installments":3}`}}},
	{calls: []call{{"propose_date_change", `{"new_date":"2026-12-20"}`}, {"propose_pause", `{"days":7}`},
		{"record_promise_to_pay", `{"amount":"100000","date":"2026-11-30"}`}}},
}

// An OpenAI-compatible model that invents content: each of the adversarial
// corpus's replies (amounts in words and digits, dates, percentages and
// discounts, deadlines, threats, threats to contact employers, neighbours or
// family, links, and each disguised) is served by the fake through the real
// go-openai client, after the tools produced every fact. The reply and its
// regeneration (the next reply of the corpus) both fail, so the debtor gets
// the safe reply and a person gets the case: none reaches the debtor.
func TestAdversarialModelReplies(t *testing.T) {
	bad := modelReplies(t, "adversarial.txt")
	if len(bad) < 100 {
		t.Fatalf("only %d adversarial replies", len(bad))
	}
	safe := prompts.T("es", "safe_reply")
	for i, reply := range bad {
		regen := bad[(i+1)%len(bad)]
		script := append(append([]step(nil), toolsThatFillEverything...), step{content: reply}, step{content: regen})
		f := setupTimeout(t, 10*time.Second, script...)
		res := f.say(t, "hola, mi cédula termina en 4050, ¿cuánto debo?")
		if f.fake.remaining() != 0 {
			t.Fatalf("%q: %d scripted answers unused", reply, f.fake.remaining())
		}
		for _, r := range res.Replies {
			if strings.Contains(r, reply) || strings.Contains(r, regen) || !strings.HasSuffix(r, safe) {
				t.Errorf("reached the debtor: %q (reply %q)", r, reply)
			}
		}
		if len(res.Replies) != 1 || !res.Escalated {
			t.Errorf("%q: result %+v", reply, res)
		}
		if checks := findAudit(f.audit(t), acuerdo.AuditGuard, "output_check"); len(checks) != 2 {
			t.Errorf("%q: %d output checks", reply, len(checks))
		}
	}
}

// Good replies, facts only as placeholders, reach the debtor with the facts
// filled by code. The share refused is the false-refusal rate.
func TestGoodModelRepliesPass(t *testing.T) {
	good := modelReplies(t, "good.txt")
	refused := 0
	for _, reply := range good {
		script := append(append([]step(nil), toolsThatFillEverything...), step{content: reply}, step{content: "unused"})
		f := setupTimeout(t, 10*time.Second, script...)
		res := f.say(t, "hola, mi cédula termina en 4050")
		if res.Handler != agent.HandledLLM || len(res.Replies) == 0 || res.Escalated {
			refused++
			t.Logf("refused %q: %+v", reply, res.Refusals)
			continue
		}
		out := strings.Join(res.Replies, "\n")
		if testing.Verbose() && strings.Contains(reply, "{{plan}}") {
			t.Logf("%s", out)
		}
		if strings.Contains(out, "{{") || strings.Contains(out, "}}") {
			t.Errorf("unfilled placeholder in %q", out)
		}
		if strings.Contains(reply, "{{balance}}") && !strings.Contains(out, "$1.234.567") {
			t.Errorf("balance not filled in the debtor's format: %q", out)
		}
		if strings.Contains(reply, "{{pay_link}}") && !strings.Contains(out, "https://") {
			t.Errorf("link not filled: %q", out)
		}
	}
	rate := float64(refused) / float64(len(good))
	t.Logf("false refusals through the agent: %d of %d good replies (%.1f %%)", refused, len(good), 100*rate)
	if rate > 0.03 {
		t.Errorf("false-refusal rate %.1f %% is over 3 %%", 100*rate)
	}
}

// A placeholder no tool of the conversation produced, or an unknown one,
// fails like an invented fact; the retry names what is available.
func TestPlaceholderWithoutFact(t *testing.T) {
	f := setup(t,
		step{calls: []call{{"verify_identity", `{"document_last4":"4050"}`}}},
		step{content: "Tu saldo es {{balance}}."},
		step{content: "Tu saldo es {{saldo}}."},
	)
	res := f.say(t, "4050")
	if !res.Escalated || len(res.Replies) != 1 || strings.Contains(res.Replies[0], "{{") {
		t.Fatalf("result %+v", res)
	}
	reqs := f.fake.requests
	last := reqs[len(reqs)-1]["messages"].([]any)
	retry := last[len(last)-1].(map[string]any)["content"].(string)
	if !strings.Contains(retry, "no tool of this conversation produced {{balance}}") {
		t.Fatalf("retry message %q", retry)
	}
}

// Before verification no placeholder is filled, even with facts from an
// earlier (expired) verification in the conversation.
func TestPlaceholderNeedsVerification(t *testing.T) {
	f := setup(t,
		step{content: "Hola, tu saldo es {{balance}}."},
		step{content: "Hola, ¿me confirmas los últimos 4 dígitos de tu documento?"},
	)
	res := f.say(t, "hola")
	if res.Handler != agent.HandledLLM || len(res.Replies) != 1 || !strings.Contains(res.Replies[0], "4 dígitos") {
		t.Fatalf("result %+v", res)
	}
}
