package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/tools"
	"acuerdo/understand"
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
	RecordWrongNumber(ctx context.Context, conversationID, debtorID int64, audit ...acuerdo.AuditEntry) error
}

// variants is the part of a store that knows pilot arms: a debtor's arm may
// set the agent's mode (menu or model) and its prompt variant. A store
// without it runs every debtor the default way.
type variants interface {
	DebtorVariant(ctx context.Context, debtorID int64) (acuerdo.Variant, string, error)
}

// readVariant reads the debtor's pilot variant into the turn.
func (a *Agent) readVariant(ctx context.Context, t *turn) error {
	vs, ok := a.cfg.Store.(variants)
	if !ok || t.debtor == nil {
		return nil
	}
	v, _, err := vs.DebtorVariant(ctx, t.debtor.ID)
	t.variant = v
	return err
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
	// ModelBudget bounds the time one turn spends waiting for the model,
	// across all its calls and retries (default 45 s). When it is spent the
	// menu engine answers, so a hanging model still leaves the debtor with
	// one reply within a minute, and the turn ends well before the engine
	// would give up on it.
	ModelBudget time.Duration
	// Knowledge answers questions from the creditor's own documents; nil
	// (or no documents imported) leaves questions to the dialogue.
	Knowledge Knowledge
}

// DefaultModelBudget is ModelBudget's default.
const DefaultModelBudget = 45 * time.Second

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
	if cfg.ModelBudget <= 0 {
		cfg.ModelBudget = DefaultModelBudget
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
	// Conversation, when not nil, is the conversation as the caller read it
	// for this turn (the engine, with the turn's messages): the agent starts
	// from it instead of reading it again.
	Conversation *acuerdo.Conversation
	// Defer leaves the agent's own records of the turn (the conversation's
	// turn state, the tool-call messages, its audit lines) in Result.Writes,
	// for the caller to save with the turn's replies in one transaction that
	// lands only while the turn is still the caller's (the engine's
	// CompleteTurn). Without it the agent saves them as it goes, as it must
	// where nothing else would (the terminal chat, the sandbox, evals).
	// What the tools do (an opt-out, a promise, a case, a verification) is
	// written by them either way, in their own transactions: it stands
	// whatever becomes of the turn.
	Defer bool
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
	// Writes are the turn's records left for the caller to save, when it
	// asked for that (Inbound.Defer); zero otherwise.
	Writes acuerdo.TurnWrites
}

// turn is the state of one turn in progress.
type turn struct {
	conv   acuerdo.Conversation
	debtor *acuerdo.Debtor
	locale string
	in     Inbound
	read   understand.Reading // what the understanding layer made of in.Text
	// variant is the debtor's pilot arm's: its mode and prompt variant.
	variant acuerdo.Variant
	// switched says the conversation changed language this turn.
	switched bool
	res      Result
	env      *tools.Env
	// modelBy is when the turn's model budget runs out (real time, as
	// contexts' deadlines are).
	modelBy time.Time
	// kb are the passages of the creditor's documents that answer the
	// message, for the model to quote (knowledge.go).
	kb []acuerdo.KnowledgeHit
	// deferred keeps the turn's own records in res.Writes instead of saving
	// them (Inbound.Defer; kept here because offlineParts swaps t.in).
	deferred bool
}

