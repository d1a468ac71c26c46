package agent

import (
	"acuerdo/tools"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
)

// toolTurns is how many of the latest debtor turns keep their tool calls in the
// model's window.
const toolTurns = 2

// llmTurn runs the model's tool loop. It returns false, with no error, when the
// model cannot be used for this turn (an error, a timeout, unusable tool calls):
// the caller then lets the offline engine answer.
func (a *Agent) llmTurn(ctx context.Context, t *turn) (bool, error) {
	msgs, facts, err := a.history(ctx, t)
	if err != nil {
		return false, err
	}
	sys := a.system(t)
	if len(t.kb) > 0 {
		sys += kbContext(t, facts)
	}
	unusable := 0
	for round := 0; ; round++ {
		req := Request{System: sys, Messages: msgs, Tools: a.specs(t, facts)}
		if round >= a.cfg.MaxRounds {
			req.Tools = nil // the rounds are spent: the model must answer now
		}
		resp, ok := a.generate(ctx, t, req)
		if !ok {
			return false, nil
		}
		if len(resp.ToolCalls) == 0 || req.Tools == nil {
			if strings.TrimSpace(resp.Content) == "" {
				return false, nil
			}
			ok, err := a.checkReply(ctx, t, sys, msgs, resp.Content, facts)
			if ok && err == nil && len(t.kb) > 0 {
				err = a.kbCited(ctx, t)
			}
			return ok, err
		}
		msgs = append(msgs, Message{Role: RoleAssistant, Content: resp.Content, ToolCalls: resp.ToolCalls})
		bad := 0
		for _, tc := range resp.ToolCalls {
			r := a.callTool(ctx, t, tc.ID, tc.Name, tc.Arguments)
			if r.Rule == "unknown_tool" || r.Rule == "invalid_arguments" {
				bad++
			}
			facts.add(toolRecord{Name: tc.Name, Result: r.JSON()}, currencyHint(t))
			facts.sawInWindow(toolRecord{Name: tc.Name, Result: r.JSON()})
			msgs = append(msgs, Message{Role: RoleTool, ToolCallID: tc.ID, Name: tc.Name, Content: r.JSON()})
		}
		if bad == len(resp.ToolCalls) {
			// One round of mistakes the model can learn from; two, and the menu answers.
			if unusable++; unusable >= 2 {
				return false, a.guardAudit(ctx, t, "unusable_tool_calls", acuerdo.Refused, "fallback_to_offline")
			}
		}
	}
}

// generate makes one model call and audits it with its tokens, latency and cost.
func (a *Agent) generate(ctx context.Context, t *turn, req Request) (Response, bool) {
	start := time.Now()
	mctx, cancel := context.WithDeadline(ctx, t.modelBy)
	resp, err := a.cfg.Model.Generate(mctx, req)
	cancel()
	t.res.ModelCalls++
	u := resp.Usage
	if u.Latency == 0 {
		u.Latency = time.Since(start)
	}
	t.res.PromptTokens += u.PromptTokens
	detail := map[string]any{"provider": u.Provider, "prompt_tokens": u.PromptTokens, "completion_tokens": u.CompletionTokens,
		"cached_tokens": u.CachedTokens, "latency_ms": u.Latency.Milliseconds(), "attempts": u.Attempts}
	if a.cfg.Cost != nil {
		if usd, ok := a.cfg.Cost(u, a.cfg.Clock()); ok {
			detail["cost_usd"] = usd
			t.res.CostUSD += usd
		}
	}
	outcome, rule := acuerdo.Allowed, "model_call"
	if err != nil {
		outcome, rule = acuerdo.Failed, "model_error"
		detail["error"] = err.Error()
		a.cfg.Logger.Warn("model call failed; the offline engine answers", "conversation", t.conv.ID, "err", err)
	}
	b, _ := json.Marshal(detail)
	name := u.Model
	if name == "" {
		name = "model"
	}
	// Written at once even when the turn defers its writes: the call was
	// made and paid for whatever becomes of the turn (a failure retried, a
	// lost lease), and the experiment report prices arms from these lines.
	if aerr := a.cfg.Store.AppendAudit(ctx, acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditModel,
		Name: name, Outcome: outcome, Rule: rule, Detail: string(b)}); aerr != nil {
		a.cfg.Logger.Error("audit model call", "err", aerr)
	}
	return resp, err == nil
}

