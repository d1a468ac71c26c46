package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/tools"
)

// Store is what the agent needs of the database.
type Store interface {
	tools.Store
	DebtorByID(ctx context.Context, id int64) (acuerdo.Debtor, error)
	Conversation(ctx context.Context, channel, phone string) (acuerdo.Conversation, error)
	ConversationByID(ctx context.Context, id int64) (acuerdo.Conversation, error)
	RecordSatisfaction(ctx context.Context, c acuerdo.Conversation, rating int) error
	Messages(ctx context.Context, conversationID int64, limit int) ([]acuerdo.Message, error)
	AppendMessages(ctx context.Context, msgs ...acuerdo.Message) ([]acuerdo.Message, error)
}

// Config builds an Agent.
type Config struct {
	Store  Store
	Tools  *tools.Set
	Policy policy.Config
	// Model is the language model; nil runs the offline menu engine only.
	Model Model
	// Cost prices a model call in USD, when the price is known.
	Cost   func(u Usage, at time.Time) (float64, bool)
	Clock  acuerdo.Clock
	Logger *slog.Logger
	// MaxRounds caps the tool rounds of one LLM turn (default 4).
	MaxRounds int
	// History is how many stored messages the model sees (default 24).
	History int
}

// Agent runs turns.
type Agent struct {
	cfg Config
}

// New returns an agent.
func New(cfg Config) *Agent {
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxRounds <= 0 {
		cfg.MaxRounds = 4
	}
	if cfg.History <= 0 {
		cfg.History = 24
	}
	return &Agent{cfg: cfg}
}

// surveyStep is the state in which the satisfaction question waits (store.StepSurvey).
const surveyStep = "survey"

// rating reads an answer to the satisfaction question: one digit from 1 to 5,
// possibly with punctuation or stars around it.
func rating(text string) (int, bool) {
	digits := ""
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			digits += string(r)
		case r == ' ' || r == '.' || r == '!' || r == '*' || r == '⭐':
		default:
			return 0, false
		}
	}
	if len(digits) != 1 || digits < "1" || digits > "5" {
		return 0, false
	}
	return int(digits[0] - '0'), true
}

// verificationTTL is how long a verified identity holds.
const verificationTTL = 24 * time.Hour

// Inbound is what the debtor sent in this turn: the messages that arrived since
// the last turn, folded into one.
type Inbound struct {
	Text  string
	Media []string // receipt URLs (photos, PDFs)
	// Parts are the messages Text was folded from, when several arrived
	// while the previous turn ran; nil for one message. A model reads Text
	// whole; the menu engine also answers menu numbers the debtor typed
	// ahead (see offlineParts).
	Parts []string
}

// Handlers say who produced a turn's replies.
const (
	HandledGuard    = "guard"    // a rule in code, before any model
	HandledOffline  = "offline"  // the menu engine
	HandledLLM      = "llm"      // the language model
	HandledFallback = "fallback" // the model failed; the menu engine answered
	HandledPaused   = "paused"   // an operator has the conversation; no reply
)

// Result is one turn's outcome.
type Result struct {
	Replies      []string
	Handler      string
	ModelCalls   int
	PromptTokens int     // summed over the turn's model calls
	CostUSD      float64 // priced model calls of the turn
	Refusals     []string
	Tools        []string // tools called, in order
	Outcomes     []string // each tool call's outcome: allowed, refused or error
	Escalated    bool
	OptedOut     bool
}

// turn is the state of one turn in progress.
type turn struct {
	conv   acuerdo.Conversation
	debtor *acuerdo.Debtor
	locale string
	in     Inbound
	res    Result
	env    *tools.Env
}

// Turn answers the debtor's latest message in a conversation. The inbound message
// must already be stored (the engine stores it before acknowledging the webhook);
// the replies are returned for the caller to deliver, and the tool calls of the
// turn are stored as internal messages.
func (a *Agent) Turn(ctx context.Context, conversationID int64, in Inbound) (Result, error) {
	conv, err := a.cfg.Store.ConversationByID(ctx, conversationID)
	if err != nil {
		return Result{}, err
	}
	t := &turn{conv: conv, in: in}
	// Verification lasts a day: whoever holds the phone tomorrow proves it again.
	if conv.Verified && conv.VerifiedAt != nil && a.cfg.Clock().Sub(*conv.VerifiedAt) > verificationTTL {
		t.conv.Verified, t.conv.VerifiedAt, t.conv.State = false, nil, ""
	}
	if conv.DebtorID != 0 {
		d, err := a.cfg.Store.DebtorByID(ctx, conv.DebtorID)
		if err != nil {
			return Result{}, err
		}
		t.debtor = &d
	}
	t.locale = conv.Locale
	if t.locale == "" {
		if t.debtor != nil && t.debtor.Locale != "" {
			t.locale = t.debtor.Locale
		} else {
			t.locale = detectLocale(in.Text)
		}
		t.conv.Locale = t.locale
	}
	t.env = &tools.Env{Conv: &t.conv, Debtor: t.debtor, Media: in.Media}

	if handled, err := a.guards(ctx, t); err != nil || handled {
		return t.res, err
	}
	if a.cfg.Model != nil {
		ok, err := a.llmTurn(ctx, t)
		if err != nil {
			return t.res, err
		}
		if ok {
			return t.res, a.finish(ctx, t)
		}
		t.res.Handler = HandledFallback
	} else {
		t.res.Handler = HandledOffline
	}
	t.res.Replies = nil
	if err := a.offlineParts(ctx, t); err != nil {
		return t.res, err
	}
	return t.res, a.finish(ctx, t)
}