// Turn answers the debtor's latest message in a conversation. The inbound message
// must already be stored (the engine stores it before acknowledging the webhook);
// the replies are returned for the caller to deliver, and the tool calls of the
// turn are stored as internal messages.
func (a *Agent) Turn(ctx context.Context, conversationID int64, in Inbound) (Result, error) {
	var conv acuerdo.Conversation
	if in.Conversation != nil && in.Conversation.ID == conversationID {
		conv = *in.Conversation
	} else {
		var err error
		if conv, err = a.cfg.Store.ConversationByID(ctx, conversationID); err != nil {
			return Result{}, err
		}
	}
	t := &turn{conv: conv, in: in, modelBy: time.Now().Add(a.cfg.ModelBudget), deferred: in.Defer}
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
			// A number outside the portfolio: the language it writes in,
			// else Spanish, the language of most debtors.
			t.locale = "es"
			if l := understand.GuessLanguage(in.Text); l != "" {
				t.locale = l
			}
		}
		t.conv.Locale = t.locale
	}
	t.read = understand.Read(in.Text, a.readContext(t))
	a.switchLanguage(t)
	t.env = &tools.Env{Conv: &t.conv, Debtor: t.debtor, Media: in.Media}

	if handled, err := a.guards(ctx, t); err != nil || handled {
		return t.res, err
	}
	if err := a.readVariant(ctx, t); err != nil {
		return t.res, err
	}
	useModel := a.cfg.Model != nil && t.variant.Mode != acuerdo.ModeMenu
	if handled, err := a.knowledge(ctx, t, useModel); err != nil {
		return t.res, err
	} else if handled {
		return t.res, a.finish(ctx, t)
	}
	if useModel {
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

// guards decide what must never depend on a model. They run first, every
// turn, on the understanding layer's reading of the message.
func (a *Agent) guards(ctx context.Context, t *turn) (bool, error) {
	text := t.in.Text
	r := t.read
	if r.Guard() == understand.OptOut && slices.Contains(r.Guards, understand.WrongNumber) {
		// "Número equivocado, no me escriban más": recording the wrong
		// number stops contact too, and also tells the creditor the number
		// is not the debtor's, which a bare opt-out would not.
		return true, a.wrongNumber(ctx, t)
	}
	if r.Guard() == understand.OptOut {
		// An opt-out counts even while an operator has the conversation.
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
	if t.conv.Paused {
		t.res.Handler = HandledPaused
		if err := a.guardAudit(ctx, t, "paused_conversation", acuerdo.Refused, "operator_has_conversation"); err != nil {
			return true, err
		}
		// Say once that a person has the case; after that, or once an
		// operator writes, the bot stays quiet.
		if last, err := a.lastOutbound(ctx, t); err != nil || last.Author != acuerdo.AuthorBot || last.Body == prompts.T(t.locale, "paused_ack") {
			return true, err
		}
		t.reply(prompts.T(t.locale, "paused_ack"))
		return true, nil
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
	if tools.ThirdPartyLocked(&t.conv, a.cfg.Clock()) && r.Guard() != understand.WrongNumber && !slices.Contains(r.Guards, understand.Human) {
		// Someone who is not the debtor has this phone: whatever is typed
		// (the debtor's last four digits included), no model and no menu,
		// not even the debtor's name; the tools refuse too.
		t.res.Handler = HandledGuard
		if err := a.guardAudit(ctx, t, "third_party", acuerdo.Refused, tools.RuleThirdParty); err != nil {
			return true, err
		}
		t.reply(prompts.T(t.locale, "third_party_locked"))
		return true, a.finish(ctx, t)
	}
	switch g := r.Guard(); g {
	case understand.WrongNumber:
		return true, a.wrongNumber(ctx, t)
	case understand.ThirdParty:
		t.res.Handler = HandledGuard
		// Whoever has the phone now is not the debtor: forget any
		// verification, and refuse it (in the tools too) for a while.
		now := a.cfg.Clock()
		t.conv.Verified, t.conv.VerifiedAt, t.conv.State, t.conv.ThirdPartyAt = false, nil, "", &now
		if err := a.saveConversation(ctx, t, a.guardEntry(t, "third_party", acuerdo.Allowed, "no_third_parties")); err != nil {
			return true, err
		}
		// A relative telling of hardship or a dispute still reaches a person,
		// who will know not to discuss the debt with them.
		key := "third_party"
		for _, other := range r.Guards[1:] {
			if reason := escalationReason(other); reason != "" {
				if err := a.escalateQuiet(ctx, t, reason, "A third party (not the debtor) wrote: "+clip(text, 300)); err != nil {
					return true, err
				}
				// "He passed away": sympathy, and a word that a person follows up.
				key = "third_party_escalated"
				break
			}
		}
		t.reply(prompts.T(t.locale, key))
		return true, a.finish(ctx, t)
	case understand.Legal, understand.Complaint, understand.Dispute, understand.Hardship, understand.Human:
		return true, a.guardEscalate(ctx, t, escalationReason(g))
	}
	if t.debtor != nil {
		// "Call me": a person calls at a slot inside contact hours.
		return a.callback(ctx, t)
	}
	return false, nil
}

// wrongNumber records that the number is someone else's now: business
// contact to it stops and the creditor is told; not a word about the debt.
func (a *Agent) wrongNumber(ctx context.Context, t *turn) error {
	t.res.Handler = HandledGuard
	var debtorID int64
	if t.debtor != nil {
		debtorID = t.debtor.ID
	}
	if err := a.cfg.Store.RecordWrongNumber(ctx, t.conv.ID, debtorID, a.guardEntry(t, "wrong_number", acuerdo.Allowed, "no_third_parties")); err != nil {
		return err
	}
	now := a.cfg.Clock()
	t.conv.Verified, t.conv.VerifiedAt, t.conv.State, t.conv.ThirdPartyAt, t.conv.OptedOut = false, nil, "", &now, true
	t.res.OptedOut = true
	t.reply(prompts.T(t.locale, "wrong_number"))
	return a.finish(ctx, t)
}

// guardEscalate hands the conversation to a person for reason, with a reply
// that answers what was told (never "I didn't understand" after hardship).
func (a *Agent) guardEscalate(ctx context.Context, t *turn, reason string) error {
	t.res.Handler = HandledGuard
	text := t.in.Text
	summary := prompts.T(t.locale, "escalation_summary", "{text}", clip(text, 300))
	if reg := t.read.Regulator; reg != "" {
		summary += " [" + reg + "]"
	}
	args, _ := json.Marshal(map[string]string{"reason": reason, "summary": summary})
	if err := a.call(ctx, t, tools.EscalateToHuman, string(args)); err != nil {
		return err
	}
	key := "escalated"
	switch {
	case reason == acuerdo.ReasonHardship:
		key = "escalated_hardship"
	case reason == acuerdo.ReasonDispute:
		key = "escalated_dispute"
	case reason == acuerdo.ReasonComplaint || reason == acuerdo.ReasonLegal:
		key = "escalated_complaint"
	case slices.Contains(t.read.Also, understand.Callback):
		key = "escalated_callback"
	}
	t.reply(prompts.T(t.locale, key))
	return a.finish(ctx, t)
}

// escalationReason maps a guard intent to escalate_to_human's reason.
func escalationReason(i understand.Intent) string {
	switch i {
	case understand.Legal:
		return acuerdo.ReasonLegal
	case understand.Complaint:
		return acuerdo.ReasonComplaint
	case understand.Dispute:
		return acuerdo.ReasonDispute
	case understand.Hardship:
		return acuerdo.ReasonHardship
	case understand.Human:
		return acuerdo.ReasonDebtorRequest
	}
	return ""
}

// lastOutbound returns the conversation's latest outbound message (zero if none).
func (a *Agent) lastOutbound(ctx context.Context, t *turn) (acuerdo.Message, error) {
	msgs, err := a.cfg.Store.Messages(ctx, t.conv.ID, 20)
	if err != nil {
		return acuerdo.Message{}, err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Direction == acuerdo.Outbound {
			return msgs[i], nil
		}
	}
	return acuerdo.Message{}, nil
}

// Tools are the agent's tools, for the doors that act through them on a
// debtor's behalf (the console's agreements) under the same policy.
func (a *Agent) Tools() *tools.Set { return a.cfg.Tools }

// UsesModel says whether this agent's turns may call a language model: the
// engine bounds only those by its model slots (engine.ModelUser).
func (a *Agent) UsesModel() bool { return a.cfg.Model != nil }

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
	m := acuerdo.Message{ConversationID: t.conv.ID, Direction: acuerdo.Internal, Author: acuerdo.AuthorTool, Body: string(body), Status: acuerdo.MessageSent}
	if t.deferred {
		t.res.Writes.Messages = append(t.res.Writes.Messages, m)
	} else if _, err := a.cfg.Store.AppendMessages(ctx, m); err != nil {
		a.cfg.Logger.Error("store tool record", "err", err)
	}
	return r
}

// toolRecord is a tool call and its result as stored in the conversation.
type toolRecord = tools.Record

func (t *turn) reply(s string) {
	if s = strings.TrimSpace(s); s != "" {
		t.res.Replies = append(t.res.Replies, s)
	}
}

func (a *Agent) guardEntry(t *turn, name, outcome, rule string) acuerdo.AuditEntry {
	return acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditGuard, Name: name, Outcome: outcome, Rule: rule}
}

func (a *Agent) guardAudit(ctx context.Context, t *turn, name, outcome, rule string) error {
	return a.audit(ctx, t, a.guardEntry(t, name, outcome, rule))
}

// audit writes the turn's audit lines, or keeps them in res.Writes for the
// caller when the turn defers its writes.
func (a *Agent) audit(ctx context.Context, t *turn, entries ...acuerdo.AuditEntry) error {
	if t.deferred {
		t.res.Writes.Audit = append(t.res.Writes.Audit, entries...)
		return nil
	}
	return a.cfg.Store.AppendAudit(ctx, entries...)
}

// saveConversation saves the conversation as the turn has it, with audit
// lines, before the turn goes on (finish saves it again at the end); a turn
// that defers its writes only keeps the lines, since its state is saved
// with the rest of the turn.
func (a *Agent) saveConversation(ctx context.Context, t *turn, audit ...acuerdo.AuditEntry) error {
	if t.deferred {
		return a.audit(ctx, t, audit...)
	}
	return a.cfg.Store.SaveConversation(ctx, t.conv, audit...)
}

// finish saves the conversation's state and adds the notices the law
// requires: who writes, on the first reply of a session; the debt
// collector's notice, where the law has one, on the first reply of a session
// to the verified debtor, in the language they read now. Someone who said
// they are not the debtor gets neither: naming the creditor to a third
// party already tells them of a debt.
func (a *Agent) finish(ctx context.Context, t *turn) error {
	if len(t.res.Replies) > 0 {
		country := t.country()
		first, last, noticed, err := a.firstOfSession(ctx, t, policy.DebtNotices(country))
		if err != nil {
			return err
		}
		t.noThirdRepeat(last)
		if !tools.ThirdPartyLocked(&t.conv, a.cfg.Clock()) {
			var lines []string
			if first {
				lines = append(lines, policy.Identification(country, t.locale, a.cfg.Policy))
			}
			if n := policy.DebtNotice(country, t.locale); n != "" && t.conv.Verified && !noticed {
				lines = append(lines, n)
			}
			if d := strings.Join(lines, " "); d != "" {
				if withD := d + "\n" + t.res.Replies[0]; utf8.RuneCountInString(withD) <= policy.MaxReplyLength {
					t.res.Replies[0] = withD
				} else { // a full first message: the notices go on their own, first
					t.res.Replies = append([]string{d}, t.res.Replies...)
				}
			}
		}
	}
	if t.deferred {
		// The caller writes only the turn-state columns, so whatever tools
		// or operators wrote meanwhile (paused, opted out) stays: nothing to
		// read back first.
		s := t.conv.TurnState()
		t.res.Writes.State = &s
		return nil
	}
	cur, err := a.cfg.Store.ConversationByID(ctx, t.conv.ID)
	if err != nil {
		return err
	}
	// Tools may have paused or opted out the conversation in their own
	// transactions; keep those flags, save the turn's own state.
	cur.Locale, cur.State = t.conv.Locale, t.conv.State
	cur.Verified, cur.VerifiedAt, cur.FailedChecks = t.conv.Verified, t.conv.VerifiedAt, t.conv.FailedChecks
	if t.conv.ThirdPartyAt != nil {
		cur.ThirdPartyAt = t.conv.ThirdPartyAt
	}
	return a.cfg.Store.SaveConversation(ctx, cur)
}

// firstOfSession reports whether the bot has not written in the last 24
// hours, returns the bot's last two messages (newest first), and whether a
// message of the last 24 hours carried one of notices.
func (a *Agent) firstOfSession(ctx context.Context, t *turn, notices []string) (bool, []string, bool, error) {
	msgs, err := a.cfg.Store.Messages(ctx, t.conv.ID, 50)
	if err != nil {
		return false, nil, false, err
	}
	since := a.cfg.Clock().Add(-24 * time.Hour)
	first, noticed := true, false
	var last []string
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Direction != acuerdo.Outbound {
			continue
		}
		if m.CreatedAt.After(since) {
			first = false
			for _, n := range notices {
				noticed = noticed || strings.Contains(m.Body, n)
			}
		}
		if m.Author == acuerdo.AuthorBot && len(last) < 2 {
			last = append(last, m.Body)
		}
	}
	return first, last, noticed, nil
}