// checkReply lets a reply out only if it passes the model-reply rules
// (policy.CheckModelReply): no amount, date, link, plan, percentage,
// deadline, threat or third-party threat of the model's own, however
// spelled; facts only as placeholders this conversation's tools can fill. A
// failing reply is regenerated once with the reasons; if it fails again the
// debtor gets a safe reply and a person takes over.
func (a *Agent) checkReply(ctx context.Context, t *turn, sys string, msgs []Message, text string, facts namedFacts) (bool, error) {
	var verbatim []string
	if t.debtor != nil {
		verbatim = append(verbatim, t.debtor.Name, firstName(t.debtor.Name))
		if t.debtor.Email != "" {
			verbatim = append(verbatim, t.debtor.Email)
		}
	}
	for attempt := 0; ; attempt++ {
		// Length first: a reply too long for a phone is a model gone wrong, and
		// the content checks would spend seconds on it. Nothing of it is sent;
		// a person takes over, as the safe reply says. Filled placeholders
		// (a plan's schedule) count too.
		tooLong := func(s string) ([]string, bool, error) {
			parts, fits := policy.FitReplies([]string{s}, policy.MaxReplyMessages)
			if fits {
				return parts, false, nil
			}
			b, _ := json.Marshal(map[string]any{"reply_chars": len([]rune(s)), "max_messages": policy.MaxReplyMessages})
			if err := a.audit(ctx, t, acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditGuard,
				Name: "output_check", Outcome: acuerdo.Refused, Rule: policy.RuleTooLong, Detail: string(b)}); err != nil {
				return nil, true, err
			}
			t.res.Refusals = append(t.res.Refusals, policy.RuleTooLong)
			return nil, true, nil
		}
		if _, long, err := tooLong(text); err != nil {
			return false, err
		} else if long {
			break
		}
		v := append(placeholderViolations(text, facts, t.conv.Verified), violations(text, verbatim)...)
		if len(v) == 0 {
			parts, long, err := tooLong(fill(text, facts, t.locale, t.country()))
			if err != nil {
				return false, err
			} else if long {
				break
			}
			t.res.Handler = HandledLLM
			for _, part := range parts {
				t.reply(part)
			}
			return true, nil
		}
		var reasons []string
		for _, x := range v {
			reasons = append(reasons, x.Rule+": "+x.Reason)
			t.res.Refusals = append(t.res.Refusals, x.Rule)
		}
		// The reply itself is not kept: it may quote the debtor, and the audit log
		// is append-only. The violations say what was wrong.
		var frags []string
		for _, x := range v {
			if x.Rule != policy.RuleForbiddenLanguage {
				frags = append(frags, clip(x.Text, 80))
			}
		}
		b, _ := json.Marshal(map[string]any{"reply_chars": len([]rune(text)), "violations": reasons, "fragments": frags})
		if err := a.audit(ctx, t, acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditGuard,
			Name: "output_check", Outcome: acuerdo.Refused, Rule: v[0].Rule, Detail: string(b)}); err != nil {
			return false, err
		}
		if attempt == 1 {
			break
		}
		retry := append(append([]Message(nil), msgs...),
			Message{Role: RoleAssistant, Content: text},
			Message{Role: RoleUser, Content: "[automatic check, not from the debtor] That reply was not sent because: " + strings.Join(reasons, "; ") +
				". Write it again: no amount, date, link or plan of your own, only placeholders (available: " + facts.available() +
				"); no discounts, deadlines, pressure or legal language; under 1,600 characters."})
		resp, ok := a.generate(ctx, t, Request{System: sys, Messages: retry})
		if !ok || strings.TrimSpace(resp.Content) == "" {
			break
		}
		text = resp.Content
	}
	t.res.Handler = HandledLLM
	t.reply(prompts.T(t.locale, "safe_reply"))
	return true, a.escalateQuiet(ctx, t, acuerdo.ReasonOther, "The assistant's reply failed the content checks or was too long to send; please answer the debtor.")
}

// violations are the content rule breaks that block a model reply. Length is
// not one: a long reply is split into several messages instead.
func violations(text string, verbatim []string) []policy.Violation {
	var out []policy.Violation
	for _, v := range policy.CheckModelReply(text, verbatim) {
		if v.Rule != policy.RuleTooLong {
			out = append(out, v)
		}
	}
	return out
}

// country is the debtor's country, "" for a number outside the portfolio.
func (t *turn) country() string {
	if t.debtor != nil {
		return t.debtor.Country
	}
	return ""
}