// offlineParts runs the menu engine on a folded turn. Folded messages are one
// text, except menu numbers typed ahead at the end ("4050", then "1" before
// the menu arrived): those are answered in order after the rest, so the
// debtor gets what they picked instead of having the "1" swallowed by the
// verification. Anything else stays one text, where answering part by part
// would only repeat questions ("hola" + "necesito ayuda").
func (a *Agent) offlineParts(ctx context.Context, t *turn) error {
	parts := t.in.Parts
	ahead := len(parts)
	for ahead > 1 && menuNumber(parts[ahead-1]) {
		ahead--
	}
	if ahead == len(parts) {
		return a.offline(ctx, t)
	}
	whole := t.in
	defer func() { t.in = whole }()
	t.in = Inbound{Text: strings.Join(parts[:ahead], "\n"), Media: whole.Media}
	if err := a.offline(ctx, t); err != nil {
		return err
	}
	for _, p := range parts[ahead:] {
		if t.conv.Paused || t.conv.OptedOut {
			return nil
		}
		t.in = Inbound{Text: p}
		if err := a.offline(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// menuNumber reports whether a message is just a menu option, 1 to 9.
func menuNumber(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) == 1 && s[0] >= '1' && s[0] <= '9'
}

// guards decide what must never depend on a model. They run first, every turn.
func (a *Agent) guards(ctx context.Context, t *turn) (bool, error) {
	text := t.in.Text
	switch {
	case t.conv.Paused:
		t.res.Handler = HandledPaused
		return true, a.guardAudit(ctx, t, "paused_conversation", acuerdo.Refused, "operator_has_conversation")
	case policy.IsOptOut(text):
		t.res.Handler = HandledGuard
		if t.conv.OptedOut {
			// Confirmed once already: a second STOP gets no message at all.
			return true, a.guardAudit(ctx, t, "opt_out_word", acuerdo.Allowed, "already_opted_out")
		}
		if err := a.call(ctx, t, tools.OptOut, `{}`); err != nil {
			return true, err
		}
		t.reply(prompts.T(t.locale, "optout_confirm"))
		return true, a.finish(ctx, t)
	}
	if t.conv.State == surveyStep {
		// The satisfaction question waits for one number; anything else means the
		// debtor moved on, and the conversation starts afresh.
		t.conv.State = ""
		if n, ok := rating(text); ok {
			t.res.Handler = HandledGuard
			if err := a.cfg.Store.RecordSatisfaction(ctx, t.conv, n); err != nil {
				return true, err
			}
			t.reply(prompts.T(t.locale, "survey_thanks"))
			return true, a.finish(ctx, t)
		}
	}
	if reason, ok := policy.DetectEscalation(text); ok {
		t.res.Handler = HandledGuard
		args, _ := json.Marshal(map[string]string{"reason": reason, "summary": prompts.T(t.locale, "escalation_summary", "{text}", clip(text, 300))})
		if err := a.call(ctx, t, tools.EscalateToHuman, string(args)); err != nil {
			return true, err
		}
		key := "escalated"
		if reason == acuerdo.ReasonHardship {
			key = "escalated_hardship"
		}
		t.reply(prompts.T(t.locale, key))
		return true, a.finish(ctx, t)
	}
	if policy.IsThirdParty(text) {
		t.res.Handler = HandledGuard
		// Whoever has the phone now is not the debtor: forget any verification and
		// answer without a word about the debt.
		t.conv.Verified, t.conv.VerifiedAt, t.conv.State = false, nil, ""
		if err := a.cfg.Store.SaveConversation(ctx, t.conv, a.guardEntry(t, "third_party", acuerdo.Allowed, "no_third_parties")); err != nil {
			return true, err
		}
		t.reply(prompts.T(t.locale, "third_party"))
		return true, nil
	}
	return false, nil
}

// call runs a tool for the turn, records it and folds its outcome into the turn.
func (a *Agent) call(ctx context.Context, t *turn, name, args string) error {
	r := a.callTool(ctx, t, "", name, args)
	if !r.OK && r.Rule == "tool_error" {
		return fmt.Errorf("tool %s failed", name)
	}
	return nil
}

// callTool runs one tool call and stores it as an internal message, so the model
// sees it in later turns and operators see it in the console.
func (a *Agent) callTool(ctx context.Context, t *turn, id, name, args string) tools.Result {
	r := a.cfg.Tools.Call(ctx, t.env, name, args)
	t.res.Tools = append(t.res.Tools, name)
	outcome := acuerdo.Allowed
	if !r.OK {
		t.res.Refusals = append(t.res.Refusals, r.Rule)
		outcome = acuerdo.Refused
		if r.Rule == "tool_error" {
			outcome = acuerdo.Failed
		}
	}
	t.res.Outcomes = append(t.res.Outcomes, outcome)
	t.res.Escalated = t.res.Escalated || r.Escalated
	t.res.OptedOut = t.res.OptedOut || r.OptedOut
	rec := toolRecord{ID: id, Name: name, Args: args, Result: r.JSON(), Facts: r.Facts}
	body, _ := json.Marshal(rec)
	if _, err := a.cfg.Store.AppendMessages(ctx, acuerdo.Message{ConversationID: t.conv.ID, Direction: acuerdo.Internal, Author: acuerdo.AuthorTool, Body: string(body), Status: acuerdo.MessageSent}); err != nil {
		a.cfg.Logger.Error("store tool record", "err", err)
	}
	return r
}

// toolRecord is a tool call and its result as stored in the conversation.
type toolRecord struct {
	ID     string      `json:"id,omitempty"`
	Name   string      `json:"name"`
	Args   string      `json:"args"`
	Result string      `json:"result"`
	Facts  tools.Facts `json:"facts,omitempty"`
}

func (t *turn) reply(s string) {
	if s = strings.TrimSpace(s); s != "" {
		t.res.Replies = append(t.res.Replies, s)
	}
}

func (a *Agent) guardEntry(t *turn, name, outcome, rule string) acuerdo.AuditEntry {
	return acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditGuard, Name: name, Outcome: outcome, Rule: rule}
}

func (a *Agent) guardAudit(ctx context.Context, t *turn, name, outcome, rule string) error {
	return a.cfg.Store.AppendAudit(ctx, a.guardEntry(t, name, outcome, rule))
}

// finish saves the conversation's state and adds the disclosures the law
// requires to the first reply of a session.
func (a *Agent) finish(ctx context.Context, t *turn) error {
	if len(t.res.Replies) > 0 {
		if first, err := a.firstOfSession(ctx, t); err != nil {
			return err
		} else if first {
			country := ""
			if t.debtor != nil {
				country = t.debtor.Country
			}
			if d := policy.Disclosure(country, t.locale, a.cfg.Policy); d != "" {
				t.res.Replies[0] = d + "\n" + t.res.Replies[0]
			}
		}
	}
	cur, err := a.cfg.Store.ConversationByID(ctx, t.conv.ID)
	if err != nil {
		return err
	}
	// Tools may have paused or opted out the conversation in their own
	// transactions; keep those flags, save the turn's own state.
	cur.Locale, cur.State = t.conv.Locale, t.conv.State
	cur.Verified, cur.VerifiedAt, cur.FailedChecks = t.conv.Verified, t.conv.VerifiedAt, t.conv.FailedChecks
	return a.cfg.Store.SaveConversation(ctx, cur)
}

// firstOfSession reports whether the bot has not written in the last 24 hours.
func (a *Agent) firstOfSession(ctx context.Context, t *turn) (bool, error) {
	msgs, err := a.cfg.Store.Messages(ctx, t.conv.ID, 50)
	if err != nil {
		return false, err
	}
	since := a.cfg.Clock().Add(-24 * time.Hour)
	for _, m := range msgs {
		if m.Direction == acuerdo.Outbound && m.CreatedAt.After(since) {
			return false, nil
		}
	}
	return true, nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// detectLocale guesses the language of a first message from someone whose
// language the portfolio does not give.
func detectLocale(text string) string {
	t := " " + strings.ToLower(text) + " "
	pt, en := 0, 0
	for _, w := range []string{"ã", "ç", "õ", " você", " obrigad", " olá", " oi ", " não", " quero", " boa tarde", " bom dia", " pagamento", " dívida"} {
		if strings.Contains(t, w) {
			pt++
		}
	}
	for _, w := range []string{" hi ", " hello", " the ", " my ", " i ", " i'm", " please", " thanks", " want", " pay ", " debt", " what", " how "} {
		if strings.Contains(t, w) {
			en++
		}
	}
	switch {
	case pt > en && pt > 0:
		return "pt-BR"
	case en > pt && en > 0:
		return "en"
	}
	return "es"
}