// noThirdRepeat replaces a reply the bot would send a third time in a row
// with an offer of a person: repeating the same sentence helps nobody.
func (t *turn) noThirdRepeat(last []string) {
	if len(last) < 2 || len(t.res.Replies) == 0 {
		return
	}
	for i, r := range t.res.Replies {
		if r == last[0] && r == last[1] && r != prompts.T(t.locale, "repeat_escape") {
			t.res.Replies[i] = prompts.T(t.locale, "repeat_escape")
		}
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// readContext is what the understanding layer needs to read dates and
// amounts: the debtor's language, country, today in their zone, the next
// due date when the message counts days from it, and the debtor's name,
// which a stranger holding the number answers with ("¿quién es Juan?").
func (a *Agent) readContext(t *turn) understand.Context {
	c := understand.Context{Locale: t.locale, Now: a.cfg.Clock()}
	if t.debtor != nil {
		c.Country, c.Name = t.debtor.Country, t.debtor.Name
		if t.debtor.TimeZone != "" {
			if l, err := time.LoadLocation(t.debtor.TimeZone); err == nil {
				c.Now = c.Now.In(l)
			}
		}
	}
	return c
}

// switchLanguage moves the conversation to the language the debtor asks
// for, or clearly writes in; the choice is kept on the conversation.
func (a *Agent) switchLanguage(t *turn) {
	to := t.read.SwitchTo
	if to == "" && t.read.Lang != "" && t.read.Lang != prompts.Locale(t.locale) {
		to = t.read.Lang
	}
	if to != "" && to != prompts.Locale(t.locale) {
		t.locale, t.conv.Locale = to, to
		t.switched = true
	}
}