// specs are the tools the model is offered now: before verification only
// those that need no identity (a person, a call, stopping, a payment
// report), after it all but verify_identity, and
// accept_payment_plan only while a plan offer is in the window. Every call is still
// checked by the tools themselves; offering fewer keeps each prompt short.
func (a *Agent) specs(t *turn, facts namedFacts) []ToolSpec {
	var out []ToolSpec
	for _, s := range a.cfg.Tools.Specs() {
		switch s.Name {
		case tools.VerifyIdentity:
			if t.conv.Verified {
				continue
			}
		case tools.EscalateToHuman, tools.OptOut, tools.ReportPayment, tools.RequestCallback:
		case tools.AcceptPaymentPlan:
			// Only while the offer's result, with its plan_id, is in the
			// model's window: without it the model has nothing to accept.
			if _, offered := facts[planInWindowKey]; !offered || !t.conv.Verified {
				continue
			}
		default:
			if !t.conv.Verified {
				continue
			}
		}
		params := s.Parameters
		if facts[accountsKey].text == "1" {
			params = withoutAccountID(params)
		}
		out = append(out, ToolSpec{Name: s.Name, Description: s.Description, Parameters: params})
	}
	return out
}

// withoutAccountID drops the optional account_id parameter from a tool's
// schema: with one account the model never needs it, and it costs tokens on
// every call. The tools still accept it.
func withoutAccountID(params json.RawMessage) json.RawMessage {
	var schema map[string]any
	if json.Unmarshal(params, &schema) != nil {
		return params
	}
	props, _ := schema["properties"].(map[string]any)
	if _, ok := props["account_id"]; !ok {
		return params
	}
	if req, _ := schema["required"].([]any); slices.Contains(req, any("account_id")) {
		return params
	}
	delete(props, "account_id")
	b, err := json.Marshal(schema)
	if err != nil {
		return params
	}
	return b
}

func (a *Agent) system(t *turn) string {
	v := prompts.SystemVars{Creditor: a.cfg.Policy.CreditorName, Locale: t.locale, Today: a.today(t), Verified: t.conv.Verified, Style: t.variant.Prompt}
	if t.debtor != nil {
		v.Name = firstName(t.debtor.Name)
		v.AccountDigits = t.debtor.DocumentID == ""
	}
	return prompts.System(v)
}

// history turns the stored conversation into the model's message window, and
// gathers the placeholder values the tools of the conversation produced.
func (a *Agent) history(ctx context.Context, t *turn) ([]Message, namedFacts, error) {
	facts := namedFacts{}
	all, err := a.cfg.Store.Messages(ctx, t.conv.ID, 0)
	if err != nil {
		return nil, facts, err
	}
	for _, m := range all {
		if m.Direction == acuerdo.Internal && m.Author == acuerdo.AuthorTool {
			var rec toolRecord
			if json.Unmarshal([]byte(m.Body), &rec) == nil {
				facts.add(rec, currencyHint(t))
			}
		}
	}
	window := all
	if len(window) > a.cfg.History {
		window = window[len(window)-a.cfg.History:]
	}
	// Tool records older than the last few debtor turns are left out of the
	// window: what they produced lives on in the replies that used it, and the
	// output checks still know every fact of the conversation.
	keepFrom, users := 0, 0
	for i := len(window) - 1; i >= 0; i-- {
		if window[i].Direction == acuerdo.Inbound {
			if users++; users == toolTurns {
				keepFrom = i
				break
			}
		}
	}
	var out []Message
	for i, m := range window {
		if m.Direction == acuerdo.Internal && i < keepFrom {
			continue
		}
		switch m.Direction {
		case acuerdo.Inbound:
			// A photo without a caption, a location, some button replies: no
			// text, but the model must still see that the debtor wrote, and
			// OpenAI-compatible servers refuse a message without content
			// (which then failed every later call of the conversation).
			content := m.Body
			if strings.TrimSpace(content) == "" {
				content = prompts.T(t.locale, "attachment_no_text")
			}
			out = append(out, Message{Role: RoleUser, Content: content})
		case acuerdo.Outbound:
			out = append(out, Message{Role: RoleAssistant, Content: facts.unfill(m.Body, t.locale, t.country())})
		case acuerdo.Internal:
			// An operator's internal note is for the team, not the model.
			var rec toolRecord
			if m.Author != acuerdo.AuthorTool || json.Unmarshal([]byte(m.Body), &rec) != nil || rec.Name == "" {
				continue
			}
			facts.sawInWindow(rec)
			id := rec.ID
			if id == "" {
				id = fmt.Sprintf("call_%d", m.ID)
			}
			out = append(out,
				Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: id, Name: rec.Name, Arguments: rec.Args}}},
				Message{Role: RoleTool, ToolCallID: id, Name: rec.Name, Content: rec.Result})
		}
	}
	return out, facts, nil
}
