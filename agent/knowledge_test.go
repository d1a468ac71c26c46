package agent_test

import (
	"context"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/kb"
	"acuerdo/store"
)

// withKB gives the agent the sample creditor's documents (kb/testdata/docs:
// es, pt-BR and en).
func withKB(t testing.TB) func(*agent.Config) {
	return func(c *agent.Config) {
		db := c.Store.(*store.DB)
		docs, err := kb.LoadDir("../kb/testdata/docs", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceKnowledge(context.Background(), docs); err != nil {
			t.Fatal(err)
		}
		c.Knowledge = kb.NewSearcher(db)
	}
}

func (f *fixture) sayFrom(t testing.TB, phone, text string) agent.Result {
	t.Helper()
	res, err := f.agent.Converse(context.Background(), acuerdo.ChannelSandbox, phone, agent.Inbound{Text: text})
	if err != nil {
		t.Fatalf("turn %q: %v", text, err)
	}
	return res
}

func TestKnowledgeOffline(t *testing.T) {
	f := setupWith(t, nil, withKB(t))
	// The debtor, not verified yet, asks where to pay: the creditor's words
	// and their source, nothing of the account.
	res := f.say(t, "¿Dónde puedo pagar?")
	reply := strings.Join(res.Replies, "\n")
	if res.Handler != agent.HandledKnowledge || len(res.Tools) != 0 ||
		!strings.Contains(reply, "• En línea por PSE") ||
		!strings.Contains(reply, "📄 Fuente: Preguntas frecuentes de Financiera Andina › ¿Dónde puedo pagar mi cuota?") ||
		strings.Contains(reply, "1.234.567") || strings.Contains(reply, "José") {
		t.Fatalf("%+v", res)
	}
	// An account question is still the dialogue's (it asks who they are).
	if res := f.say(t, "¿cuánto debo?"); res.Handler == agent.HandledKnowledge {
		t.Fatalf("balance question answered from the documents: %+v", res)
	}
	// The documents are silent: said honestly, with the offer of a person.
	res = f.say(t, "¿aceptan bitcoin?")
	if res.Handler != agent.HandledKnowledge || !strings.Contains(res.Replies[0], "No tengo esa información en los documentos de Acuerdo Demo") ||
		!strings.Contains(res.Replies[0], "«persona»") || res.Escalated {
		t.Fatalf("silent: %+v", res)
	}
	if res := f.say(t, "persona"); !res.Escalated {
		t.Fatalf("accepting the offer: %+v", res)
	}
	kbLines := findAudit(f.audit(t), acuerdo.AuditGuard, "knowledge")
	if len(kbLines) != 2 || kbLines[0].Rule != "kb_answer" || !strings.Contains(kbLines[0].Detail, `"document":"preguntas-frecuentes.es.md"`) || kbLines[1].Rule != "kb_no_answer" {
		t.Fatalf("audit %+v", kbLines)
	}
}

// Numbers outside the portfolio get answers too, in the language they write.
func TestKnowledgeUnknownNumber(t *testing.T) {
	f := setupWith(t, nil, withKB(t))
	for _, c := range []struct{ phone, text, want, source string }{
		{"+573009990001", "hola, ¿a qué hora atienden?", "lunes a viernes de 7:00", "📄 Fuente: Preguntas frecuentes de Financiera Andina › ¿Cuál es el horario de atención?"},
		{"+5511999990002", "onde posso pagar?", "Pix", "📄 Fonte: Perguntas frequentes — Financeira Andina Brasil › Onde posso pagar minha parcela?"},
		{"+15550000003", "how long does a payment take to post?", "within two business days", "📄 Source: Andina Finance — Frequently asked questions › How long does a payment take to post?"},
	} {
		res := f.sayFrom(t, c.phone, c.text)
		reply := strings.Join(res.Replies, "\n")
		if res.Handler != agent.HandledKnowledge || !strings.Contains(reply, c.want) || !strings.Contains(reply, c.source) {
			t.Errorf("%s: %+v", c.text, res)
		}
	}
	res := f.sayFrom(t, "+15550000003", "do you have an office in Miami?")
	if !strings.Contains(res.Replies[0], "I don't have that information") || !strings.Contains(res.Replies[0], `"person"`) {
		t.Fatalf("silent, en: %+v", res)
	}
	if res := f.sayFrom(t, "+15550000003", "person"); !res.Escalated {
		t.Fatalf("accepting the offer: %+v", res)
	}
	// A greeting alone is not a question: the usual welcome.
	if res := f.sayFrom(t, "+573009990004", "hola"); res.Handler == agent.HandledKnowledge {
		t.Fatalf("greeting: %+v", res)
	}
}

// A verified debtor asking for the link gets one; asking where to pay gets
// the documents; a question in English switches the answer's language.
func TestKnowledgeVerified(t *testing.T) {
	f := setupWith(t, nil, withKB(t))
	f.say(t, "hola")
	if res := f.say(t, "4050"); !strings.Contains(strings.Join(res.Tools, ","), "verify_identity") {
		t.Fatalf("verify: %+v", res)
	}
	if res := f.say(t, "¿me mandas el link de pago?"); res.Handler == agent.HandledKnowledge || !strings.Contains(strings.Join(res.Tools, ","), "send_payment_link") {
		t.Fatalf("link: %+v", res)
	}
	if res := f.say(t, "¿puedo pagar en efecty?"); res.Handler != agent.HandledKnowledge || !strings.Contains(res.Replies[0], "Efecty y Baloto") {
		t.Fatalf("where: %+v", res)
	}
	// Questions about their own account stay with the tools, however the
	// documents might match them.
	for _, q := range []string{"¿cuándo vence mi cuota?", "¿ya les llegó mi pago?", "¿puedo pagar la mitad?", "¿cuánto me falta por pagar?"} {
		if res := f.say(t, q); res.Handler == agent.HandledKnowledge {
			t.Errorf("%s answered from the documents: %+v", q, res)
		}
	}
	res := f.say(t, "what are your hours?")
	if res.Handler != agent.HandledKnowledge || !strings.Contains(strings.Join(res.Replies, "\n"), "Monday to Friday, 8 am to 9 pm") {
		t.Fatalf("english: %+v", res)
	}
}

// With a model, the passages go into its context and it quotes them by
// placeholder; code fills the passage and the source. A reply that quotes
// none becomes the honest answer; a silent question never reaches the model.
func TestKnowledgeModel(t *testing.T) {
	f := setupWith(t, nil, withKB(t),
		step{content: "¡Claro! Estos son los medios de pago: {{kb1}}"},
		step{content: "Puedes pagar en cualquier banco del país."},
	)
	res := f.say(t, "¿dónde puedo pagar?")
	reply := strings.Join(res.Replies, "\n")
	if res.Handler != agent.HandledLLM || !strings.Contains(reply, "¡Claro! Estos son los medios de pago:") || !strings.Contains(reply, "convenio 87654") ||
		!strings.Contains(reply, "📄 Fuente: Preguntas frecuentes de Financiera Andina › ¿Dónde puedo pagar mi cuota?") {
		t.Fatalf("quoted: %+v", res)
	}
	sys := f.fake.requests[0]["messages"].([]any)[0].(map[string]any)["content"].(string)
	if !strings.Contains(sys, "{{kb1}} (Preguntas frecuentes de Financiera Andina › ¿Dónde puedo pagar mi cuota?)") || !strings.Contains(sys, "Answer the question only from these passages") {
		t.Fatalf("system prompt lacks the passages: %s", sys)
	}
	res = f.say(t, "¿cuáles son los medios de pago?")
	if res.Handler != agent.HandledKnowledge || !strings.Contains(res.Replies[0], "No tengo esa información") {
		t.Fatalf("uncited: %+v", res)
	}
	res = f.say(t, "¿venden seguros de carro?")
	if res.Handler != agent.HandledKnowledge || res.ModelCalls != 0 || !strings.Contains(res.Replies[0], "No tengo esa información") {
		t.Fatalf("silent: %+v", res)
	}
	if f.fake.remaining() != 0 {
		t.Fatal("script left over")
	}
	var rules []string
	for _, e := range findAudit(f.audit(t), acuerdo.AuditGuard, "knowledge") {
		rules = append(rules, e.Rule)
	}
	if strings.Join(rules, ",") != "kb_answer,kb_uncited,kb_no_answer" {
		t.Fatalf("audit rules %v", rules)
	}
}
