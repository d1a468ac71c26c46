package agent

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"acuerdo"
	"acuerdo/kb"
	"acuerdo/prompts"
	"acuerdo/understand"
)

// Knowledge finds the passages of the creditor's own documents (FAQ,
// policies) that answer a question; package kb's Searcher is one.
type Knowledge interface {
	Search(ctx context.Context, question, locale string, limit int) ([]acuerdo.KnowledgeHit, error)
	// Empty reports whether there are no documents at all: then questions
	// go to the dialogue as before, instead of an "I don't know".
	Empty(ctx context.Context) (bool, error)
}

// HandledKnowledge says a turn was answered from the creditor's documents
// (or with the honest "I don't have that information").
const HandledKnowledge = "knowledge"

// kbPassages is how many passages a model is shown for one question.
const kbPassages = 3

// Answers from the creditor's documents. Anyone may ask — a debtor before
// or after verifying, a number outside the portfolio — since the documents
// are what the creditor publishes; no account fact is ever looked up for
// it. Code decides whether the documents answer (kb.Threshold on the
// retrieval's confidence), and code renders the passage and names its
// source. Without a model the best passage is the answer; with one, the
// passages go into its context and it may only quote them through the
// placeholders {{kb1}}…{{kb3}}, which code fills; a reply that quotes
// none is replaced by the honest answer. When the documents are silent
// the answer is "I don't have that information" and the offer of a person
// ("persona" escalates, like anywhere else): never a guess.

// askable reports whether the message is a question for the documents
// rather than one about the debtor's own account, which the dialogue and
// the tools answer. A number outside the portfolio has no account: any
// message of substance goes to the documents.
func (a *Agent) askable(t *turn) bool {
	text := t.in.Text
	if len(t.in.Media) > 0 || strings.TrimSpace(text) == "" {
		return false
	}
	r := t.read
	question := kb.IsQuestion(text) && len(strings.Fields(text)) >= 2
	// An intent the lexicons found is what the message says; one only the
	// classifier guessed ("what are your hours?" read as options) may be a
	// question for the documents, which then decide.
	lexical := slices.Contains(r.Also, r.Intent) || r.Score >= 1
	switch r.Intent {
	case understand.Menu:
		return false
	case understand.Language:
		if r.SwitchTo != "" || lexical {
			return false
		}
	case understand.Greeting, understand.Thanks, understand.Yes, understand.No:
		// "hola", "sí", "gracias"; but "hola, ¿a qué hora atienden?" and
		// "¿aceptan bitcoin?" (read as a yes) are questions.
		if !question {
			return false
		}
	}
	if t.debtor == nil {
		return question || len(strings.Fields(text)) >= 3
	}
	if !question || len(r.Dates) > 0 || len(r.Amounts) > 0 || r.Installments > 0 || r.Days > 0 {
		// "¿puedo pagar el 15?" is about this debtor's account.
		return false
	}
	words := acuerdo.FoldWords(text)
	if payWhere.MatchString(words) {
		// "¿Dónde puedo pagar?" asks about the ways to pay; "mándame el
		// link" asks for one, which the tools make.
		return true
	}
	if ownAccount.MatchString(words) {
		// "¿cuándo vence mi cuota?", "¿ya les llegó mi pago?": this
		// debtor's account, which only the tools know.
		return false
	}
	switch r.Intent {
	case understand.Balance, understand.PayLink, understand.DateChange, understand.Pause, understand.Plan, understand.Promise,
		understand.PaymentRep, understand.Callback, understand.Options, understand.Human:
		return !lexical
	}
	return true
}

// dialogueKnows reports whether the dialogue has its own answer for what a
// debtor asked when the documents are silent: the link for "¿dónde pago?",
// the policy's words on discounts and interest.
func dialogueKnows(t *turn) bool {
	if t.debtor == nil {
		return false
	}
	switch t.read.Intent {
	case understand.Interest, understand.Discount:
		return true
	}
	return payWhere.MatchString(acuerdo.FoldWords(t.in.Text))
}

// payWhere is a question about where or how one pays, not a request to pay:
// a place or a means ("¿dónde?", "¿en Efecty?", "¿con tarjeta?"), not an
// amount or a date ("¿puedo pagar la mitad?" is about the account).
var payWhere = regexp.MustCompile(`\b(donde|onde|where|medios|metodos|formas|meios|methods|ways)\b|` +
	`\b(pagar|pago|pay|consignar|depositar)\b.*\b(efectivo|cash|tarjeta|cartao|card|credit|debit|debito|pix|boleto|efecty|baloto|pse|banco|bank|loterica|corresponsal|transferencia|transfer|online|en linea|linea)\b`)

// ownAccount marks a question about the asker's own account: "mi cuota",
// "meu contrato", "my balance", "¿cuánto debo?".
var ownAccount = regexp.MustCompile(`\b(mi|mis|meu|minha|meus|minhas|my|debo|devo|owe|me falta|falta pagar)\b`)

// knowledge answers a question from the documents. handled is true when the
// turn's replies are decided; with a model and passages that answer, the
// passages are kept on the turn for the model (t.kb) and handled is false.
func (a *Agent) knowledge(ctx context.Context, t *turn, model bool) (bool, error) {
	if a.cfg.Knowledge == nil || !a.askable(t) {
		return false, nil
	}
	empty, err := a.cfg.Knowledge.Empty(ctx)
	if err != nil || empty {
		return false, err
	}
	hits, err := a.cfg.Knowledge.Search(ctx, t.in.Text, prompts.Locale(t.locale), kbPassages)
	if err != nil {
		return false, err
	}
	var good []acuerdo.KnowledgeHit
	for _, h := range hits {
		if h.Score >= kb.Threshold {
			good = append(good, h)
		}
	}
	if len(good) == 0 {
		// The documents are silent. Say so for a question; a statement (from
		// a number outside the portfolio) gets the usual welcome, and what
		// the dialogue has its own answer for goes to it.
		if !kb.IsQuestion(t.in.Text) || dialogueKnows(t) {
			return false, nil
		}
		var best *acuerdo.KnowledgeHit
		if len(hits) > 0 {
			best = &hits[0]
		}
		if err := a.kbAudit(ctx, t, "kb_no_answer", best); err != nil {
			return true, err
		}
		t.res.Handler = HandledKnowledge
		t.reply(prompts.T(t.locale, "kb_no_answer", "{creditor}", a.cfg.Policy.CreditorName))
		a.afterKnowledge(t)
		return true, nil
	}
	if model {
		t.kb = good
		return false, nil
	}
	if err := a.kbAudit(ctx, t, "kb_answer", &good[0]); err != nil {
		return true, err
	}
	t.res.Handler = HandledKnowledge
	t.reply(kbAnswer(t.locale, good[0]))
	a.afterKnowledge(t)
	return true, nil
}

// afterKnowledge leaves a number outside the portfolio where "1" or
// "persona" reaches a person, as its first reply says.
func (a *Agent) afterKnowledge(t *turn) {
	if t.debtor == nil {
		main, x := splitState(t.conv.State)
		if main == stepNew {
			t.conv.State = joinState(stepUnknown, x)
		}
	}
}

// kbAudit records which passage answered (or that none did), with its
// confidence, so an admin can see what the documents are asked and miss.
func (a *Agent) kbAudit(ctx context.Context, t *turn, rule string, h *acuerdo.KnowledgeHit) error {
	detail := map[string]any{}
	if h != nil {
		detail = map[string]any{"document": h.Doc.Name, "heading": h.Passage.Heading, "passage": h.Passage.ID, "score": float64(int(h.Score*100)) / 100}
	}
	b, _ := json.Marshal(detail)
	e := a.guardEntry(t, "knowledge", acuerdo.Allowed, rule)
	e.Detail = string(b)
	return a.audit(ctx, t, e)
}

// maxQuote bounds a quoted passage, in characters: with its source it must
// fit one WhatsApp message.
const maxQuote = 1200

// kbAnswer renders a passage as the answer: the creditor's words as they
// wrote them, and where they come from, in the debtor's language (the
// passage stays in its own).
func kbAnswer(locale string, h acuerdo.KnowledgeHit) string {
	passage := h.Passage.Text
	if utf8.RuneCountInString(passage) > maxQuote {
		passage = clip(passage, maxQuote)
	}
	src := kbSource(h)
	if l := h.Doc.Lang; l != "" && l != prompts.Locale(locale) {
		return prompts.T(locale, "kb_answer_other_language", "{language}", prompts.T(locale, "kb_language_"+l), "{passage}", passage, "{source}", src)
	}
	return prompts.T(locale, "kb_answer", "{passage}", passage, "{source}", src)
}

// kbSource names a passage's source: the document's title and the
// section's own heading.
func kbSource(h acuerdo.KnowledgeHit) string {
	src := h.Doc.Title
	if src == "" {
		src = h.Doc.Name
	}
	head := h.Passage.Heading
	if i := strings.LastIndex(head, "›"); i >= 0 {
		head = strings.TrimSpace(head[i+len("›"):])
	}
	if head != "" {
		src += " › " + head
	}
	return src
}

// kbContext adds the passages to the model's instructions and their quotes
// to the placeholders it may use: the model chooses which passage answers
// and words around it; the passage itself and its source are code's.
func kbContext(t *turn, facts namedFacts) string {
	var b strings.Builder
	b.WriteString("\n\nThe person asked something the creditor's own documents answer. Passages from those documents:\n")
	for i, h := range t.kb {
		name := "kb" + string(rune('1'+i))
		facts[name] = factValue{text: kbAnswer(t.locale, h)}
		b.WriteString("{{" + name + "}} (" + kbSource(h) + "): " + strings.ReplaceAll(clip(h.Passage.Text, 600), "\n", " ") + "\n")
	}
	b.WriteString("Answer the question only from these passages: write the placeholder of the passage that answers (e.g. {{kb1}}) where it goes; code puts in the passage and its source. " +
		"Add at most one short sentence of your own, with no fact that is not in the passage. If none of them answers the question, say you don't have that information and offer a person. " +
		"These are general documents: they say nothing about this person's account.")
	return b.String()
}

// kbCited keeps a model's answer only if it quotes a passage; otherwise, and
// when no tool ran (the model did something else the person asked for), the
// reply becomes the honest "I don't have that information": an answer to a
// question about the documents that cites none of them is a guess.
func (a *Agent) kbCited(ctx context.Context, t *turn) error {
	if len(t.res.Tools) > 0 {
		return nil
	}
	for _, r := range t.res.Replies {
		for _, h := range t.kb {
			if strings.Contains(r, kbSource(h)) {
				return a.kbAudit(ctx, t, "kb_answer", &h)
			}
		}
	}
	t.res.Replies = nil
	t.res.Handler = HandledKnowledge
	t.reply(prompts.T(t.locale, "kb_no_answer", "{creditor}", a.cfg.Policy.CreditorName))
	a.afterKnowledge(t)
	return a.kbAudit(ctx, t, "kb_uncited", &t.kb[0])
}
